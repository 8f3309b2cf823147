#pragma once

#include <string>
#include <vector>

namespace dlc::media {

struct OpenCvInfo {
  std::string version;
  std::vector<std::string> video_backends;  // compiled in: "FFMPEG", "GStreamer", "v4l/v4l2", ...
};

// Read from opencv_core's build information, so dlc need not link opencv_videoio (its 220-odd
// libraries cost about 60 MB of RSS at start-up in every process).
OpenCvInfo probe_opencv();

// The backends marked YES in the "Video I/O:" section of cv::getBuildInformation().
std::vector<std::string> parse_video_backends(const std::string& build_information);

}  // namespace dlc::media
