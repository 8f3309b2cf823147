#include "media/fake_v4l2.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace dlc::test {
namespace {

void copy_name(unsigned char* to, std::size_t size, const std::string& from) {
  std::memset(to, 0, size);
  std::memcpy(to, from.data(), std::min(size - 1, from.size()));
}

const FakeSize* find_size(const FakeNode& node, unsigned fourcc, unsigned width, unsigned height) {
  for (const auto& format : node.formats) {
    if (format.fourcc != fourcc) continue;
    for (const auto& size : format.sizes) {
      if (size.width == width && size.height == height) return &size;
    }
  }
  return nullptr;
}

}  // namespace

constexpr int kFirstFd = 100;

const FakeNode* FakeV4l2::node(int fd) const {
  const auto i = static_cast<std::size_t>(fd - kFirstFd);
  return open_fds.contains(fd) && i < nodes_.size() ? &nodes_[i] : nullptr;
}

int FakeV4l2::open(const std::string& path, int flags) {
  calls.push_back("open " + path + ((flags & O_ACCMODE) == O_WRONLY ? " wronly" : " rdonly"));
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].path != path) continue;
    if (nodes_[i].open_error != 0) return -nodes_[i].open_error;
    const int fd = kFirstFd + static_cast<int>(i);
    open_fds.insert(fd);
    return fd;
  }
  return -ENOENT;
}

int FakeV4l2::ioctl(int fd, unsigned long request, void* arg) {
  const auto* n = node(fd);
  if (n == nullptr) return -EBADF;
  if (request == VIDIOC_QUERYCAP) {
    calls.push_back("QUERYCAP " + n->path);
    if (n->querycap_error != 0) return -n->querycap_error;
    auto* cap = static_cast<v4l2_capability*>(arg);
    *cap = {};
    copy_name(cap->driver, sizeof cap->driver, n->driver);
    copy_name(cap->card, sizeof cap->card, n->card);
    copy_name(cap->bus_info, sizeof cap->bus_info, "platform:" + n->driver);
    cap->capabilities = n->caps | V4L2_CAP_DEVICE_CAPS;
    cap->device_caps = n->caps;
    return 0;
  }
  if (request == VIDIOC_S_FMT) {
    calls.push_back("S_FMT");
    if (n->s_fmt_error != 0) return -n->s_fmt_error;
    auto* f = static_cast<v4l2_format*>(arg);
    if (f->type != V4L2_BUF_TYPE_VIDEO_OUTPUT) return -EINVAL;
    if (n->forced_width != 0) {
      f->fmt.pix.width = n->forced_width;
      f->fmt.pix.bytesperline = n->forced_width;
      f->fmt.pix.sizeimage = n->forced_width * f->fmt.pix.height * 3 / 2;
    }
    format = *f;
    return 0;
  }
  if (request == VIDIOC_S_PARM) {
    calls.push_back("S_PARM");
    parm = *static_cast<v4l2_streamparm*>(arg);
    return 0;
  }
  if (request == VIDIOC_ENUM_FMT) {
    auto* d = static_cast<v4l2_fmtdesc*>(arg);
    if (d->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || d->index >= n->formats.size()) return -EINVAL;
    d->pixelformat = n->formats[d->index].fourcc;
    return 0;
  }
  if (request == VIDIOC_ENUM_FRAMESIZES) {
    auto* e = static_cast<v4l2_frmsizeenum*>(arg);
    for (const auto& offered : n->formats) {
      if (offered.fourcc != e->pixel_format) continue;
      if (e->index >= offered.sizes.size()) return -EINVAL;
      e->type = V4L2_FRMSIZE_TYPE_DISCRETE;
      e->discrete.width = offered.sizes[e->index].width;
      e->discrete.height = offered.sizes[e->index].height;
      return 0;
    }
    return -EINVAL;
  }
  if (request == VIDIOC_ENUM_FRAMEINTERVALS) {
    auto* e = static_cast<v4l2_frmivalenum*>(arg);
    const auto* size = find_size(*n, e->pixel_format, e->width, e->height);
    if (size == nullptr || e->index >= size->fps.size()) return -EINVAL;
    e->type = V4L2_FRMIVAL_TYPE_DISCRETE;
    e->discrete.numerator = 1;
    e->discrete.denominator = size->fps[e->index];
    return 0;
  }
  return -ENOTTY;
}

long FakeV4l2::write(int fd, const void* data, std::size_t size) {
  const auto* n = node(fd);
  if (n == nullptr) return -EBADF;
  calls.push_back("write " + std::to_string(size));
  if (n->write_error != 0) return -n->write_error;
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  writes.emplace_back(bytes, bytes + size);
  return static_cast<long>(size);
}

void FakeV4l2::close(int fd) {
  calls.push_back("close");
  open_fds.erase(fd);
}

std::vector<std::string> FakeV4l2::video_nodes() {
  std::vector<std::string> paths;
  for (const auto& n : nodes_) paths.push_back(n.path);
  return paths;
}

}  // namespace dlc::test
