// dlc-decode (src/media/dlc_decode_main.cpp) run as dlc runs it, against the ffmpeg child it
// replaces: the same BGR bytes on every kind of clip that it decodes, its report first, and the
// same behaviour on damaged and unreadable files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "media/subprocess.hpp"
#include "support/paths.hpp"

namespace dlc::media {
namespace {

namespace fs = std::filesystem;

// ffmpeg's decoder child as VideoReader runs it (decode_argv, without its report).
ProcessResult ffmpeg_frames(const fs::path& clip, int threads = 0) {
  return run_process({"ffmpeg", "-v", "error", "-nostdin", "-threads", std::to_string(threads), "-i", clip.string(),
                      "-f", "rawvideo", "-pix_fmt", "bgr24", "-fps_mode", "passthrough", "pipe:1"});
}

ProcessResult dlc_decode(const fs::path& clip, int threads = 0) {
  return run_process({DLC_DECODE_BINARY, "--threads", std::to_string(threads), clip.string()});
}

// The first line of its stderr: the facts.
std::string facts_of(const ProcessResult& r) { return r.err.substr(0, r.err.find('\n')); }

class DlcDecode : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::make_temp_dir(); }
  void TearDown() override { fs::remove_all(dir_); }

  // A 10-frame test pattern made by ffmpeg with these output options (codec, pixel format, tags).
  fs::path clip(const std::string& name, const std::vector<std::string>& options, const std::string& size = "320:240") {
    const auto path = dir_ / name;
    std::vector<std::string> argv{"ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i",
                                  "testsrc2=s=640x480:r=25:d=0.4", "-vf", "scale=" + size};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back(path.string());
    const auto r = run_process(argv);
    if (r.exit_code != 0) ADD_FAILURE() << "ffmpeg could not make " << name << ": " << r.err;
    return path;
  }

  // dlc-decode gives ffmpeg's bytes, with decode=yes, at libavcodec's own thread count and at one.
  static void expect_same_frames(const fs::path& path, std::size_t frames, int width, int height) {
    for (const int threads : {0, 1}) {
      SCOPED_TRACE(path.filename().string() + ", threads " + std::to_string(threads));
      const auto ffmpeg = ffmpeg_frames(path, threads);
      ASSERT_EQ(ffmpeg.exit_code, 0) << ffmpeg.err;
      const auto ours = dlc_decode(path, threads);
      EXPECT_EQ(ours.exit_code, 0) << ours.err;
      EXPECT_NE(facts_of(ours).find(" decode=yes"), std::string::npos) << ours.err;
      ASSERT_EQ(ffmpeg.out.size(), frames * static_cast<std::size_t>(width * height * 3));
      ASSERT_EQ(ours.out.size(), ffmpeg.out.size());
      EXPECT_TRUE(ours.out == ffmpeg.out) << "the BGR bytes differ from ffmpeg's";
    }
  }

  fs::path dir_;
};

TEST_F(DlcDecode, GivesFfmpegsBytesForYuv420pUntaggedAndTaggedBt709) {
  expect_same_frames(clip("plain.mp4", {"-c:v", "libx264", "-pix_fmt", "yuv420p"}), 10, 320, 240);
  // The matrix is the frame's: BT.709 converts differently from the BT.601 assumed untagged.
  expect_same_frames(clip("bt709.mp4", {"-c:v", "libx264", "-pix_fmt", "yuv420p", "-colorspace", "bt709",
                                        "-color_primaries", "bt709", "-color_trc", "bt709"}),
                     10, 320, 240);
  EXPECT_FALSE(dlc_decode(dir_ / "plain.mp4").out == dlc_decode(dir_ / "bt709.mp4").out);
}

TEST_F(DlcDecode, GivesFfmpegsBytesForFullRange) {
  // x264 with a full-range tag: yuvj420p frames; FFV1 keeps yuv420p with the range (and BT.709) as tags.
  expect_same_frames(clip("full.mp4", {"-c:v", "libx264", "-pix_fmt", "yuv420p", "-color_range", "pc"}), 10, 320, 240);
  const auto tagged = dir_ / "tagged.mkv";
  const auto r = run_process({"ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=0.4",
                              "-vf", "setparams=range=pc:colorspace=bt709", "-c:v", "ffv1", "-pix_fmt", "yuv420p",
                              tagged.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same_frames(tagged, 10, 320, 240);
}

TEST_F(DlcDecode, GivesFfmpegsBytesForOddSizesAndOtherPixelFormats) {
  expect_same_frames(clip("odd444.mp4", {"-c:v", "libx264", "-pix_fmt", "yuv444p"}, "321:241"), 10, 321, 241);
  expect_same_frames(clip("odd420.mkv", {"-c:v", "ffv1", "-pix_fmt", "yuv420p"}, "321:241"), 10, 321, 241);
  expect_same_frames(clip("p10.mp4", {"-c:v", "libx264", "-pix_fmt", "yuv420p10le"}), 10, 320, 240);
  expect_same_frames(clip("p422.mp4", {"-c:v", "libx264", "-pix_fmt", "yuv422p"}), 10, 320, 240);
  expect_same_frames(clip("mjpeg.avi", {"-c:v", "mjpeg", "-pix_fmt", "yuvj420p"}, "321:241"), 10, 321, 241);
  expect_same_frames(clip("vp9.webm", {"-c:v", "libvpx-vp9", "-b:v", "500k"}), 10, 320, 240);
}

// B-frames: the decoder holds frames back until the end of the stream, and all of them come out.
TEST_F(DlcDecode, FlushesEveryFrameAtTheEnd) {
  expect_same_frames(clip("bframes.mp4", {"-c:v", "libx264", "-bf", "3", "-g", "5"}), 10, 320, 240);
}

// The stream's facts, as ffprobe would give them, before the first frame.
TEST_F(DlcDecode, ReportsTheFactsFirst) {
  test::make_test_clip(dir_, "in.mp4", true);
  const auto r = dlc_decode(dir_ / "in.mp4");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto facts = facts_of(r);
  EXPECT_TRUE(facts.starts_with("dlc-decode 1 width=320 height=240 fps=25/1 rotation=0 frames=50 ")) << facts;
  EXPECT_NE(facts.find(" codec=h264 pix_fmt=yuv420p audio=aac audio_duration="), std::string::npos) << facts;
  EXPECT_TRUE(facts.ends_with(" decode=yes")) << facts;
  EXPECT_EQ(r.err, facts + "\n") << "complaints about a whole file";
}

// ffmpeg turns a rotated video's planes before the conversion: dlc-decode leaves it to ffmpeg.
TEST_F(DlcDecode, LeavesARotatedVideoToFfmpeg) {
  const auto plain = clip("plain.mp4", {"-c:v", "libx264"});
  const auto rotated = dir_ / "rotated.mp4";
  const auto r = run_process({"ffmpeg", "-v", "error", "-nostdin", "-i", plain.string(), "-c", "copy",
                              "-metadata:s:v:0", "rotate=90", rotated.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto ours = dlc_decode(rotated);
  EXPECT_EQ(ours.exit_code, 0);
  EXPECT_TRUE(ours.out.empty());
  const auto facts = facts_of(ours);
  EXPECT_NE(facts.find("width=240 height=320 "), std::string::npos) << facts;
  EXPECT_NE(facts.find(" rotation=90 "), std::string::npos) << facts;  // ffprobe's figure
  EXPECT_TRUE(facts.ends_with(" decode=rotated")) << facts;
}

// A file cut short: what is there is decoded, as ffmpeg decodes it (the same frames), its damage
// is said as complaints naming the file, and it exits 0, as ffmpeg does.
TEST_F(DlcDecode, ATruncatedFileGivesFfmpegsFramesAndComplaints) {
  // 2 s at 640x480: a frame-threaded decoder holds frames behind the one that fails, which must
  // come out too (ffmpeg asks for each again).
  const auto whole = dir_ / "whole.mp4";
  const auto made = run_process({"ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi", "-i", "testsrc2=s=640x480:r=25:d=2",
                                 "-c:v", "libx264", "-pix_fmt", "yuv420p", whole.string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  for (const auto* name : {"cut.mp4", "cut.mkv"}) {
    SCOPED_TRACE(name);
    const auto path = dir_ / name;
    const auto r = run_process({"ffmpeg", "-v", "error", "-nostdin", "-i", whole.string(), "-c", "copy", "-movflags",
                                "+faststart", path.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    fs::resize_file(path, fs::file_size(path) * 6 / 10);
    const auto ffmpeg = ffmpeg_frames(path);
    const auto ours = dlc_decode(path);
    EXPECT_EQ(ours.exit_code, ffmpeg.exit_code);
    EXPECT_EQ(ours.out.size(), ffmpeg.out.size());
    EXPECT_TRUE(ours.out == ffmpeg.out);
    EXPECT_LT(ours.out.size(), std::size_t{50} * 640 * 480 * 3);
    // The facts first, though Matroska's demuxer finds the damage while it opens the file.
    EXPECT_TRUE(ours.err.starts_with("dlc-decode 1 ")) << ours.err;
    EXPECT_NE(ours.err.find("\n[error] " + path.string() + ": "), std::string::npos) << ours.err;
  }
}

TEST_F(DlcDecode, WhatIsNotAVideoExitsOneNamingTheFile) {
  const auto text = dir_ / "notes.txt";
  { std::ofstream(text) << "not a video\n"; }
  const auto wav = dir_ / "tone.wav";
  ASSERT_EQ(run_process({"ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi", "-i", "sine=d=0.2", wav.string()}).exit_code, 0);
  // An MP4 cut before its index: ffmpeg's words, its first complaint.
  const auto headless = dir_ / "headless.mp4";
  { std::ofstream(headless) << std::string(64, '\0'); }
  for (const auto& [path, problem] : {std::pair{text, "not a video ffmpeg can read: Invalid data found when processing input"},
                                      std::pair{headless, "not a video ffmpeg can read: moov atom not found"},
                                      std::pair{wav, "no video stream"},
                                      std::pair{dir_ / "missing.mp4", "not a video ffmpeg can read: No such file or directory"}}) {
    const auto r = dlc_decode(path);
    EXPECT_EQ(r.exit_code, 1) << path;
    EXPECT_TRUE(r.out.empty());
    EXPECT_TRUE(r.err.ends_with("[error] " + path.string() + ": " + problem + "\n")) << r.err;
  }
  EXPECT_EQ(run_process({DLC_DECODE_BINARY}).exit_code, 2);
  EXPECT_EQ(run_process({DLC_DECODE_BINARY, "--threads", "x", text.string()}).exit_code, 2);
}

}  // namespace
}  // namespace dlc::media
