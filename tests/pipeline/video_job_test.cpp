#include "pipeline/video_job.hpp"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include <fstream>

#include "media/subprocess.hpp"
#include "media/video_probe.hpp"
#include "media/video_reader.hpp"
#include "support/paths.hpp"

namespace dlc::pipeline {
namespace {

class VideoJob : public testing::Test {
 protected:
  void SetUp() override {
    grace_ = test::source_tree_file(".cache/media/grace_hopper.jpg");
    if (!std::filesystem::exists(grace_)) GTEST_SKIP() << "the Debian photos are missing: run scripts/setup.sh";
    dir_ = test::make_temp_dir();
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Grace Hopper's photo as a 12-frame 25 fps clip, with a sine tone when asked.
  std::filesystem::path clip(bool audio) {
    const auto path = dir_ / (audio ? "with-audio.mp4" : "silent.mp4");
    std::vector<std::string> argv{"ffmpeg", "-v", "error", "-loop", "1", "-i", grace_.string()};
    if (audio) argv.insert(argv.end(), {"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"});
    argv.insert(argv.end(), {"-frames:v", "12", "-r", "25", "-c:v", "libx264", "-pix_fmt", "yuv420p"});
    if (audio) argv.insert(argv.end(), {"-c:a", "aac", "-t", "0.48"});
    argv.push_back(path.string());
    const auto r = media::run_process(argv);
    if (r.exit_code != 0) throw std::runtime_error("ffmpeg could not make the clip: " + r.err);
    return path;
  }

  VideoJobOptions options(const std::filesystem::path& target, const char* output) {
    VideoJobOptions o;
    o.source = test::source_tree_file(".cache/media/astronaut.png");
    o.target = target;
    o.output = dir_ / output;
    o.analyser.search_path = {dir_ / "no-models"};
    o.workers = 2;
    return o;
  }

  std::size_t files_in_dir() const {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir_), {}));
  }

  std::filesystem::path grace_;
  std::filesystem::path dir_;
};

// Same frame count, rate and size, the audio copied, the face swapped in every frame.
TEST_F(VideoJob, KeepsFramesRateAndAudio) {
  const auto target = clip(true);
  std::vector<std::int64_t> progress;
  const auto report = run_video_job(options(target, "out.mp4"), [&](const VideoProgress& p) { progress.push_back(p.frames_done); });
  EXPECT_EQ(report.frames, 12);
  EXPECT_EQ(report.frames_without_face, 0);
  EXPECT_TRUE(report.audio);
  EXPECT_FALSE(report.truncated_input);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), 12);
  const auto in = media::probe_video(target);
  const auto out = media::probe_video(report.output);
  EXPECT_EQ(out.frame_count, in.frame_count);
  EXPECT_EQ(out.fps, in.fps);
  EXPECT_EQ(out.width, in.width);
  EXPECT_EQ(out.height, in.height);
  EXPECT_TRUE(out.has_audio);

  // Frame 6 of both: the face region differs far more than the rest (lossy codec both ways).
  media::VideoReader a(target);
  media::VideoReader b(report.output);
  cv::Mat fa, fb;
  for (int i = 0; i <= 6; ++i) {
    ASSERT_TRUE(a.read(fa));
    ASSERT_TRUE(b.read(fb));
  }
  cv::Mat diff;
  cv::absdiff(fa, fb, diff);
  const cv::Rect face(200, 170, 130, 150);  // Grace Hopper's face in the 512×600 photo
  const cv::Rect background(0, 400, 150, 200);
  EXPECT_GT(cv::mean(diff(face))[1], 4 * cv::mean(diff(background))[1] + 2);
  EXPECT_EQ(files_in_dir(), 2u) << "the clip and the output, no temporary left";
}

TEST_F(VideoJob, SilentTargetGivesASilentVideo) {
  const auto report = run_video_job(options(clip(false), "silent-out.mp4"));
  EXPECT_FALSE(report.audio);
  EXPECT_FALSE(media::probe_video(report.output).has_audio);
  EXPECT_EQ(report.frames, 12);
}

TEST_F(VideoJob, StopLeavesNoOutputAndNoTemporary) {
  const auto target = clip(false);
  std::atomic<bool> stop{true};
  auto o = options(target, "stopped.mp4");
  o.stop = &stop;
  const auto report = run_video_job(o);
  EXPECT_TRUE(report.stopped);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "stopped.mp4"));
  EXPECT_EQ(files_in_dir(), 1u) << "only the clip";
}

TEST_F(VideoJob, NotAVideoIsAVideoError) {
  const auto text = dir_ / "not-a-video.mp4";
  std::ofstream(text) << "hello";
  EXPECT_THROW(run_video_job(options(text, "x.mp4")), media::VideoError);
}

}  // namespace
}  // namespace dlc::pipeline
