#pragma once

#include <set>
#include <string>

namespace dlc::media {

// What the ffmpeg program on this machine is and can encode.
struct FfmpegInfo {
  bool found = false;
  std::string program;
  std::string version;            // first line of `ffmpeg -version`
  std::set<std::string> encoders;  // names from `ffmpeg -encoders`
  std::string problem;            // why not found
};

// Runs `PROGRAM -version` and `PROGRAM -hide_banner -encoders` (argv only, no shell).
FfmpegInfo probe_ffmpeg(const std::string& program = "ffmpeg");

// Parses the table `ffmpeg -encoders` prints (" V....D libx264   libx264 H.264 ...").
std::set<std::string> parse_encoder_list(const std::string& text);

}  // namespace dlc::media
