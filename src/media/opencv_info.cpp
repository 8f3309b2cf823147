#include "media/opencv_info.hpp"

#include <opencv2/core/utility.hpp>

#include <sstream>

namespace dlc::media {

std::vector<std::string> parse_video_backends(const std::string& build_information) {
  std::vector<std::string> backends;
  std::istringstream lines(build_information);
  std::string line;
  bool in_section = false;
  while (std::getline(lines, line)) {
    if (!in_section) {
      in_section = line.find("Video I/O:") != std::string::npos;
      continue;
    }
    if (line.find_first_not_of(' ') == std::string::npos) break;  // the section ends at a blank line
    // Backends sit at four spaces ("    FFMPEG:   YES"); their details (avcodec, ...) deeper.
    if (line.rfind("    ", 0) != 0 || line[4] == ' ') continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const auto value = line.find_first_not_of(' ', colon + 1);
    if (value != std::string::npos && line.compare(value, 3, "YES") == 0) backends.push_back(line.substr(4, colon - 4));
  }
  return backends;
}

OpenCvInfo probe_opencv() { return {cv::getVersionString(), parse_video_backends(cv::getBuildInformation())}; }

}  // namespace dlc::media
