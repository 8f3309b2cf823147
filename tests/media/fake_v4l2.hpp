#pragma once

#include <linux/videodev2.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "media/v4l2_device.hpp"

namespace dlc::test {

// What a fake node offers to a capture listing: a format, its sizes, each size's rates.
struct FakeSize {
  unsigned width = 0;
  unsigned height = 0;
  std::vector<unsigned> fps;  // discrete rates (interval 1/fps)
};
struct FakeFormat {
  unsigned fourcc = 0;
  std::vector<FakeSize> sizes;
};

// A device node as the fake answers for it.
struct FakeNode {
  std::string path;
  int open_error = 0;      // errno open() fails with
  int querycap_error = 0;  // errno VIDIOC_QUERYCAP fails with (ENOTTY: not a V4L2 node)
  std::string driver = "v4l2 loopback";
  std::string card = "dlc";
  unsigned caps = V4L2_CAP_VIDEO_OUTPUT;
  int s_fmt_error = 0;       // errno VIDIOC_S_FMT fails with
  unsigned forced_width = 0;  // VIDIOC_S_FMT sets this width whatever is asked (0: as asked)
  int write_error = 0;       // errno write() fails with
  std::vector<FakeFormat> formats{};
};

// A V4l2Io that answers from FakeNodes and records each call and the bytes written.
class FakeV4l2 final : public media::V4l2Io {
 public:
  explicit FakeV4l2(std::vector<FakeNode> nodes) : nodes_(std::move(nodes)) {}
  int open(const std::string& path, int flags) override;
  int ioctl(int fd, unsigned long request, void* arg) override;
  long write(int fd, const void* data, std::size_t size) override;
  void close(int fd) override;
  std::vector<std::string> video_nodes() override;

  std::vector<std::string> calls;  // "open /dev/video4 wronly", "QUERYCAP /dev/video4", "S_FMT", "write 4608", "close"
  v4l2_format format{};             // the last VIDIOC_S_FMT as the fake set it
  v4l2_streamparm parm{};           // the last VIDIOC_S_PARM
  std::vector<std::vector<std::uint8_t>> writes;
  std::set<int> open_fds;

 private:
  const FakeNode* node(int fd) const;
  std::vector<FakeNode> nodes_;
};

}  // namespace dlc::test
