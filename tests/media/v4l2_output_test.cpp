#include "media/v4l2_output.hpp"

#include <gtest/gtest.h>
#include <linux/videodev2.h>

#include <cerrno>

#include "media/fake_v4l2.hpp"

namespace dlc::media {
namespace {

using test::FakeNode;
using test::FakeV4l2;

V4l2OutputOptions small(std::string device = "/dev/video4") { return {std::move(device), {64, 48}, {25, 1}}; }

std::string error_of(FakeV4l2& io, const V4l2OutputOptions& options) {
  try {
    V4l2Output out(options, io);
  } catch (const V4l2OutputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(V4l2Output, ChecksTheDeviceSetsTheFormatAndWritesOneI420FramePerFrame) {
  FakeV4l2 io(std::vector<FakeNode>{{.path = "/dev/video4", .card = "dlc"}});
  {
    V4l2Output out(small(), io);
    EXPECT_EQ(out.card(), "dlc");
    EXPECT_EQ(io.format.type, V4L2_BUF_TYPE_VIDEO_OUTPUT);
    EXPECT_EQ(io.format.fmt.pix.pixelformat, static_cast<unsigned>(V4L2_PIX_FMT_YUV420));
    EXPECT_EQ(io.format.fmt.pix.width, 64u);
    EXPECT_EQ(io.format.fmt.pix.height, 48u);
    EXPECT_EQ(io.format.fmt.pix.bytesperline, 64u);
    EXPECT_EQ(io.format.fmt.pix.sizeimage, 64u * 48u * 3 / 2);
    // The advertised rate: 1/25 s a frame.
    EXPECT_EQ(io.parm.type, V4L2_BUF_TYPE_VIDEO_OUTPUT);
    EXPECT_EQ(io.parm.parm.output.timeperframe.numerator, 1u);
    EXPECT_EQ(io.parm.parm.output.timeperframe.denominator, 25u);
    cv::Mat frame(48, 64, CV_8UC3, cv::Scalar(255, 255, 255));  // white: Y 235..255, U and V 128
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(out.write(frame)) << out.problem();
    EXPECT_EQ(out.frames_written(), 3);
    EXPECT_THROW(out.write(cv::Mat(48, 32, CV_8UC3)), std::invalid_argument);
  }
  EXPECT_EQ(io.calls, (std::vector<std::string>{"open /dev/video4 wronly", "QUERYCAP /dev/video4", "S_FMT", "S_PARM",
                                                 "write 4608", "write 4608", "write 4608", "close"}));
  ASSERT_EQ(io.writes.size(), 3u);
  const auto& bytes = io.writes[0];
  EXPECT_GE(bytes[0], 235);                  // Y plane first
  EXPECT_NEAR(bytes[64 * 48], 128, 2);       // then U (a quarter of the pixels)
  EXPECT_NEAR(bytes[64 * 48 * 5 / 4], 128, 2);  // then V
  EXPECT_TRUE(io.open_fds.empty());
}

TEST(V4l2Output, WithoutADevicePicksTheFirstLoopbackDevice) {
  FakeV4l2 io(std::vector<FakeNode>{{.path = "/dev/video0", .driver = "uvcvideo", .card = "HD Webcam", .caps = V4L2_CAP_VIDEO_CAPTURE},
               {.path = "/dev/video1", .open_error = EACCES},
               {.path = "/dev/video6", .card = "dlc"},
               {.path = "/dev/video7", .card = "other"}});
  V4l2Output out(small(""), io);
  EXPECT_EQ(out.device(), "/dev/video6");
  EXPECT_TRUE(io.open_fds.size() == 1);  // the probes were closed
}

TEST(V4l2Output, NoDeviceAtAllSaysToLoadTheModule) {
  FakeV4l2 io(std::vector<FakeNode>{});
  EXPECT_EQ(error_of(io, small("")),
            "no video device at all: the v4l2loopback module is not loaded (sudo modprobe v4l2loopback "
            "exclusive_caps=1 card_label=dlc)");
  FakeV4l2 webcam(std::vector<FakeNode>{{.path = "/dev/video0", .driver = "uvcvideo", .caps = V4L2_CAP_VIDEO_CAPTURE}});
  EXPECT_EQ(error_of(webcam, small("")),
            "no v4l2loopback device among /dev/video0: the module is not loaded (sudo modprobe v4l2loopback "
            "exclusive_caps=1 card_label=dlc)");
}

TEST(V4l2Output, EachErrorSaysWhatToDo) {
  FakeV4l2 missing(std::vector<FakeNode>{});
  EXPECT_EQ(error_of(missing, small("/dev/video9")),
            "/dev/video9: no such device; is the v4l2loopback module loaded? (sudo modprobe v4l2loopback "
            "exclusive_caps=1 card_label=dlc)");
  FakeV4l2 denied(std::vector<FakeNode>{{.path = "/dev/video4", .open_error = EACCES}});
  EXPECT_EQ(error_of(denied, small()),
            "/dev/video4: permission denied; add yourself to group video (sudo usermod -aG video $USER, then log in "
            "again)");
  FakeV4l2 busy(std::vector<FakeNode>{{.path = "/dev/video4", .open_error = EBUSY}});
  EXPECT_EQ(error_of(busy, small()),
            "/dev/video4: device busy; another program is writing to it (close it, or give another device)");
  FakeV4l2 busy_format(std::vector<FakeNode>{{.path = "/dev/video4", .s_fmt_error = EBUSY}});
  EXPECT_EQ(error_of(busy_format, small()), error_of(busy, small()));
  FakeV4l2 webcam(std::vector<FakeNode>{{.path = "/dev/video4", .driver = "uvcvideo", .card = "HD Webcam", .caps = V4L2_CAP_VIDEO_CAPTURE}});
  EXPECT_EQ(error_of(webcam, small()),
            "/dev/video4: not a v4l2loopback output device (driver \"uvcvideo\", card \"HD Webcam\"); give a "
            "v4l2loopback device, or load the module (sudo modprobe v4l2loopback exclusive_caps=1 card_label=dlc)");
  // A loopback device opened by a reader first, with exclusive_caps=1, shows as capture only.
  FakeV4l2 capture_only(std::vector<FakeNode>{{.path = "/dev/video4", .caps = V4L2_CAP_VIDEO_CAPTURE}});
  EXPECT_NE(error_of(capture_only, small()).find("not a v4l2loopback output device"), std::string::npos);
  FakeV4l2 not_v4l2(std::vector<FakeNode>{{.path = "/dev/video4", .querycap_error = ENOTTY}});
  EXPECT_EQ(error_of(not_v4l2, small()),
            "/dev/video4: not a V4L2 device (VIDIOC_QUERYCAP: Inappropriate ioctl for device); give a v4l2loopback "
            "device");
  FakeV4l2 fixed(std::vector<FakeNode>{{.path = "/dev/video4", .forced_width = 640}});
  EXPECT_EQ(error_of(fixed, small()),
            "/dev/video4: asked for 64x48 YUV420, the device set 640x48 YU12 (46080 bytes a frame); another program "
            "may have fixed its format (max_width/max_height?)");
  EXPECT_TRUE(fixed.open_fds.empty());  // closed on the way out
}

TEST(V4l2Output, AFailedWriteIsReported) {
  FakeV4l2 io(std::vector<FakeNode>{{.path = "/dev/video4", .write_error = ENODEV}});
  V4l2Output out(small(), io);
  EXPECT_FALSE(out.write(cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(0))));
  EXPECT_EQ(out.problem(), "/dev/video4: writing a frame failed: No such device");
  EXPECT_EQ(out.frames_written(), 0);
}

TEST(V4l2Output, OddSizesAreRefused) {
  FakeV4l2 io(std::vector<FakeNode>{{.path = "/dev/video4"}});
  EXPECT_THROW(V4l2Output({"/dev/video4", {63, 48}, {25, 1}}, io), std::invalid_argument);
}

}  // namespace
}  // namespace dlc::media
