#include "media/video_probe.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "media/subprocess.hpp"
#include "support/paths.hpp"

namespace dlc::media {
namespace {

class VideoProbe : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = test::make_temp_dir();
    test::make_test_clip(dir_, "in.mp4", true);
    test::make_test_clip(dir_, "silent.mp4", false);
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }

  static inline std::filesystem::path dir_;
};

TEST_F(VideoProbe, ReadsTheFiguresOfAVideoWithAudio) {
  const auto info = probe_video(dir_ / "in.mp4");
  EXPECT_EQ(info.width, 320);
  EXPECT_EQ(info.height, 240);
  EXPECT_EQ(info.fps, (Rational{25, 1}));
  EXPECT_EQ(info.frame_count, 50);
  EXPECT_TRUE(info.frame_count_exact);
  EXPECT_NEAR(info.duration_s, 2.0, 0.05);
  EXPECT_EQ(info.codec, "h264");
  EXPECT_EQ(info.pixel_format, "yuv420p");
  EXPECT_EQ(info.rotation, 0);
  EXPECT_TRUE(info.has_audio);
  // The same run's audio track, what the encoder needs to keep it: probe_audio_track's figures.
  const auto audio = probe_audio_track(dir_ / "in.mp4");
  EXPECT_EQ(info.audio.codec, "aac");
  EXPECT_EQ(info.audio.codec, audio.codec);
  EXPECT_EQ(info.audio.duration_s, audio.duration_s);
  EXPECT_EQ(info.audio.video_duration_s, audio.video_duration_s);
}

TEST_F(VideoProbe, SeesThatAVideoHasNoAudio) {
  const auto info = probe_video(dir_ / "silent.mp4");
  EXPECT_EQ(info.frame_count, 50);
  EXPECT_FALSE(info.has_audio);
  EXPECT_TRUE(info.audio.codec.empty());
}

TEST_F(VideoProbe, MissingFileIsAnErrorNamingIt) {
  const auto missing = dir_ / "missing.mp4";
  try {
    probe_video(missing);
    FAIL() << "probed a missing file";
  } catch (const VideoError& e) {
    EXPECT_EQ(e.path(), missing);
    EXPECT_NE(std::string(e.what()).find(missing.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no such file"), std::string::npos) << e.what();
  }
}

TEST_F(VideoProbe, TextFileIsAnErrorNamingIt) {
  const auto text = dir_ / "notes.txt";
  std::ofstream(text) << "not a video\n";
  try {
    probe_video(text);
    FAIL() << "probed a text file";
  } catch (const VideoError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(text.string()), std::string::npos) << what;
    EXPECT_NE(what.find("Invalid data"), std::string::npos) << what;
  }
}

TEST(VideoProbeJson, CountsFramesFromTheDurationWhenTheContainerDoesNotSay) {
  // What ffprobe says of a WebM: no nb_frames, no stream duration, avg_frame_rate unknown.
  const auto info = parse_probe_json(R"({"streams": [{"codec_type": "video", "codec_name": "vp9", "width": 640,
      "height": 360, "pix_fmt": "yuv420p", "avg_frame_rate": "0/0", "r_frame_rate": "30000/1001"}],
      "format": {"duration": "10.010000"}})",
                                     "a.webm");
  EXPECT_EQ(info.fps, (Rational{30000, 1001}));
  EXPECT_EQ(info.frame_count, 300);
  EXPECT_FALSE(info.frame_count_exact);
  EXPECT_FALSE(info.has_audio);
}

TEST(VideoProbeJson, RotatedVideoHasTheSizeFfmpegDecodesTo) {
  const auto info = parse_probe_json(R"({"streams": [{"codec_type": "video", "width": 1920, "height": 1080,
      "avg_frame_rate": "30/1", "nb_frames": "3", "side_data_list": [{"rotation": -90}]},
      {"codec_type": "audio"}]})",
                                     "phone.mp4");
  EXPECT_EQ(info.width, 1080);
  EXPECT_EQ(info.height, 1920);
  EXPECT_EQ(info.rotation, -90);
  EXPECT_TRUE(info.has_audio);
}

TEST(VideoProbeJson, CoverArtIsNotAVideoStream) {
  EXPECT_THROW(parse_probe_json(R"({"streams": [{"codec_type": "audio"}, {"codec_type": "video", "width": 600,
      "height": 600, "avg_frame_rate": "0/0", "r_frame_rate": "90000/1", "disposition": {"attached_pic": 1}}]})",
                                "song.mp3"),
               VideoError);
  EXPECT_THROW(parse_probe_json("{}", "empty.mp4"), VideoError);
  EXPECT_THROW(parse_probe_json("not json", "x.mp4"), VideoError);
}

TEST(VideoProbeJson, ParsesRationals) {
  EXPECT_EQ(parse_rational("25/1"), (Rational{25, 1}));
  EXPECT_EQ(parse_rational("0/0"), (Rational{0, 1}));
  EXPECT_EQ(parse_rational("25"), (Rational{0, 1}));
  EXPECT_EQ((Rational{30000, 1001}).str(), "30000/1001");
}

TEST(VideoProbeJson, RelativePathsCannotPassForOptionsOrProtocols) {
  EXPECT_EQ(ffmpeg_file_arg("-x.mp4"), "./-x.mp4");
  EXPECT_EQ(ffmpeg_file_arg("http:x.mp4"), "./http:x.mp4");
  EXPECT_EQ(ffmpeg_file_arg("/tmp/a.mp4"), "/tmp/a.mp4");
}

}  // namespace
}  // namespace dlc::media
