#include "media/ffmpeg_info.hpp"

#include <gtest/gtest.h>

namespace dlc::media {
namespace {

TEST(FfmpegInfo, ParsesTheEncoderTable) {
  const std::string table =
      "Encoders:\n"
      " V..... = Video\n"
      " A..... = Audio\n"
      " ------\n"
      " V....D libx264              libx264 H.264 / AVC (codec h264)\n"
      " V....D h264_nvenc           NVIDIA NVENC H.264 encoder (codec h264)\n"
      " A....D aac                  AAC (Advanced Audio Coding)\n";
  EXPECT_EQ(parse_encoder_list(table), (std::set<std::string>{"aac", "h264_nvenc", "libx264"}));
  EXPECT_TRUE(parse_encoder_list("").empty());
}

TEST(FfmpegInfo, MissingProgramIsReported) {
  const auto info = probe_ffmpeg("/nonexistent/ffmpeg");
  EXPECT_FALSE(info.found);
  EXPECT_NE(info.problem.find("/nonexistent/ffmpeg"), std::string::npos);
}

TEST(FfmpegInfo, DebianFfmpegHasTheSoftwareEncoders) {
  const auto info = probe_ffmpeg();
  if (!info.found) GTEST_SKIP() << "no ffmpeg here: " << info.problem;
  EXPECT_EQ(info.version.rfind("ffmpeg version", 0), 0u) << info.version;
  for (const char* name : {"libx264", "libx265", "libvpx-vp9"}) EXPECT_TRUE(info.encoders.contains(name)) << name;
}

}  // namespace
}  // namespace dlc::media
