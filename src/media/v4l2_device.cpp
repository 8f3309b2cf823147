#include "media/v4l2_device.hpp"

#include <fcntl.h>
#include <linux/videodev2.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <system_error>

namespace dlc::media {
namespace {

// "video12" -> 12; anything else -> -1.
int video_number(const std::string& name) {
  if (!name.starts_with("video")) return -1;
  int n = -1;
  const auto* first = name.data() + 5;
  const auto* last = name.data() + name.size();
  const auto [ptr, ec] = std::from_chars(first, last, n);
  return ec == std::errc() && ptr == last && first != last ? n : -1;
}

std::string fixed_string(const unsigned char* text, std::size_t size) {
  return {reinterpret_cast<const char*>(text), strnlen(reinterpret_cast<const char*>(text), size)};
}

}  // namespace

int SystemV4l2::open(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  return fd >= 0 ? fd : -errno;
}

int SystemV4l2::ioctl(int fd, unsigned long request, void* arg) {
  int r = 0;
  do {
    r = ::ioctl(fd, request, arg);
  } while (r < 0 && errno == EINTR);
  return r >= 0 ? r : -errno;
}

long SystemV4l2::write(int fd, const void* data, std::size_t size) {
  ssize_t r = 0;
  do {
    r = ::write(fd, data, size);
  } while (r < 0 && errno == EINTR);
  return r >= 0 ? static_cast<long>(r) : -errno;
}

void SystemV4l2::close(int fd) { ::close(fd); }

std::vector<std::string> SystemV4l2::video_nodes() {
  std::vector<std::pair<int, std::string>> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dev_dir_, ec)) {
    const auto n = video_number(entry.path().filename().string());
    if (n >= 0) found.emplace_back(n, entry.path().string());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> nodes;
  for (auto& [n, path] : found) nodes.push_back(std::move(path));
  return nodes;
}

bool V4l2Caps::capture() const { return (caps & (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_CAPTURE_MPLANE)) != 0; }
bool V4l2Caps::output() const { return (caps & (V4L2_CAP_VIDEO_OUTPUT | V4L2_CAP_VIDEO_OUTPUT_MPLANE)) != 0; }

bool query_caps(V4l2Io& io, int fd, V4l2Caps& caps, int& error) {
  v4l2_capability cap{};
  const int r = io.ioctl(fd, VIDIOC_QUERYCAP, &cap);
  if (r < 0) {
    error = -r;
    return false;
  }
  caps.driver = fixed_string(cap.driver, sizeof cap.driver);
  caps.card = fixed_string(cap.card, sizeof cap.card);
  caps.bus = fixed_string(cap.bus_info, sizeof cap.bus_info);
  caps.caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) != 0 ? cap.device_caps : cap.capabilities;
  return true;
}

std::string fourcc_name(unsigned fourcc) {
  std::string name;
  for (int i = 0; i < 4; ++i) {
    const char c = static_cast<char>((fourcc >> (8 * i)) & 0xff);
    if (c != ' ' && c != '\0') name.push_back(c);
  }
  return name;
}

}  // namespace dlc::media
