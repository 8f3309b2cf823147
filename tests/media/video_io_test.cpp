#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "media/ffmpeg_info.hpp"
#include "media/subprocess.hpp"
#include "media/video_concat.hpp"
#include "media/video_probe.hpp"
#include "media/video_reader.hpp"
#include "media/video_writer.hpp"
#include "support/paths.hpp"

namespace dlc::media {
namespace {

// start_time of the first audio stream, as ffprobe gives it; NaN when it has none.
double audio_start_s(const std::filesystem::path& path) {
  const auto r = run_process({"ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
                              "stream=start_time", "-of", "csv=p=0", path.string()});
  try {
    return std::stod(r.out);
  } catch (const std::exception&) {
    return std::nan("");
  }
}

// Whether this machine could have an NVIDIA GPU for NVENC at all.
bool nvidia_device_present() { return std::filesystem::exists("/dev/nvidiactl"); }

VideoWriterOptions options(const std::filesystem::path& output) {
  VideoWriterOptions o;
  o.output = output;
  o.width = 320;
  o.height = 240;
  return o;
}

// An environment variable set for a scope, then as it was.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* before = std::getenv(name)) before_ = before;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (before_) {
      setenv(name_, before_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> before_;
};

// A stand-in ffprobe first on PATH that leaves a mark and runs the real one.
class FfprobeMark {
 public:
  explicit FfprobeMark(const std::filesystem::path& dir) : mark_(dir / "ffprobe-ran") {
    std::filesystem::create_directories(dir / "bin");
    {
      std::ofstream script(dir / "bin" / "ffprobe");
      script << "#!/bin/sh\ntouch '" << mark_.string() << "'\nexec /usr/bin/ffprobe \"$@\"\n";
    }
    std::filesystem::permissions(dir / "bin" / "ffprobe", std::filesystem::perms::owner_all);
    path_.emplace("PATH", (dir / "bin").string() + ":" + std::getenv("PATH"));
  }
  bool ran() const { return std::filesystem::exists(mark_); }

 private:
  std::filesystem::path mark_;
  std::optional<ScopedEnv> path_;
};

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
  EXPECT_EQ(result.frames_expected, 50);
  EXPECT_FALSE(result.truncated);
  EXPECT_TRUE(result.problem.empty()) << result.problem;
}

// ffmpeg turns it, from its own report or, with dlc-decode there, from dlc-decode's facts (which
// state the count; no ffprobe run).
TEST_F(VideoIo, RotatedVideoIsReadAtItsDisplayedSize) {
  const auto rotated = out_ / "rotated.mp4";
  const auto r = run_process({"ffmpeg", "-v", "error", "-nostdin", "-i", (sources_ / "silent.mp4").string(), "-c",
                              "copy", "-metadata:s:v:0", "rotate=90", rotated.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* program : {"none", DLC_DECODE_BINARY}) {
    SCOPED_TRACE(program);
    const ScopedEnv chosen("DLC_DECODE", program);
    VideoReader reader(rotated);
    EXPECT_EQ(reader.info().rotation, 90);
    EXPECT_EQ(reader.info().decoder, kFfmpegDecoder);
    EXPECT_EQ(reader.info().frame_count_exact, std::string(program) != "none");
    cv::Mat frame;
    int frames = 0;
    while (reader.read(frame)) {
      ASSERT_EQ(frame.size(), cv::Size(240, 320));
      ++frames;
    }
    EXPECT_EQ(frames, 50);
    EXPECT_TRUE(reader.finish().clean);
  }
}

TEST_F(VideoIo, StoppingEarlyEndsFfmpegWithoutHanging) {
  VideoReader reader(sources_ / "in.mp4");
  cv::Mat frame(10, 10, CV_8UC1);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(reader.read(frame));
  EXPECT_EQ(reader.finish().frames_read, 3);
  EXPECT_FALSE(reader.read(frame));
}

// The decoder's own report gives the facts: no ffprobe runs before the first frame (a stand-in
// first on PATH leaves a mark and runs the real one), only when probed_info() asks.
TEST_F(VideoIo, AReaderOnAPathReadsItsFirstFrameWithoutFfprobe) {
  const auto bin = out_ / "bin";
  std::filesystem::create_directories(bin);
  const auto mark = out_ / "ffprobe-ran";
  {
    std::ofstream script(bin / "ffprobe");
    script << "#!/bin/sh\ntouch '" << mark.string() << "'\nexec /usr/bin/ffprobe \"$@\"\n";
  }
  std::filesystem::permissions(bin / "ffprobe", std::filesystem::perms::owner_all);
  const std::string path_before = std::getenv("PATH");
  setenv("PATH", (bin.string() + ":" + path_before).c_str(), 1);
  {
    VideoReader reader(sources_ / "in.mp4");
    cv::Mat frame;
    ASSERT_TRUE(reader.read(frame));
    EXPECT_EQ(frame.size(), cv::Size(320, 240));
    EXPECT_EQ(reader.info().fps, (Rational{25, 1}));
    EXPECT_TRUE(reader.info().has_audio);
    EXPECT_FALSE(reader.info().frame_count_exact);
    EXPECT_FALSE(std::filesystem::exists(mark));
    // What only ffprobe says, when asked for.
    EXPECT_EQ(reader.probed_info().frame_count, 50);
    EXPECT_TRUE(reader.probed_info().frame_count_exact);
    EXPECT_GT(reader.probed_info().audio.duration_s, 0.0);
    EXPECT_TRUE(std::filesystem::exists(mark));
  }
  setenv("PATH", path_before.c_str(), 1);
}

// A variable frame rate: its average rate (what the encoder is given) is not in the report, so
// the reader asks ffprobe for it.
TEST_F(VideoIo, AVariableFrameRateIsFfprobesAverageRate) {
  const auto vfr = out_ / "vfr.mp4";
  const auto r = run_process({"ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi", "-i", "testsrc=s=320x240:r=25:d=2",
                              "-vf", "setpts='if(lt(N,25),N,25+(N-25)*2)/25/TB'", "-fps_mode", "vfr", "-c:v",
                              "libx264", "-y", vfr.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto probed = probe_video(vfr);
  ASSERT_NE(probed.fps, (Rational{25, 1}));
  VideoReader reader(vfr);
  EXPECT_EQ(reader.info().fps, probed.fps);
}

// dlc-decode (DLC_DECODE names it; dlc finds it beside itself) gives every fact at once: no
// ffprobe runs at all, not even for the stated count or the audio's duration, and the frames are
// ffmpeg's.
TEST_F(VideoIo, AReaderWithDlcDecodeRunsNoFfprobeAndGivesFfmpegsFrames) {
  const auto with_ffmpeg = read_all(sources_ / "in.mp4");
  const ScopedEnv decoder("DLC_DECODE", DLC_DECODE_BINARY);
  const FfprobeMark ffprobe(out_);
  VideoReader reader(sources_ / "in.mp4");
  EXPECT_EQ(reader.info().decoder, kDlcDecode);
  EXPECT_EQ(reader.info().fps, (Rational{25, 1}));
  EXPECT_EQ(reader.info().frame_count, 50);
  EXPECT_TRUE(reader.info().frame_count_exact);
  EXPECT_TRUE(reader.info().has_audio);
  EXPECT_GT(reader.info().audio.duration_s, 0.0);
  EXPECT_TRUE(reader.probed());
  EXPECT_EQ(reader.probed_info().audio.duration_s, reader.info().audio.duration_s);
  cv::Mat frame;
  std::size_t frames = 0;
  while (reader.read(frame)) {
    ASSERT_LT(frames, with_ffmpeg.size());
    EXPECT_EQ(cv::norm(frame, with_ffmpeg[frames], cv::NORM_INF), 0.0) << "frame " << frames;
    ++frames;
  }
  EXPECT_EQ(frames, 50u);
  const auto result = reader.finish();
  EXPECT_TRUE(result.clean) << result.problem;
  EXPECT_EQ(result.frames_expected, 50);
  EXPECT_GT(reader.decoder_peak_bytes(), 0u);
  EXPECT_FALSE(ffprobe.ran());
  EXPECT_EQ(decoder_for(reader.info()), kDlcDecode);
}

// What dlc-decode leaves to ffmpeg: a variable frame rate (its average rate is dlc-decode's,
// ffprobe's), a rotated video (RotatedVideoIsReadAtItsDisplayedSize), a span; ffmpeg decodes those
// with dlc-decode's facts, no ffprobe run. Without dlc-decode, ffmpeg decodes as before.
TEST_F(VideoIo, AReaderFallsBackToFfmpegForWhatDlcDecodeDoesNotReproduce) {
  const auto vfr = out_ / "vfr.mp4";
  const auto r = run_process({"ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi", "-i", "testsrc=s=320x240:r=25:d=2", "-vf",
                   "setpts='if(lt(N,25),N,25+(N-25)*2)/25/TB'", "-fps_mode", "vfr", "-c:v", "libx264", "-y", vfr.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto vfr_fps = probe_video(vfr).fps;
  const ScopedEnv decoder("DLC_DECODE", DLC_DECODE_BINARY);
  const FfprobeMark ffprobe(out_);
  {
    VideoReader reader(vfr);
    EXPECT_EQ(reader.info().decoder, kFfmpegDecoder);
    EXPECT_EQ(reader.info().fps, vfr_fps);
  }
  EXPECT_FALSE(ffprobe.ran());
  {
    VideoReader reader(sources_ / "silent.mp4", 0, FrameSpan{10, 20});  // a span probes first
    EXPECT_EQ(reader.info().decoder, kFfmpegDecoder);
  }
  const ScopedEnv none("DLC_DECODE", (out_ / "no-such-dlc-decode").string());
  EXPECT_FALSE(dlc_decode_program());
  VideoReader reader(sources_ / "silent.mp4");
  EXPECT_EQ(reader.info().decoder, kFfmpegDecoder);
  EXPECT_FALSE(reader.info().frame_count_exact) << "ffmpeg's report, as before";
  EXPECT_EQ(decoder_for(probe_video(sources_ / "silent.mp4")), kFfmpegDecoder);
}

// A video probed first (dlc plan, bench) is decoded by dlc-decode too, and decoder_for says so.
TEST_F(VideoIo, AProbedVideoIsDecodedByDlcDecode) {
  const ScopedEnv decoder("DLC_DECODE", DLC_DECODE_BINARY);
  const auto probed = probe_video(sources_ / "in.mp4");
  EXPECT_EQ(decoder_for(probed), kDlcDecode);
  EXPECT_EQ(decoder_for(probed, true), kFfmpegDecoder);
  VideoReader reader(probed);
  EXPECT_EQ(reader.info().decoder, kDlcDecode);
  cv::Mat frame;
  int frames = 0;
  while (reader.read(frame)) ++frames;
  EXPECT_EQ(frames, 50);
  EXPECT_TRUE(reader.finish().clean);
}

TEST_F(VideoIo, AReaderOnWhatIsNotAVideoNamesTheFile) {
  const auto text = out_ / "notes.txt";
  std::ofstream(text) << "not a video\n";
  const auto wav = out_ / "tone.wav";
  const auto r = run_process({"ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi", "-i", "sine=d=0.2", "-y", wav.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* decoder : {"none", DLC_DECODE_BINARY}) {
    const ScopedEnv chosen("DLC_DECODE", decoder);
    for (const auto& [path, problem] : {std::pair{text, "not a video ffmpeg can read: Invalid data found when processing input"},
                                        std::pair{wav, "no video stream"}, std::pair{out_ / "missing.mp4", "no such file"},
                                        std::pair{out_, "is a folder, not a video"}}) {
      try {
        VideoReader reader(path);
        ADD_FAILURE() << "opened " << path << " with " << decoder;
      } catch (const VideoError& e) {
        EXPECT_EQ(std::string(e.what()), path.string() + ": " + problem) << decoder;
      }
    }
  }
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

TEST_F(VideoIo, PreferHardwareFallsBackToSoftwareWithEveryFrame) {
  const auto frames = read_all(sources_ / "in.mp4");
  ASSERT_EQ(frames.size(), 50u);
  VideoWriter writer({.output = out_ / "out.mp4", .width = 320, .height = 240, .encoder = "libx264", .quality = 18,
                      .audio_source = sources_ / "in.mp4", .prefer_hardware = true});
  if (!nvidia_device_present()) {
    EXPECT_EQ(writer.encoder(), "libx264");
  }
  for (const auto& frame : frames) ASSERT_TRUE(writer.write(frame));
  const auto result = writer.finish();
  ASSERT_TRUE(result.ok) << result.problem;
  const auto info = probe_video(out_ / "out.mp4");
  EXPECT_EQ(info.codec, "h264");
  EXPECT_EQ(info.frame_count, 50);
  EXPECT_TRUE(info.has_audio);
}

// Where h264_nvenc is in ffmpeg but does not open (no NVIDIA GPU, as on this machine), a writer that
// prefers hardware says so in one warning and keeps every frame, whatever the number of frames
// and writers.
TEST_F(VideoIo, NvencFallbackWarnsOnceAndKeepsEveryFrame) {
  if (!probe_ffmpeg().encoders.contains("h264_nvenc")) GTEST_SKIP() << "this ffmpeg has no h264_nvenc";
  if (check_encoder_opens("h264_nvenc", 320, 240, 18).opens) GTEST_SKIP() << "NVENC opens here: no fallback";
  const auto frames = read_all(sources_ / "in.mp4");
  ASSERT_EQ(frames.size(), 50u);
  std::ostringstream said;
  const auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(said)));
  VideoWriter writer({.output = out_ / "out.mp4", .width = 320, .height = 240, .encoder = "libx264", .quality = 18,
                      .prefer_hardware = true});
  bool all_written = true;
  for (const auto& frame : frames) all_written = writer.write(frame) && all_written;
  const auto result = writer.finish();
  spdlog::set_default_logger(previous);
  EXPECT_TRUE(all_written);
  ASSERT_TRUE(result.ok) << result.problem;
  EXPECT_EQ(writer.encoder(), "libx264");
  const auto log = said.str();
  std::size_t warnings = 0;
  for (auto at = log.find("h264_nvenc cannot encode on this machine"); at != std::string::npos;
       at = log.find("h264_nvenc cannot encode on this machine", at + 1)) {
    ++warnings;
  }
  EXPECT_EQ(warnings, 1u) << log;
  EXPECT_NE(log.find("encoding with libx264 instead"), std::string::npos) << log;
  EXPECT_EQ(result.frames_written, 50);
  EXPECT_EQ(probe_video(out_ / "out.mp4").frame_count, 50);
}

TEST_F(VideoIo, NvencCheckSaysWhyWithoutAGpu) {
  if (nvidia_device_present()) GTEST_SKIP() << "/dev/nvidiactl exists: NVENC may open here";
  const auto first = check_encoder_opens("h264_nvenc", 320, 240, 18);
  EXPECT_FALSE(first.opens);
  EXPECT_FALSE(first.problem.empty());
  EXPECT_EQ(first.problem.find("[h264_nvenc @"), std::string::npos) << first.problem;
  const auto again = check_encoder_opens("h264_nvenc", 320, 240, 18);
  EXPECT_EQ(again.problem, first.problem);
}

TEST_F(VideoIo, WebmOutputTranscodesAacToOpus) {
  ASSERT_EQ(probe_audio_track(sources_ / "in.mp4").codec, "aac");
  const auto frames = read_all(sources_ / "in.mp4");
  VideoWriter writer({.output = out_ / "out.webm", .width = 320, .height = 240, .encoder = "libvpx-vp9",
                      .quality = 40, .audio_source = sources_ / "in.mp4"});
  for (const auto& frame : frames) ASSERT_TRUE(writer.write(frame));
  const auto result = writer.finish();
  ASSERT_TRUE(result.ok) << result.problem;
  const auto audio = probe_audio_track(out_ / "out.webm");
  EXPECT_EQ(audio.codec, "opus");
  EXPECT_NEAR(audio.duration_s, 2.0, 0.1);
  EXPECT_EQ(probe_video(out_ / "out.webm").codec, "vp9");
  EXPECT_EQ(read_all(out_ / "out.webm").size(), 50u);
}

TEST_F(VideoIo, Mp4OutputTranscodesOpusToAac) {
  const auto source = test::make_clip(out_, "opus.mkv", {.video_s = 2.0, .audio_s = 2.0, .audio_codec = "libopus"});
  ASSERT_EQ(probe_audio_track(source).codec, "opus");
  const auto frames = read_all(source);
  const auto result = write_all(frames, "out.mp4", source);
  ASSERT_TRUE(result.ok) << result.problem;
  EXPECT_EQ(probe_audio_track(out_ / "out.mp4").codec, "aac");
  EXPECT_EQ(probe_video(out_ / "out.mp4").frame_count, 50);
}

TEST_F(VideoIo, LongerAudioEndsWithTheLastFrameAndKeepsItsStart) {
  const auto source = test::make_clip(out_, "long.mp4", {.video_s = 2.0, .audio_s = 4.0});
  ASSERT_NEAR(probe_audio_track(source).duration_s, 4.0, 0.05);
  const auto frames = read_all(source);
  ASSERT_EQ(frames.size(), 50u);
  const auto result = write_all(frames, "out.mp4", source);
  ASSERT_TRUE(result.ok) << result.problem;
  const auto audio = probe_audio_track(out_ / "out.mp4");
  EXPECT_EQ(audio.codec, "aac");
  // One AAC frame (1024 samples, 21 ms) past the last video frame at most.
  EXPECT_NEAR(audio.duration_s, 2.0, 0.05);
  EXPECT_NEAR(audio_start_s(out_ / "out.mp4"), 0.0, 0.03);
  const auto info = probe_video(out_ / "out.mp4");
  EXPECT_EQ(info.frame_count, 50);
  EXPECT_LT(info.duration_s, 2.05);
}

TEST_F(VideoIo, ShorterAudioKeepsEveryFrame) {
  const auto source = test::make_clip(out_, "short.mp4", {.video_s = 2.0, .audio_s = 1.0});
  const auto frames = read_all(source);
  ASSERT_EQ(frames.size(), 50u);
  const auto result = write_all(frames, "out.mp4", source);
  ASSERT_TRUE(result.ok) << result.problem;
  EXPECT_EQ(probe_video(out_ / "out.mp4").frame_count, 50);
  EXPECT_NEAR(probe_audio_track(out_ / "out.mp4").duration_s, 1.0, 0.05);
}

TEST_F(VideoIo, OddFrameSizeIsPaddedToEven) {
  // Gradients, which x264 keeps close at crf 18, up to the odd last column and row.
  cv::Mat frame(241, 321, CV_8UC3);
  for (int y = 0; y < frame.rows; ++y) {
    for (int x = 0; x < frame.cols; ++x) {
      frame.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(40 + x / 2), static_cast<uchar>(40 + y / 2), 128);
    }
  }
  VideoWriter writer({.output = out_ / "odd.mp4", .width = 321, .height = 241});
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(writer.write(frame));
  const auto result = writer.finish();
  ASSERT_TRUE(result.ok) << result.problem;
  const auto info = probe_video(out_ / "odd.mp4");
  EXPECT_EQ(info.width, 322);
  EXPECT_EQ(info.height, 242);
  EXPECT_EQ(info.frame_count, 10);
  const auto again = read_all(out_ / "odd.mp4");
  ASSERT_EQ(again.size(), 10u);
  // The picture stays where it was; the added column and row are black.
  const cv::Rect picture(0, 0, 321, 241);
  EXPECT_LT(cv::norm(frame, again[5](picture), cv::NORM_L1) / static_cast<double>(frame.total() * 3), 4.0);
  EXPECT_LT(cv::mean(again[5].col(321))[1], 40.0);
  EXPECT_LT(cv::mean(again[5].row(241))[1], 40.0);
}

// Matroska (frame count estimated from the duration in its header) and MP4 with its index first
// (count stated), each cut to 60 % of its bytes: ffmpeg decodes what is there and exits 0, and so
// does dlc-decode, whose complaint comes without the file (the caller names it).
TEST_F(VideoIo, TruncatedTailIsReadUpToTheDamageAndReported) {
  for (const auto& [program, decoder] : {std::pair{"none", "ffmpeg"}, std::pair{DLC_DECODE_BINARY, "dlc-decode"}}) {
    const ScopedEnv chosen("DLC_DECODE", program);
    for (const auto* name : {"cut.mkv", "cut.mp4"}) {
      SCOPED_TRACE(std::string(name) + " with " + decoder);
      const auto path = out_ / name;
      const auto r = run_process({"ffmpeg", "-v", "error", "-nostdin", "-y", "-i", (sources_ / "in.mp4").string(),
                                  "-c", "copy", "-movflags", "+faststart", path.string()});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      std::filesystem::resize_file(path, std::filesystem::file_size(path) * 6 / 10);

      VideoReader reader(path);
      EXPECT_EQ(reader.info().decoder, decoder);
      cv::Mat frame;
      while (reader.read(frame)) {
      }
      const auto result = reader.finish();
      EXPECT_EQ(result.exit_code, 0);
      EXPECT_GT(result.frames_read, 0);
      EXPECT_LT(result.frames_read, 50);
      EXPECT_GE(result.frames_expected, 50);
      EXPECT_TRUE(result.truncated);
      EXPECT_FALSE(result.clean);
      EXPECT_TRUE(result.problem.starts_with("decoded " + std::to_string(result.frames_read) + " of the "))
          << result.problem;
      EXPECT_NE(result.problem.find(std::string("; ") + decoder + ": "), std::string::npos) << result.problem;
      EXPECT_EQ(result.problem.find(" @ 0x"), std::string::npos) << result.problem;
      EXPECT_EQ(result.problem.find(path.string()), std::string::npos) << result.problem;
    }
  }
}

TEST_F(VideoIo, WholeMatroskaIsNotTakenForTruncated) {
  const auto path = out_ / "whole.mkv";
  const auto r = run_process({"ffmpeg", "-v", "error", "-nostdin", "-i", (sources_ / "in.mp4").string(), "-c", "copy",
                              path.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  VideoReader reader(path);
  EXPECT_FALSE(reader.info().frame_count_exact);
  cv::Mat frame;
  while (reader.read(frame)) {
  }
  const auto result = reader.finish();
  EXPECT_EQ(result.frames_read, 50);
  EXPECT_FALSE(result.truncated);
  EXPECT_TRUE(result.clean) << result.problem;
}

TEST(VideoWriterArgv, IsTheDocumentedCommandLine) {
  const auto argv = encode_argv({.output = "/v/out.mkv", .width = 320, .height = 240, .fps = {30000, 1001},
                                 .encoder = "libvpx-vp9", .quality = 31, .audio_source = "/v/in.mp4"},
                                "/v/.out.dlc-partial-1.mkv", {.codec = "aac", .duration_s = 2.0, .video_duration_s = 2.0});
  const std::vector<std::string> expected{
      "ffmpeg", "-v",   "error", "-nostdin", "-f",    "rawvideo", "-pix_fmt", "bgr24",   "-s",   "320x240",
      "-r",     "30000/1001",    "-i",       "pipe:0", "-i",      "/v/in.mp4", "-map",   "0:v:0", "-map",
      "1:a:0?", "-c:a", "copy",  "-shortest", "-c:v",  "libvpx-vp9", "-crf",  "31",      "-b:v", "0",
      "-pix_fmt", "yuv420p",     "-y",       "/v/.out.dlc-partial-1.mkv"};
  EXPECT_EQ(argv, expected);
}

// A stream: x264 for latency, the muxer of the URL's scheme, the URL itself (no temporary name).
TEST(VideoWriterArgv, AStreamUrlGetsLowLatencySettingsAndItsMuxer) {
  EXPECT_TRUE(is_stream_url("udp://127.0.0.1:5000"));
  EXPECT_TRUE(is_stream_url("rtsp://host/live"));
  EXPECT_FALSE(is_stream_url("/v/udp.mp4"));
  EXPECT_FALSE(is_stream_url("http://host/x"));
  const auto udp = encode_argv({.output = "udp://127.0.0.1:5000", .width = 1280, .height = 720, .fps = {25, 1}}, "unused");
  const std::vector<std::string> tail{"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-bf", "0",
                                      "-g", "25", "-b:v", "4M", "-maxrate", "4M", "-bufsize", "2M", "-pix_fmt",
                                      "yuv420p", "-flush_packets", "1", "-muxdelay", "0", "-f", "mpegts",
                                      "udp://127.0.0.1:5000?pkt_size=1316"};
  ASSERT_GE(udp.size(), tail.size());
  EXPECT_EQ(std::vector<std::string>(udp.end() - static_cast<std::ptrdiff_t>(tail.size()), udp.end()), tail);
  const auto sized = encode_argv({.output = "udp://h:1?pkt_size=188", .width = 64, .height = 48}, "unused");
  EXPECT_EQ(sized.back(), "udp://h:1?pkt_size=188");
  const auto rtsp = encode_argv({.output = "rtsp://h/live", .width = 64, .height = 48}, "unused");
  EXPECT_EQ(std::vector<std::string>(rtsp.end() - 5, rtsp.end()),
            (std::vector<std::string>{"-f", "rtsp", "-rtsp_transport", "tcp", "rtsp://h/live"}));
}

// The words after "-c:a" in the command line for output with audio of codec.
std::string audio_codec_for(const char* output, const char* codec) {
  const auto argv = encode_argv({.output = output, .width = 320, .height = 240, .audio_source = "/v/in.mkv"},
                                "/v/tmp", {.codec = codec});
  const auto it = std::find(argv.begin(), argv.end(), "-c:a");
  return it == argv.end() || it + 1 == argv.end() ? "" : *(it + 1);
}

TEST(VideoWriterArgv, AudioIsCopiedOnlyWhereTheContainerHoldsIt) {
  EXPECT_EQ(audio_codec_for("/v/out.webm", "aac"), "libopus");
  EXPECT_EQ(audio_codec_for("/v/out.WEBM", "pcm_s16le"), "libopus");
  EXPECT_EQ(audio_codec_for("/v/out.webm", "opus"), "copy");
  EXPECT_EQ(audio_codec_for("/v/out.webm", "vorbis"), "copy");
  EXPECT_EQ(audio_codec_for("/v/out.mp4", "opus"), "aac");
  EXPECT_EQ(audio_codec_for("/v/out.mov", "vorbis"), "aac");
  EXPECT_EQ(audio_codec_for("/v/out.mp4", "pcm_s16le"), "aac");
  EXPECT_EQ(audio_codec_for("/v/out.mp4", "aac"), "copy");
  EXPECT_EQ(audio_codec_for("/v/out.mp4", "mp3"), "copy");
  EXPECT_EQ(audio_codec_for("/v/out.mkv", "pcm_s16le"), "copy");
  EXPECT_EQ(audio_codec_for("/v/out.mp4", ""), "copy");  // unknown: ffmpeg will say
}

bool has(const std::vector<std::string>& argv, const std::string& word) {
  return std::find(argv.begin(), argv.end(), word) != argv.end();
}

TEST(VideoWriterArgv, ShortestOnlyWhenTheAudioIsNotShorterThanItsVideo) {
  const VideoWriterOptions o{.output = "/v/out.mp4", .width = 320, .height = 240, .audio_source = "/v/in.mp4"};
  EXPECT_TRUE(has(encode_argv(o, "/v/tmp", {.codec = "aac", .duration_s = 3.0, .video_duration_s = 2.0}), "-shortest"));
  EXPECT_TRUE(has(encode_argv(o, "/v/tmp", {.codec = "aac"}), "-shortest"));
  EXPECT_FALSE(has(encode_argv(o, "/v/tmp", {.codec = "aac", .duration_s = 1.5, .video_duration_s = 2.0}), "-shortest"));
  EXPECT_FALSE(has(encode_argv({.output = "/v/out.mp4", .width = 320, .height = 240}, "/v/tmp"), "-shortest"));
}

TEST(VideoWriterArgv, OddSizeIsPaddedAndEvenSizeIsNot) {
  const auto odd = encode_argv({.output = "/v/out.mp4", .width = 321, .height = 240}, "/v/tmp");
  const auto vf = std::find(odd.begin(), odd.end(), "-vf");
  ASSERT_NE(vf, odd.end());
  EXPECT_EQ(*(vf + 1), "pad=ceil(iw/2)*2:ceil(ih/2)*2");
  EXPECT_TRUE(has(encode_argv({.output = "/v/out.mp4", .width = 320, .height = 241}, "/v/tmp"), "-vf"));
  EXPECT_FALSE(has(encode_argv({.output = "/v/out.mp4", .width = 320, .height = 240}, "/v/tmp"), "-vf"));
}

TEST(VideoWriterArgv, NvencGetsConstantQuality) {
  const auto argv = encode_argv({.output = "/v/out.mp4", .width = 320, .height = 240, .encoder = "h264_nvenc",
                                 .quality = 23},
                                "/v/tmp");
  const auto c = std::find(argv.begin(), argv.end(), "-c:v");
  ASSERT_NE(c, argv.end());
  const std::vector<std::string> codec(c, c + 8);
  EXPECT_EQ(codec, (std::vector<std::string>{"-c:v", "h264_nvenc", "-rc", "vbr", "-cq", "23", "-b:v", "0"}));
  EXPECT_EQ(hardware_encoder_for("libx264"), "h264_nvenc");
  EXPECT_EQ(hardware_encoder_for("libx265"), "hevc_nvenc");
  EXPECT_EQ(hardware_encoder_for("libvpx-vp9"), "");
}

// The words from "-c:v" to "-pix_fmt" for an encoder with these speed settings.
std::vector<std::string> video_args(const char* encoder, const char* preset = "", int threads = 0, int lookahead = -1) {
  const auto argv = encode_argv({.output = "/v/out.mp4", .width = 320, .height = 240, .encoder = encoder,
                                 .preset = preset, .threads = threads, .lookahead = lookahead},
                                "/v/tmp");
  const auto c = std::find(argv.begin(), argv.end(), "-c:v");
  const auto p = std::find(c, argv.end(), "-pix_fmt");
  return {c, p};
}

TEST(VideoWriterArgv, PresetThreadsAndLookaheadInEachEncodersOwnOptions) {
  using V = std::vector<std::string>;
  EXPECT_EQ(video_args("libx264"), (V{"-c:v", "libx264", "-crf", "18"}));
  EXPECT_EQ(video_args("libx264", "veryfast", 2, 10),
            (V{"-c:v", "libx264", "-crf", "18", "-preset", "veryfast", "-threads", "2", "-x264-params", "rc-lookahead=10"}));
  EXPECT_EQ(video_args("libx265", "", 1, 5),
            (V{"-c:v", "libx265", "-crf", "18", "-threads", "1", "-x265-params", "log-level=error:rc-lookahead=5"}));
  EXPECT_EQ(video_args("libx265"), (V{"-c:v", "libx265", "-crf", "18", "-x265-params", "log-level=error"}));
  EXPECT_EQ(video_args("libvpx-vp9", "ultrafast", 0, 0),
            (V{"-c:v", "libvpx-vp9", "-crf", "18", "-b:v", "0", "-deadline", "good", "-cpu-used", "8", "-lag-in-frames", "0"}));
  EXPECT_EQ(video_args("libvpx-vp9", "veryslow")[9], "0");
  EXPECT_EQ(video_args("h264_nvenc", "medium").back(), "p4");
  EXPECT_THROW(video_args("libx264", "placebo"), std::invalid_argument);
  EXPECT_EQ(encoder_presets().front(), "ultrafast");
  EXPECT_EQ(encoder_presets().back(), "veryslow");
}

TEST(DecodeTruncation, MissingFramesCountOnlyWhenTheDecoderComplained) {
  EXPECT_TRUE(is_truncated(30, 50, true, true));
  EXPECT_TRUE(is_truncated(49, 50, true, true));
  EXPECT_FALSE(is_truncated(49, 50, true, false));  // an MP4 edit list can drop frames the count includes
  EXPECT_FALSE(is_truncated(50, 50, true, true));
  EXPECT_FALSE(is_truncated(30, 50, false, false));  // a variable frame rate can miss the estimate by far
  EXPECT_TRUE(is_truncated(30, 50, false, true));
  EXPECT_FALSE(is_truncated(49, 50, false, true));  // an estimate can be one frame off
  EXPECT_FALSE(is_truncated(51, 50, false, true));
}

}  // namespace
}  // namespace dlc::media

namespace dlc::media {
namespace {

// A clip with a keyframe every 30 frames and B-frames, so a span's first frame is rarely a
// keyframe and its frames come out of order from the decoder.
std::filesystem::path keyframed_clip(const std::filesystem::path& dir, int frames) {
  const auto path = dir / "g30.mp4";
  const auto r = run_process({"ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                              "testsrc2=size=160x120:rate=25:duration=" + std::to_string(frames / 25.0), "-c:v",
                              "libx264", "-g", "30", "-bf", "3", "-pix_fmt", "yuv420p", path.string()});
  if (r.exit_code != 0) throw std::runtime_error("ffmpeg could not make the clip: " + r.err);
  return path;
}

std::vector<cv::Mat> read_span(VideoReader& reader) {
  std::vector<cv::Mat> frames;
  cv::Mat frame;
  while (reader.read(frame)) frames.push_back(frame.clone());
  return frames;
}

TEST(VideoReaderSpan, GivesExactlyTheSpansFramesOfAWholeDecode) {
  const auto dir = test::make_temp_dir();
  const auto clip = keyframed_clip(dir, 150);
  VideoReader whole_reader(clip);
  const auto whole = read_span(whole_reader);
  ASSERT_EQ(whole.size(), 150U);
  // Mid-GOP starts and ends, one inside the first second (no seek), one at the very end.
  for (const FrameSpan span : {FrameSpan{0, 7}, FrameSpan{13, 14}, FrameSpan{47, 101}, FrameSpan{95, 150}}) {
    VideoReader reader(clip, 0, span);
    const auto frames = read_span(reader);
    const auto result = reader.finish();
    EXPECT_TRUE(result.clean) << result.problem;
    ASSERT_EQ(frames.size(), static_cast<std::size_t>(span.size())) << span.first << ":" << span.end;
    for (std::size_t i = 0; i < frames.size(); ++i) {
      EXPECT_EQ(cv::norm(frames[i], whole[static_cast<std::size_t>(span.first) + i], cv::NORM_INF), 0.0)
          << "frame " << span.first + static_cast<std::int64_t>(i) << " of span " << span.first << ":" << span.end;
    }
  }
  std::filesystem::remove_all(dir);
}

TEST(VideoReaderSpan, ASpanPastTheEndIsTruncated) {
  const auto dir = test::make_temp_dir();
  const auto clip = keyframed_clip(dir, 50);
  VideoReader reader(clip, 0, FrameSpan{40, 60});
  EXPECT_EQ(read_span(reader).size(), 10U);
  const auto result = reader.finish();
  EXPECT_TRUE(result.truncated);
  EXPECT_NE(result.problem.find("decoded 10 of the 20 frames"), std::string::npos) << result.problem;
  std::filesystem::remove_all(dir);
}

TEST(VideoReaderSpan, SeeksOnlyPastTheFirstSecondAndStopsAfterTheSpan) {
  const Rational fps{25, 1};
  const auto near = decode_argv("in.mp4", 0, fps, FrameSpan{10, 20});
  EXPECT_EQ(std::ranges::find(near, "-ss"), near.end());
  const auto far = decode_argv("in.mp4", 0, fps, FrameSpan{100, 150});
  const auto ss = std::ranges::find(far, "-ss");
  ASSERT_NE(ss, far.end());
  EXPECT_EQ(*(ss + 1), "3.000000");
  const auto frames = std::ranges::find(far, "-frames:v");
  ASSERT_NE(frames, far.end());
  EXPECT_EQ(*(frames + 1), "50");
  EXPECT_NE(std::ranges::find(far, "select='gte(t,3.980000)*lt(t,5.980000)'"), far.end());
}

TEST_F(VideoIo, MetadataIsWrittenAndReadBackInMp4AndMatroska) {
  for (const char* name : {"tagged.mp4", "tagged.mkv"}) {
    auto o = options(out_ / name);
    o.metadata = {{"dlc_part_range", "10:20"}, {"dlc_part_settings", "abc"}};
    VideoWriter writer(o);
    const cv::Mat frame(240, 320, CV_8UC3, cv::Scalar(10, 20, 30));
    ASSERT_TRUE(writer.write(frame));
    ASSERT_TRUE(writer.finish().ok);
    const auto tags = read_container_tags(out_ / name);
    EXPECT_EQ(tags.count("dlc_part_range") ? tags.at("dlc_part_range") : "", "10:20") << name;
    EXPECT_EQ(tags.count("dlc_part_settings") ? tags.at("dlc_part_settings") : "", "abc") << name;
  }
}

TEST_F(VideoIo, ConcatJoinsWithoutReencodingAndTakesTheAudio) {
  std::vector<std::filesystem::path> parts;
  for (int p = 0; p < 3; ++p) {
    auto o = options(out_ / ("part" + std::to_string(p) + ".mkv"));
    o.quality = 0;
    o.metadata = {{"dlc_part_range", "x"}};
    VideoWriter writer(o);
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(writer.write(cv::Mat(240, 320, CV_8UC3, cv::Scalar(p * 80, i * 20, 0))));
    ASSERT_TRUE(writer.finish().ok);
    parts.push_back(o.output);
  }
  const auto joined = out_ / "joined.mp4";
  const auto result = concat_videos(parts, joined, sources_ / "in.mp4");
  ASSERT_TRUE(result.ok) << result.problem;
  const auto info = probe_video(joined);
  EXPECT_EQ(info.frame_count, 30);
  EXPECT_TRUE(info.has_audio);
  EXPECT_FALSE(read_container_tags(joined).contains("dlc_part_range"));
  const auto frames = read_all(joined);
  ASSERT_EQ(frames.size(), 30U);
  // Lossless parts: frame 25 is part 2's sixth frame, as written (BGR -> yuv420p -> BGR of a flat colour).
  EXPECT_LE(cv::norm(frames[25], cv::Mat(240, 320, CV_8UC3, cv::Scalar(160, 100, 0)), cv::NORM_INF), 2.0);
  // Only the joined output is left: no list, no temporary.
  auto files = out_files();
  std::ranges::sort(files);
  EXPECT_EQ(files, (std::vector<std::string>{"joined.mp4", "part0.mkv", "part1.mkv", "part2.mkv"}));
}

TEST_F(VideoIo, FailedConcatLeavesNoOutputNorTemporary) {
  std::ofstream(out_ / "bad.mkv") << "not a video";
  const auto result = concat_videos({out_ / "bad.mkv"}, out_ / "joined.mp4");
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(out_files(), std::vector<std::string>{"bad.mkv"});
}

TEST(ConcatList, QuotesEveryPathAbsolutely) {
  const auto list = concat_list({"/a/b.mkv", "/it's.mkv"});
  EXPECT_EQ(list, "ffconcat version 1.0\nfile '/a/b.mkv'\nfile '/it'\\''s.mkv'\n");
}

}  // namespace
}  // namespace dlc::media
