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

// What ffmpeg 5.1 (-loglevel level+verbose) writes as it starts decoding a phone video with cover
// art listed first: the mapped stream is the one read, its side data turned, audio beside it.
constexpr const char* kPhoneReport = R"([h264 @ 0x5581] [verbose] Reinit context to 1920x1080, pix_fmt: yuv420p
[info] Input #0, mov,mp4,m4a,3gp,3g2,mj2, from './phone.mp4':
[info]   Metadata:
[info]     major_brand     : isom
[info]   Duration: 00:00:10.01, start: 0.000000, bitrate: 1068 kb/s
[info]   Stream #0:0[0x1](und): Video: mjpeg (Baseline), yuvj420p(pc, bt470bg/unknown/unknown), 600x600, 90k tbr, 90k tbn (attached pic)
[info]   Stream #0:1[0x2](und): Video: h264 (High), 1 reference frame (avc1 / 0x31637661), yuv420p(progressive, left), 1920x1080 [SAR 1:1 DAR 16:9], 975 kb/s, 29.97 fps, 29.97 tbr, 30k tbn (default)
[info]     Metadata:
[info]       handler_name    : VideoHandler
[info]     Side data:
[info]       displaymatrix: rotation of -90.00 degrees
[info]   Stream #0:2[0x3](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, stereo, fltp, 128 kb/s (default)
[info] Stream mapping:
[info]   Stream #0:1 -> #0:0 (h264 (native) -> rawvideo (native))
[graph 0 input from stream 0:1 @ 0x5581751d] [verbose] w:1920 h:1080 pixfmt:yuv420p tb:1/30000 fr:30000/1001 sar:1/1
[info] Output #0, rawvideo, to 'pipe:1':
[info]   Stream #0:0(und): Video: rawvideo (BGR[24] / 0x18524742), bgr24(pc, gbr/unknown/unknown, progressive, left), 1080x1920 (0x0) [SAR 1:1 DAR 9:16], q=2-31, 184320 kb/s, 29.97 fps, 29.97 tbn (default)
)";

TEST(DecoderReport, ReadsTheMappedStreamItsRotationRateAndAudio) {
  const auto report = parse_decoder_report(kPhoneReport, "phone.mp4");
  const auto& info = report.info;
  EXPECT_EQ(info.width, 1080);
  EXPECT_EQ(info.height, 1920);
  EXPECT_EQ(info.rotation, -90);
  EXPECT_EQ(info.codec, "h264");
  EXPECT_EQ(info.pixel_format, "yuv420p");
  EXPECT_EQ(info.fps, (Rational{30000, 1001}));
  EXPECT_TRUE(report.fps_exact);
  EXPECT_NEAR(info.duration_s, 10.01, 1e-9);
  EXPECT_EQ(info.frame_count, 300);
  EXPECT_FALSE(info.frame_count_exact);
  EXPECT_TRUE(info.has_audio);
  EXPECT_EQ(info.audio.codec, "aac");
  EXPECT_EQ(info.audio.duration_s, 0.0);  // only ffprobe says
}

TEST(DecoderReport, IsCompleteOnceTheOutputsVideoLineIsWhole) {
  const std::string report = kPhoneReport;
  EXPECT_TRUE(decoder_report_complete(report));
  const auto output_line = report.find("[info]   Stream #0:0(und): Video: rawvideo");
  EXPECT_FALSE(decoder_report_complete(report.substr(0, output_line)));
  EXPECT_FALSE(decoder_report_complete(report.substr(0, report.size() - 1)));  // its newline not yet there
}

TEST(DecoderReport, AnAverageRateThatIsNotTheNominalOneIsNotTakenForExact) {
  // A variable frame rate: ffprobe's avg_frame_rate is 625/36, the report prints it rounded.
  const auto report = parse_decoder_report(R"([info] Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'vfr.mp4':
[info]   Duration: 00:00:02.88, start: 0.000000, bitrate: 40 kb/s
[info]   Stream #0:0[0x1](und): Video: h264 (High), yuv420p(progressive), 320x240 [SAR 1:1 DAR 4:3], 35 kb/s, 17.36 fps, 25 tbr, 12800 tbn (default)
[info] Stream mapping:
[info]   Stream #0:0 -> #0:0 (h264 (native) -> rawvideo (native))
[graph 0 input from stream 0:0 @ 0x55af] [verbose] w:320 h:240 pixfmt:yuv444p tb:1/12800 fr:25/1 sar:1/1
)",
                                           "vfr.mp4");
  EXPECT_FALSE(report.fps_exact);
  EXPECT_NEAR(report.info.fps.value(), 17.36, 1e-9);
  EXPECT_EQ(report.info.width, 320);  // no output line yet: the input's size
}

TEST(DecoderReport, WhatTheDecoderCannotOpenIsAnErrorNamingTheFile) {
  try {
    parse_decoder_report("[AVIOContext @ 0x55aa] [verbose] Statistics: 6 bytes read, 0 seeks\n"
                         "[error] ./notes.txt: Invalid data found when processing input\n",
                         "notes.txt");
    FAIL() << "parsed a text file";
  } catch (const VideoError& e) {
    EXPECT_STREQ(e.what(), "notes.txt: not a video ffmpeg can read: Invalid data found when processing input");
  }
  try {
    parse_decoder_report(R"([info] Input #0, wav, from 'a.wav':
[info]   Duration: 00:00:01.00, bitrate: 706 kb/s
[info]   Stream #0:0: Audio: pcm_s16le ([1][0][0][0] / 0x0001), 44100 Hz, mono, s16, 705 kb/s
[info] Output #0, rawvideo, to 'pipe:1':
[error] Output file #0 does not contain any stream
)",
                         "a.wav");
    FAIL() << "took a .wav for a video";
  } catch (const VideoError& e) {
    EXPECT_STREQ(e.what(), "a.wav: no video stream");
  }
}

TEST(DecoderReport, ComplaintsAreTheErrorLinesWithoutTheirLevel) {
  EXPECT_EQ(decoder_complaints("[info] frame=   20 fps=0.0\n"
                               "[h264 @ 0x55d0] [warning] concealing errors\n"
                               "[matroska,webm @ 0x55d0c0a8] [error] File ended prematurely\n"
                               "[fatal] Conversion failed!\n"
                               "[verbose] Statistics: 6 bytes read\n"),
            "[matroska,webm @ 0x55d0c0a8] File ended prematurely\nConversion failed!\n");
  EXPECT_EQ(decoder_complaints("[info] Input #0\n[verbose] Statistics\n"), "");
}

// The same facts as ffprobe's, from real decoders: MP4 with and without audio, turned by its
// display matrix, Matroska at 30000/1001.
TEST_F(VideoProbe, TheDecodersReportAgreesWithFfprobe) {
  const auto rotated = dir_ / "rotated.mp4";
  auto r = run_process({"ffmpeg", "-v", "error", "-nostdin", "-i", (dir_ / "silent.mp4").string(), "-c", "copy",
                        "-metadata:s:v:0", "rotate=90", "-y", rotated.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto ntsc = dir_ / "ntsc.mkv";
  r = run_process({"ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi", "-i", "testsrc=s=320x240:r=30000/1001:d=1",
                   "-c:v", "libx264", "-y", ntsc.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& path : {dir_ / "in.mp4", dir_ / "silent.mp4", rotated, ntsc}) {
    SCOPED_TRACE(path.filename().string());
    const auto probed = probe_video(path);
    auto argv = decoder_log_args();
    argv.insert(argv.begin(), "ffmpeg");
    argv.insert(argv.end(), {"-nostdin", "-i", path.string(), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "bgr24",
                             "-fps_mode", "passthrough", "-y", "/dev/null"});
    r = run_process(argv);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(decoder_report_complete(r.err)) << r.err;
    const auto report = parse_decoder_report(r.err, path);
    EXPECT_TRUE(report.fps_exact);
    EXPECT_EQ(report.info.fps, probed.fps);
    EXPECT_EQ(report.info.width, probed.width);
    EXPECT_EQ(report.info.height, probed.height);
    EXPECT_EQ(report.info.rotation, probed.rotation);
    EXPECT_EQ(report.info.codec, probed.codec);
    EXPECT_EQ(report.info.pixel_format, probed.pixel_format);
    EXPECT_EQ(report.info.has_audio, probed.has_audio);
    EXPECT_EQ(report.info.audio.codec, probed.audio.codec);
    EXPECT_NEAR(report.info.duration_s, probed.duration_s, 0.1);
    EXPECT_NEAR(static_cast<double>(report.info.frame_count), static_cast<double>(probed.frame_count), 2.0);
  }
}

// The sound-track hint agrees with ffprobe on MP4 and MOV, with the moov first (+faststart) or
// last (ffmpeg's default); another container, a text file and a missing one say no.
TEST_F(VideoProbe, AnMp4DeclaresItsSoundTrack) {
  const auto faststart = dir_ / "faststart.mov";
  auto r = run_process({"ffmpeg", "-v", "error", "-nostdin", "-i", (dir_ / "in.mp4").string(), "-c", "copy",
                        "-movflags", "+faststart", "-y", faststart.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto mkv = dir_ / "with-audio.mkv";
  r = run_process({"ffmpeg", "-v", "error", "-nostdin", "-i", (dir_ / "in.mp4").string(), "-c", "copy", "-y", mkv.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(mp4_declares_sound(dir_ / "in.mp4"));
  EXPECT_TRUE(mp4_declares_sound(faststart));
  EXPECT_FALSE(mp4_declares_sound(dir_ / "silent.mp4"));
  EXPECT_FALSE(mp4_declares_sound(mkv));
  std::ofstream(dir_ / "text.mp4") << "not a video at all";
  EXPECT_FALSE(mp4_declares_sound(dir_ / "text.mp4"));
  EXPECT_FALSE(mp4_declares_sound(dir_ / "absent.mp4"));
}

}  // namespace
}  // namespace dlc::media
