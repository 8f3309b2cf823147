#include "media/v4l2_output.hpp"

#include <fcntl.h>
#include <linux/videodev2.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <opencv2/imgproc.hpp>

#include <cerrno>
#include <cstring>

namespace dlc::media {
namespace {

std::string open_problem(const std::string& device, int error) {
  switch (error) {
    case ENOENT:
    case ENODEV:
    case ENXIO:
      return fmt::format("{}: no such device; is the v4l2loopback module loaded? ({})", device, kV4l2LoopbackModprobe);
    case EACCES:
    case EPERM:
      return fmt::format("{}: permission denied; add yourself to group video (sudo usermod -aG video $USER, then "
                         "log in again)",
                         device);
    case EBUSY:
      return fmt::format("{}: device busy; another program is writing to it (close it, or give another device)",
                         device);
    default:
      return fmt::format("{}: cannot open for writing: {}", device, std::strerror(error));
  }
}

bool is_loopback_output(const V4l2Caps& caps) { return caps.driver == kV4l2LoopbackDriver && caps.output(); }

std::string not_loopback(const std::string& device, const V4l2Caps& caps) {
  return fmt::format("{}: not a v4l2loopback output device (driver \"{}\", card \"{}\"); give a v4l2loopback device, "
                     "or load the module ({})",
                     device, caps.driver, caps.card, kV4l2LoopbackModprobe);
}

// The first node whose driver is v4l2loopback; nodes that cannot be opened are passed over.
std::string first_loopback(V4l2Io& io) {
  const auto nodes = io.video_nodes();
  for (const auto& node : nodes) {
    const int fd = io.open(node, O_RDONLY | O_NONBLOCK);
    if (fd < 0) continue;
    const V4l2Fd owner(io, fd);
    V4l2Caps caps;
    int error = 0;
    if (query_caps(io, fd, caps, error) && caps.driver == kV4l2LoopbackDriver) return node;
  }
  if (nodes.empty()) {
    throw V4l2OutputError(fmt::format("no video device at all: the v4l2loopback module is not loaded ({})",
                                      kV4l2LoopbackModprobe));
  }
  throw V4l2OutputError(fmt::format("no v4l2loopback device among {}: the module is not loaded ({})",
                                    fmt::join(nodes, ", "), kV4l2LoopbackModprobe));
}

}  // namespace

V4l2Output::V4l2Output(const V4l2OutputOptions& options, V4l2Io& io)
    : io_(io),
      device_(options.device.empty() ? first_loopback(io) : options.device),
      size_(options.size),
      fd_(io, io.open(device_, O_WRONLY)) {
  if (size_.width <= 0 || size_.height <= 0 || size_.width % 2 != 0 || size_.height % 2 != 0) {
    throw std::invalid_argument("V4l2Output: the size must be even both ways (I420)");
  }
  if (fd_.get() < 0) throw V4l2OutputError(open_problem(device_, -fd_.get()));
  V4l2Caps caps;
  int error = 0;
  if (!query_caps(io_, fd_.get(), caps, error)) {
    throw V4l2OutputError(fmt::format("{}: not a V4L2 device (VIDIOC_QUERYCAP: {}); give a v4l2loopback device",
                                      device_, std::strerror(error)));
  }
  if (!is_loopback_output(caps)) throw V4l2OutputError(not_loopback(device_, caps));
  card_ = caps.card;

  const auto width = static_cast<unsigned>(size_.width);
  const auto height = static_cast<unsigned>(size_.height);
  v4l2_format format{};
  format.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
  format.fmt.pix.width = width;
  format.fmt.pix.height = height;
  format.fmt.pix.pixelformat = V4L2_PIX_FMT_YUV420;
  format.fmt.pix.field = V4L2_FIELD_NONE;
  format.fmt.pix.bytesperline = width;
  format.fmt.pix.sizeimage = width * height * 3 / 2;
  format.fmt.pix.colorspace = V4L2_COLORSPACE_SRGB;
  if (const int r = io_.ioctl(fd_.get(), VIDIOC_S_FMT, &format); r < 0) {
    // v4l2loopback answers EBUSY when another writer holds the format.
    if (-r == EBUSY) throw V4l2OutputError(open_problem(device_, EBUSY));
    throw V4l2OutputError(fmt::format("{}: the device refused {}x{} YUV420 (VIDIOC_S_FMT: {})", device_, width,
                                      height, std::strerror(-r)));
  }
  if (format.fmt.pix.width != width || format.fmt.pix.height != height ||
      format.fmt.pix.pixelformat != V4L2_PIX_FMT_YUV420 || format.fmt.pix.sizeimage != width * height * 3 / 2) {
    throw V4l2OutputError(fmt::format("{}: asked for {}x{} YUV420, the device set {}x{} {} ({} bytes a frame); "
                                      "another program may have fixed its format (max_width/max_height?)",
                                      device_, width, height, format.fmt.pix.width, format.fmt.pix.height,
                                      fourcc_name(format.fmt.pix.pixelformat), format.fmt.pix.sizeimage));
  }
  // The rate readers are told; v4l2loopback keeps it, other drivers may not take it (not an error:
  // the frames are paced anyway).
  v4l2_streamparm parm{};
  parm.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
  parm.parm.output.timeperframe.numerator = static_cast<unsigned>(options.fps.den);
  parm.parm.output.timeperframe.denominator = static_cast<unsigned>(options.fps.num);
  io_.ioctl(fd_.get(), VIDIOC_S_PARM, &parm);
  i420_.create(size_.height * 3 / 2, size_.width, CV_8UC1);
}

bool V4l2Output::write(const cv::Mat& frame) {
  if (frame.type() != CV_8UC3 || frame.size() != size_) {
    throw std::invalid_argument(fmt::format("V4l2Output: frame is not {}x{} BGR", size_.width, size_.height));
  }
  cv::cvtColor(frame, i420_, cv::COLOR_BGR2YUV_I420);
  const auto bytes = i420_.total();
  const long r = io_.write(fd_.get(), i420_.data, bytes);
  if (r < 0) {
    problem_ = fmt::format("{}: writing a frame failed: {}", device_, std::strerror(static_cast<int>(-r)));
    return false;
  }
  if (static_cast<std::size_t>(r) != bytes) {
    problem_ = fmt::format("{}: the device took {} of a frame's {} bytes", device_, r, bytes);
    return false;
  }
  ++frames_written_;
  return true;
}

}  // namespace dlc::media
