#include "media/opencv_info.hpp"

#include <gtest/gtest.h>

namespace dlc::media {
namespace {

TEST(OpenCvInfo, ParsesTheVideoIoSection) {
  const std::string info =
      "  Video I/O:\n"
      "    DC1394:                      YES (2.2.6)\n"
      "    FFMPEG:                      YES\n"
      "      avcodec:                   YES (59.37.100)\n"
      "      avresample:                NO\n"
      "    GStreamer:                   YES (1.22.0)\n"
      "    PvAPI:                       NO\n"
      "    v4l/v4l2:                    YES (linux/videodev2.h)\n"
      "\n"
      "  Parallel framework:            TBB (ver 2021.8 interface 12080)\n"
      "    Other:                       YES\n";
  EXPECT_EQ(parse_video_backends(info), (std::vector<std::string>{"DC1394", "FFMPEG", "GStreamer", "v4l/v4l2"}));
  EXPECT_TRUE(parse_video_backends("no such section").empty());
}

TEST(OpenCvInfo, ThisBuildReportsItsVersion) {
  const auto info = probe_opencv();
  EXPECT_EQ(info.version.substr(0, 2), "4.");
}

}  // namespace
}  // namespace dlc::media
