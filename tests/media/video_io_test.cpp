#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include <optional>
#include <vector>

#include "media/subprocess.hpp"
#include "media/video_probe.hpp"
#include "media/video_reader.hpp"
#include "media/video_writer.hpp"
#include "support/paths.hpp"

namespace dlc::media {
namespace {

VideoWriterOptions options(const std::filesystem::path& output) {
  VideoWriterOptions o;
  o.output = output;
  o.width = 320;
  o.height = 240;
  return o;
}

class VideoIo : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sources_ = test::make_temp_dir();
    test::make_test_clip(sources_, "in.mp4", true);
    test::make_test_clip(sources_, "silent.mp4", false);
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(sources_); }

  void SetUp() override { out_ = test::make_temp_dir(); }
  void TearDown() override { std::filesystem::remove_all(out_); }

  // Every file in the output folder, so a left-over temporary shows up by name.
  std::vector<std::string> out_files() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(out_)) names.push_back(entry.path().filename());
    return names;
  }

  static std::vector<cv::Mat> read_all(const std::filesystem::path& path) {
    VideoReader reader(path);
    std::vector<cv::Mat> frames;
    cv::Mat frame;
    while (reader.read(frame)) frames.push_back(frame.clone());
    EXPECT_TRUE(reader.finish().clean);
    return frames;
  }

  // Writes frames as libx264 crf 18 into out_/name.
  EncodeResult write_all(const std::vector<cv::Mat>& frames, const std::string& name,
                         const std::filesystem::path& audio_source) {
    VideoWriter writer({.output = out_ / name, .width = 320, .height = 240, .fps = {25, 1}, .encoder = "libx264",
                        .quality = 18, .audio_source = audio_source});
    for (const auto& frame : frames) EXPECT_TRUE(writer.write(frame));
    return writer.finish();
  }

  static inline std::filesystem::path sources_;
  std::filesystem::path out_;
};

TEST_F(VideoIo, ReadsEveryFrameIntoOneCallerBuffer) {
  VideoReader reader(sources_ / "in.mp4");
  cv::Mat frame;
  const uchar* buffer = nullptr;
  int not_black = 0;
  while (reader.read(frame)) {
    ASSERT_EQ(frame.size(), cv::Size(320, 240));
    ASSERT_EQ(frame.type(), CV_8UC3);
    if (buffer == nullptr) buffer = frame.data;
    EXPECT_EQ(frame.data, buffer) << "reallocated at frame " << reader.frames_read();
    if (cv::sum(frame) != cv::Scalar::all(0)) ++not_black;
  }
  EXPECT_EQ(reader.frames_read(), 50);
  EXPECT_EQ(not_black, 50);
  EXPECT_FALSE(reader.read(frame));
  const auto result = reader.finish();
  EXPECT_TRUE(result.clean) << result.stderr_tail;
  EXPECT_EQ(result.frames_read, 50);
}

TEST_F(VideoIo, RotatedVideoIsReadAtItsDisplayedSize) {
  const auto rotated = out_ / "rotated.mp4";
  const auto r = run_process({"ffmpeg", "-v", "error", "-nostdin", "-i", (sources_ / "silent.mp4").string(), "-c",
                              "copy", "-metadata:s:v:0", "rotate=90", rotated.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  VideoReader reader(rotated);
  EXPECT_EQ(reader.info().rotation, 90);
  cv::Mat frame;
  int frames = 0;
  while (reader.read(frame)) {
    ASSERT_EQ(frame.size(), cv::Size(240, 320));
    ++frames;
  }
  EXPECT_EQ(frames, 50);
  EXPECT_TRUE(reader.finish().clean);
}

TEST_F(VideoIo, StoppingEarlyEndsFfmpegWithoutHanging) {
  VideoReader reader(sources_ / "in.mp4");
  cv::Mat frame(10, 10, CV_8UC1);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(reader.read(frame));
  EXPECT_EQ(reader.finish().frames_read, 3);
  EXPECT_FALSE(reader.read(frame));
}

TEST_F(VideoIo, RoundTripKeepsFramesRateSizeAndAudio) {
  const auto frames = read_all(sources_ / "in.mp4");
  ASSERT_EQ(frames.size(), 50u);
  const auto result = write_all(frames, "out.mp4", sources_ / "in.mp4");
  ASSERT_TRUE(result.ok) << result.problem;
  EXPECT_EQ(result.frames_written, 50);
  EXPECT_EQ(out_files(), std::vector<std::string>{"out.mp4"});
  const auto info = probe_video(out_ / "out.mp4");
  EXPECT_EQ(info.frame_count, 50);
  EXPECT_EQ(info.fps, (Rational{25, 1}));
  EXPECT_EQ(info.width, 320);
  EXPECT_EQ(info.height, 240);
  EXPECT_TRUE(info.has_audio);
  // crf 18 is close to the source: a mean error of a few levels at most.
  const auto again = read_all(out_ / "out.mp4");
  ASSERT_EQ(again.size(), frames.size());
  EXPECT_LT(cv::norm(frames[25], again[25], cv::NORM_L1) / static_cast<double>(frames[25].total() * 3), 4.0);
}

TEST_F(VideoIo, WithoutAudioSourceTheOutputIsSilent) {
  const auto frames = read_all(sources_ / "in.mp4");
  const auto result = write_all(frames, "out.mp4", {});
  ASSERT_TRUE(result.ok) << result.problem;
  const auto info = probe_video(out_ / "out.mp4");
  EXPECT_EQ(info.frame_count, 50);
  EXPECT_FALSE(info.has_audio);
}

TEST_F(VideoIo, AudioSourceWithoutAudioIsNotAnError) {
  const auto frames = read_all(sources_ / "silent.mp4");
  const auto result = write_all(frames, "out.mp4", sources_ / "silent.mp4");
  ASSERT_TRUE(result.ok) << result.problem;
  EXPECT_FALSE(probe_video(out_ / "out.mp4").has_audio);
}

TEST_F(VideoIo, WriterDestroyedWithoutFinishLeavesNothing) {
  const auto frames = read_all(sources_ / "in.mp4");
  {
    VideoWriter writer(options(out_ / "out.mp4"));
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(writer.write(frames[static_cast<std::size_t>(i)]));
    EXPECT_EQ(writer.temporary_path().parent_path(), out_);
    EXPECT_TRUE(writer.temporary_path().filename().string().starts_with(".out.dlc-partial-"));
    EXPECT_EQ(writer.temporary_path().extension(), ".mp4");
  }
  EXPECT_TRUE(out_files().empty());
}

TEST_F(VideoIo, FailedEncodeReportsAndLeavesNothing) {
  // ffmpeg cannot open the audio source, so it fails before taking a frame.
  VideoWriter writer({.output = out_ / "out.mp4", .width = 320, .height = 240, .encoder = "libx264", .quality = 18,
                      .audio_source = out_ / "missing.wav"});
  const auto result = writer.finish();
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.problem.find("missing.wav"), std::string::npos) << result.problem;
  EXPECT_TRUE(out_files().empty());
}

TEST_F(VideoIo, WrongFrameOrEncoderIsRejected) {
  VideoWriter writer(options(out_ / "out.mp4"));
  EXPECT_THROW(writer.write(cv::Mat(240, 320, CV_8UC1)), std::invalid_argument);
  EXPECT_THROW(writer.write(cv::Mat(100, 100, CV_8UC3)), std::invalid_argument);
  auto magic = options(out_ / "b.mp4");
  magic.encoder = "h264_magic";
  EXPECT_THROW(VideoWriter{magic}, std::invalid_argument);
}

TEST(VideoWriterArgv, IsTheDocumentedCommandLine) {
  const auto argv = encode_argv({.output = "/v/out.mp4", .width = 320, .height = 240, .fps = {30000, 1001},
                                 .encoder = "libvpx-vp9", .quality = 31, .audio_source = "/v/in.mp4"},
                                "/v/.out.dlc-partial-1.mp4");
  const std::vector<std::string> expected{
      "ffmpeg", "-v",   "error", "-nostdin", "-f",    "rawvideo", "-pix_fmt", "bgr24",   "-s",   "320x240",
      "-r",     "30000/1001",    "-i",       "pipe:0", "-i",      "/v/in.mp4", "-map",   "0:v:0", "-map",
      "1:a:0?", "-c:a", "copy",  "-c:v",     "libvpx-vp9",        "-crf",     "31",      "-b:v", "0",
      "-pix_fmt", "yuv420p",     "-y",       "/v/.out.dlc-partial-1.mp4"};
  EXPECT_EQ(argv, expected);
}

}  // namespace
}  // namespace dlc::media
