#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "media/child_process.hpp"
#include "media/video_probe.hpp"

namespace dlc::media {

struct VideoWriterOptions {
  std::filesystem::path output;
  int width = 0;
  int height = 0;
  Rational fps{25, 1};
  std::string encoder = "libx264";  // libx264, libx265 or libvpx-vp9
  int quality = 18;                 // CRF: lower is better; 18 is visually lossless for x264
  // Its first audio stream, if it has one, is copied into the output unchanged; empty: no audio.
  std::filesystem::path audio_source;
};

struct EncodeResult {
  bool ok = false;  // ffmpeg exited 0 and the output is in place
  int exit_code = -1;
  std::int64_t frames_written = 0;
  std::string problem;  // ffmpeg's stderr tail, or why the rename failed
};

// The ffmpeg command line VideoWriter runs to encode into temporary. Throws std::invalid_argument
// for an encoder whose quality option is not known here.
std::vector<std::string> encode_argv(const VideoWriterOptions& options, const std::filesystem::path& temporary);

// Encodes BGR frames through ffmpeg into a temporary file beside the output
// (".NAME.dlc-partial-PID.EXT", same extension so ffmpeg picks the same container), renamed over
// the output only by a successful finish(). Destroyed without finish() (an abort, an exception),
// it stops ffmpeg and removes the temporary, so a half-written video never takes the output's
// name.
class VideoWriter {
 public:
  // Starts ffmpeg; throws SpawnError when it cannot, std::invalid_argument for bad options.
  explicit VideoWriter(VideoWriterOptions options);
  ~VideoWriter();
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  // frame must be CV_8UC3 of the options' size (std::invalid_argument otherwise). False when
  // ffmpeg no longer takes frames; finish() then says why.
  bool write(const cv::Mat& frame);
  std::int64_t frames_written() const { return frames_written_; }
  // Ends the stream, waits for ffmpeg and, when it exited 0, renames the temporary over the
  // output; otherwise removes the temporary. Further calls give the same result.
  EncodeResult finish();
  const std::filesystem::path& temporary_path() const { return temporary_; }

 private:
  VideoWriterOptions options_;
  std::filesystem::path temporary_;
  ChildProcess ffmpeg_;
  std::int64_t frames_written_ = 0;
  bool finished_ = false;
  EncodeResult result_;
};

}  // namespace dlc::media
