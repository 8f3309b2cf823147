// dlc run --frame-range and dlc join through the binary: three parts of a 30-frame clip, joined,
// decode to the frames of one whole run (lossless: --video-quality 0 is x264's -crf 0), and a
// join with a part missing is refused, naming the gap.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "media/subprocess.hpp"
#include "media/video_probe.hpp"
#include "support/paths.hpp"

namespace dlc::app {
namespace {

class JoinCommand : public testing::Test {
 protected:
  void SetUp() override {
    astronaut_ = test::astronaut_photo();
    const auto grace = test::grace_hopper_photo();
    if (const auto why = test::missing_inputs(); !why.empty()) GTEST_SKIP() << why;
    dir_ = test::make_temp_dir();
    models_ = test::copy_fixture_models(dir_, {"w600k_r50.onnx", "inswapper_128.onnx"});
    // Grace Hopper's photo, panning (so the face moves and the tracks carry state), with a tone.
    clip_ = dir_ / "clip.mp4";
    const auto r = media::run_process(
        {"ffmpeg", "-v", "error", "-loop", "1", "-i", grace.string(), "-f", "lavfi", "-i", "sine=f=440:d=1.2",
         "-filter_complex", "[0:v]scale=-2:480,crop=320:240:'20+t*40':60[v]", "-map", "[v]", "-map", "1:a",
         "-frames:v", "30", "-r", "25", "-g", "8", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
         clip_.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  media::ProcessResult dlc(std::vector<std::string> args) const {
    args.insert(args.begin(), test::dlc_binary().string());
    return media::run_process(args);
  }
  media::ProcessResult run(const std::filesystem::path& output, const std::vector<std::string>& more = {}) const {
    std::vector<std::string> args{"run", "-s", astronaut_.string(), "-t", clip_.string(), "-o", output.string(),
                                  "--models-dir", models_.string(), "--video-quality", "0", "--execution-threads", "2",
                                  "--memory-monitor-interval", "0"};
    args.insert(args.end(), more.begin(), more.end());
    return dlc(args);
  }
  // Each decoded frame's MD5 (ffmpeg -f framemd5, video only).
  static std::vector<std::string> frame_md5s(const std::filesystem::path& video) {
    const auto r = media::run_process({"ffmpeg", "-v", "error", "-i", video.string(), "-map", "0:v:0", "-f", "framemd5", "-"});
    std::vector<std::string> md5s;
    std::size_t at = 0;
    while (at < r.out.size()) {
      const auto end = r.out.find('\n', at);
      const auto line = r.out.substr(at, end - at);
      if (!line.empty() && line[0] != '#') md5s.push_back(line.substr(line.rfind(',') + 1));
      if (end == std::string::npos) break;
      at = end + 1;
    }
    return md5s;
  }

  std::filesystem::path astronaut_;
  std::filesystem::path dir_;
  std::filesystem::path models_;
  std::filesystem::path clip_;
};

TEST_F(JoinCommand, ThreePartsJoinToTheWholeRunsFrames) {
  const auto whole = dir_ / "whole.mp4";
  const auto w = run(whole, {"--face-smoothing", "off"});
  ASSERT_EQ(w.exit_code, 0) << w.err;
  const std::vector<std::string> ranges{"0:11", "11:19", "19:30"};
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const auto part = dir_ / ("part" + std::to_string(i) + ".mkv");
    const auto r = run(part, {"--face-smoothing", "off", "--frame-range", ranges[i]});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(media::probe_video(part).has_audio) << "a part has no audio";
    parts.push_back(part.string());
  }
  const auto joined = dir_ / "joined.mp4";
  std::vector<std::string> join{"join", parts[2], parts[0], parts[1], "-o", joined.string(), "--audio-from", clip_.string()};
  const auto j = dlc(join);
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const auto info = media::probe_video(joined);
  EXPECT_EQ(info.frame_count, 30);
  EXPECT_TRUE(info.has_audio);
  const auto expected = frame_md5s(whole);
  ASSERT_EQ(expected.size(), 30U);
  EXPECT_EQ(frame_md5s(joined), expected);

  std::filesystem::remove(parts[1]);
  const auto refused = dlc({"join", parts[0], parts[2], "-o", (dir_ / "again.mp4").string()});
  EXPECT_EQ(refused.exit_code, 3);
  EXPECT_NE(refused.err.find("frames 11 to 18 are missing: no part covers them"), std::string::npos) << refused.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "again.mp4"));
}

TEST_F(JoinCommand, ARangePastTheEndIsRefusedWithTheFrameCount) {
  const auto r = run(dir_ / "part.mkv", {"--frame-range", "20:31"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("has 30 frames (0 to 29)"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "part.mkv"));
}

}  // namespace
}  // namespace dlc::app
