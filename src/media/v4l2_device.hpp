#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace dlc::media {

// The system calls dlc's V4L2 code makes (the virtual camera's output, the camera list), behind
// one small interface so that a test's fake device can answer them and record what was asked.
// Every call returns what the system call would, with errno folded in: >= 0 on success, -errno
// on failure.
class V4l2Io {
 public:
  virtual ~V4l2Io() = default;
  virtual int open(const std::string& path, int flags) = 0;
  virtual int ioctl(int fd, unsigned long request, void* arg) = 0;
  virtual long write(int fd, const void* data, std::size_t size) = 0;
  virtual void close(int fd) = 0;
  // The video device nodes, /dev/video0 before /dev/video2 before /dev/video10.
  virtual std::vector<std::string> video_nodes() = 0;
};

// The real system calls, on the nodes named videoN in dev_dir.
class SystemV4l2 final : public V4l2Io {
 public:
  explicit SystemV4l2(std::filesystem::path dev_dir = "/dev") : dev_dir_(std::move(dev_dir)) {}
  int open(const std::string& path, int flags) override;
  int ioctl(int fd, unsigned long request, void* arg) override;
  long write(int fd, const void* data, std::size_t size) override;
  void close(int fd) override;
  std::vector<std::string> video_nodes() override;

 private:
  std::filesystem::path dev_dir_;
};

// One open device node, closed by the destructor.
class V4l2Fd {
 public:
  V4l2Fd(V4l2Io& io, int fd) : io_(&io), fd_(fd) {}
  ~V4l2Fd() {
    if (fd_ >= 0) io_->close(fd_);
  }
  V4l2Fd(V4l2Fd&& other) noexcept : io_(other.io_), fd_(other.fd_) { other.fd_ = -1; }
  V4l2Fd(const V4l2Fd&) = delete;
  V4l2Fd& operator=(const V4l2Fd&) = delete;
  V4l2Fd& operator=(V4l2Fd&&) = delete;
  int get() const { return fd_; }

 private:
  V4l2Io* io_;
  int fd_;
};

// VIDIOC_QUERYCAP's answer, with the capabilities of the node itself (device_caps when the
// driver gives them, else capabilities).
struct V4l2Caps {
  std::string driver;  // "v4l2 loopback", "uvcvideo"
  std::string card;    // "HD Webcam", v4l2loopback's card_label
  std::string bus;
  unsigned caps = 0;
  bool capture() const;
  bool output() const;
};
// false (errno as -result in `error`) when the node does not answer VIDIOC_QUERYCAP.
bool query_caps(V4l2Io& io, int fd, V4l2Caps& caps, int& error);

// "YUYV" for V4L2_PIX_FMT_YUYV.
std::string fourcc_name(unsigned fourcc);

}  // namespace dlc::media
