#include "media/camera_source.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "media/fake_v4l2.hpp"
#include "support/paths.hpp"

namespace dlc::media {
namespace {

class FileCameraTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::make_temp_dir();
    clip_ = test::make_test_clip(dir_, "clip.mp4", false);  // 50 frames, 25 fps, 320×240
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::filesystem::path clip_;
};

CameraOptions options_for(std::string camera) {
  CameraOptions options;
  options.camera = std::move(camera);
  return options;
}

constexpr auto kInterval = std::chrono::milliseconds(40);

// Whole frame intervals between two timestamps; fails when they are not a whole number apart.
std::int64_t intervals_between(CameraTime a, CameraTime b) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
  const auto interval_ns = std::chrono::nanoseconds(kInterval).count();
  const auto whole = (ns + interval_ns / 2) / interval_ns;
  EXPECT_NEAR(static_cast<double>(ns), static_cast<double>(whole * interval_ns), 1000.0);
  return whole;
}

// Every frame of the file is either given, stamped with its own time on the file's clock, or
// counted as skipped; the rate and size are the file's.
TEST_F(FileCameraTest, GivesTheFileAtItsOwnPace) {
  const auto camera = open_camera(options_for(clip_.string()));
  EXPECT_EQ(camera->frame_rate(), (Rational{25, 1}));
  EXPECT_EQ(camera->frame_size(), cv::Size(320, 240));
  EXPECT_EQ(camera->name(), clip_.string());
  cv::Mat frame;
  std::vector<CameraTime> stamps;
  CameraTime stamp;
  while (camera->read(frame, stamp)) {
    ASSERT_EQ(frame.size(), cv::Size(320, 240));
    ASSERT_EQ(frame.type(), CV_8UC3);
    stamps.push_back(stamp);
  }
  ASSERT_FALSE(stamps.empty());
  EXPECT_EQ(static_cast<std::int64_t>(stamps.size()) + camera->frames_skipped(), 50);
  std::int64_t last = 0;
  for (std::size_t i = 1; i < stamps.size(); ++i) {
    const auto k = intervals_between(stamps.front(), stamps[i]);
    EXPECT_GT(k, last);
    last = k;
  }
  EXPECT_LE(last, 49);
  EXPECT_FALSE(camera->read(frame, stamp));  // stays ended
}

// --camera-size and --camera-fps are asked of a device only: a file keeps its own size and rate.
TEST_F(FileCameraTest, KeepsItsOwnSizeAndRateWhateverIsAsked) {
  auto options = options_for(clip_.string());
  options.size = cv::Size(640, 480);
  options.fps = 10;
  const auto camera = open_camera(options);
  EXPECT_EQ(camera->frame_size(), cv::Size(320, 240));
  EXPECT_EQ(camera->frame_rate(), (Rational{25, 1}));
  cv::Mat frame;
  CameraTime stamp;
  ASSERT_TRUE(camera->read(frame, stamp));
  EXPECT_EQ(frame.size(), cv::Size(320, 240));
}

// A reader that comes back three frame intervals later gets the newest frame, not the next one.
TEST_F(FileCameraTest, SkipsFramesWhoseTimeHasPassed) {
  const auto camera = open_camera(options_for(clip_.string()));
  cv::Mat frame;
  CameraTime previous;
  ASSERT_TRUE(camera->read(frame, previous));
  int reads = 1;
  CameraTime stamp;
  for (; reads < 8; ++reads) {
    std::this_thread::sleep_for(3 * kInterval);
    ASSERT_TRUE(camera->read(frame, stamp));
    EXPECT_GE(intervals_between(previous, stamp), 3);
    previous = stamp;
  }
  EXPECT_GE(camera->frames_skipped(), 2 * (reads - 1));
  while (camera->read(frame, stamp)) ++reads;
  EXPECT_EQ(reads + camera->frames_skipped(), 50);
}

TEST(CameraSource, MissingDeviceIsNamed) {
  for (const char* spec : {"/dev/video99", "99"}) {
    try {
      open_camera(options_for(spec));
      ADD_FAILURE() << spec << " opened";
    } catch (const VideoError& e) {
      EXPECT_EQ(e.path(), "/dev/video99");
      EXPECT_NE(std::string(e.what()).find("/dev/video99"), std::string::npos) << e.what();
    }
  }
}

// A device camera needs OpenCV's videoio from dlc_opencv_live.so: without it the error names the
// device and the module's problem. In a fresh process (the death test re-executes this binary),
// since another test of this one may have loaded the module already.
TEST(CameraSource, DeviceWithoutTheModuleNamesTheProblem) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("DLC_LIVE_MODULE", "/nonexistent/dlc_opencv_live.so", 1);
        try {
          open_camera(options_for("/dev/null"));  // a device node that exists, so the module is needed
        } catch (const VideoError& e) {
          std::fprintf(stderr, "path %s: %s\n", e.path().c_str(), e.what());
          std::_Exit(3);
        }
        std::_Exit(1);
      },
      testing::ExitedWithCode(3),
      "path /dev/null: /dev/null: a device camera needs OpenCV's videoio, but /nonexistent/dlc_opencv_live.so "
      "cannot be loaded \\(.*No such file");
}

TEST(CameraSource, NeitherCameraNorFileIsRefused) {
  try {
    open_camera(options_for("/no/such/clip.mp4"));
    ADD_FAILURE() << "opened";
  } catch (const VideoError& e) {
    EXPECT_NE(std::string(e.what()).find("/no/such/clip.mp4"), std::string::npos) << e.what();
  }
}

TEST(CameraSource, AFileThatIsNotAVideoIsRefused) {
  const auto dir = test::make_temp_dir();
  const auto path = dir / "notes.txt";
  { std::ofstream(path) << "not a video\n"; }
  EXPECT_THROW(open_camera(options_for(path.string())), VideoError);
  std::filesystem::remove_all(dir);
}

TEST(CameraSource, ParsesFrameSizes) {
  EXPECT_EQ(parse_frame_size("1280x720"), cv::Size(1280, 720));
  for (const char* bad : {"", "1280", "x720", "1280x", "0x720", "12a0x720", "-1x5"}) {
    EXPECT_THROW(parse_frame_size(bad), std::invalid_argument) << bad;
  }
}

TEST(CameraSource, MeasuredRatesBecomeRationals) {
  EXPECT_EQ(rate_rational(29.98), (Rational{30, 1}));
  EXPECT_EQ(rate_rational(25.0), (Rational{25, 1}));
  EXPECT_EQ(rate_rational(14.5), (Rational{14500, 1000}));
  EXPECT_FALSE(rate_rational(0.0).valid());
}

// Two webcams and a v4l2loopback device (output only: exclusive_caps=1 with no writer).
std::vector<test::FakeNode> two_webcams() {
  return {{.path = "/dev/video0",
           .driver = "uvcvideo",
           .card = "HD Webcam: HD Webcam",
           .caps = V4L2_CAP_VIDEO_CAPTURE,
           .formats = {{V4L2_PIX_FMT_MJPEG, {{1280, 720, {30, 15}}, {640, 480, {30}}}}, {V4L2_PIX_FMT_YUYV, {{640, 480, {30, 5}}}}}},
          {.path = "/dev/video1", .driver = "uvcvideo", .card = "HD Webcam: HD Webcam", .caps = V4L2_CAP_META_CAPTURE},
          {.path = "/dev/video2", .driver = "uvcvideo", .card = "Integrated Camera", .caps = V4L2_CAP_VIDEO_CAPTURE,
           .formats = {{V4L2_PIX_FMT_YUYV, {{640, 360, {25}}}}}},
          {.path = "/dev/video4", .card = "dlc", .caps = V4L2_CAP_VIDEO_OUTPUT},
          {.path = "/dev/video5", .open_error = EACCES}};
}

TEST(CameraList, ListsCaptureDevicesWithTheirFormatsSizesAndRates) {
  test::FakeV4l2 io(two_webcams());
  const auto cameras = list_cameras(io);
  ASSERT_EQ(cameras.size(), 2u);
  EXPECT_EQ(cameras[0].node, "/dev/video0");
  EXPECT_EQ(cameras[1].node, "/dev/video2");
  EXPECT_EQ(describe_cameras(cameras),
            "/dev/video0: \"HD Webcam: HD Webcam\" (uvcvideo)\n"
            "  MJPG 1280x720 at 30, 15\n"
            "  MJPG 640x480 at 30\n"
            "  YUYV 640x480 at 30, 5\n"
            "/dev/video2: \"Integrated Camera\" (uvcvideo)\n"
            "  YUYV 640x360 at 25\n");
  EXPECT_TRUE(io.open_fds.empty());
  test::FakeV4l2 none(std::vector<test::FakeNode>{});
  EXPECT_EQ(describe_cameras(list_cameras(none)), "no camera found (no capture device among /dev/video*)\n");
}

TEST(CameraList, FindsACameraByItsNameWithoutCaseOrByAPartOfIt) {
  test::FakeV4l2 io(two_webcams());
  EXPECT_EQ(camera_by_name("hd webcam: hd webcam", io), "/dev/video0");
  EXPECT_EQ(camera_by_name("Integrated", io), "/dev/video2");
  try {
    camera_by_name("Logitech", io);
    FAIL() << "no error";
  } catch (const VideoError& e) {
    EXPECT_STREQ(e.what(), "Logitech: no camera names match; the cameras here: \"HD Webcam: HD Webcam\" (/dev/video0), "
                           "\"Integrated Camera\" (/dev/video2) (dlc live --list-cameras)");
  }
  try {
    camera_by_name("cam", io);
    FAIL() << "no error";
  } catch (const VideoError& e) {
    EXPECT_NE(std::string(e.what()).find("cam: several camera names match"), std::string::npos) << e.what();
  }
  test::FakeV4l2 none(std::vector<test::FakeNode>{});
  EXPECT_THROW(camera_by_name("HD Webcam", none), VideoError);
}

}  // namespace
}  // namespace dlc::media
