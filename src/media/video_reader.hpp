#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

#include "media/child_process.hpp"
#include "media/video_probe.hpp"

namespace dlc::media {

// How a decode ended, for reporting a video whose tail is corrupt ("decoded 812 frames, then ...").
struct DecodeResult {
  bool clean = false;  // ffmpeg exited 0
  int exit_code = -1;
  std::int64_t frames_read = 0;
  std::string stderr_tail;
};

// Decodes a video to 8-bit BGR frames, one at a time, through
// `ffmpeg -v error -nostdin -i PATH -f rawvideo -pix_fmt bgr24 -fps_mode passthrough pipe:1`.
// Holds no frame itself: the only frame buffer is the caller's Mat, and the pipe (64 KiB) is the
// only other buffering, so memory does not depend on the video's length or frame size beyond one
// frame.
class VideoReader {
 public:
  // Probes first (throws VideoError), then starts ffmpeg (throws SpawnError).
  explicit VideoReader(const std::filesystem::path& path);
  // Probe results; width and height are the size of every frame read() gives.
  const VideoInfo& info() const { return info_; }

  // Fills frame, a CV_8UC3 Mat of info()'s size, allocating only when it is not one already.
  // False at the end of the video (or a short last frame); then call finish().
  bool read(cv::Mat& frame);
  std::int64_t frames_read() const { return frames_read_; }
  // Waits for ffmpeg (stopping it through the closed pipe when called before the end) and says
  // whether it exited cleanly. Further calls give the same result.
  DecodeResult finish();

 private:
  VideoInfo info_;
  ChildProcess ffmpeg_;
  std::int64_t frames_read_ = 0;
  bool ended_ = false;
};

}  // namespace dlc::media
