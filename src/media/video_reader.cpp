#include "media/video_reader.hpp"

#include <span>

namespace dlc::media {
namespace {

std::vector<std::string> decode_argv(const std::filesystem::path& path) {
  // -fps_mode rather than -vsync: ffmpeg 5.1 warns that -vsync is deprecated. passthrough gives
  // every decoded frame once, so the frames read match the frames written back.
  return {"ffmpeg", "-v",      "error", "-nostdin",  "-i",          ffmpeg_file_arg(path), "-f", "rawvideo",
          "-pix_fmt", "bgr24", "-fps_mode", "passthrough", "pipe:1"};
}

}  // namespace

VideoReader::VideoReader(const std::filesystem::path& path)
    : info_(probe_video(path)), ffmpeg_(decode_argv(path), ChildPipes{.to_stdin = false, .from_stdout = true}) {}

bool VideoReader::read(cv::Mat& frame) {
  if (ended_) return false;
  if (frame.rows != info_.height || frame.cols != info_.width || frame.type() != CV_8UC3 || !frame.isContinuous()) {
    frame = cv::Mat(info_.height, info_.width, CV_8UC3);
  }
  const std::span<std::byte> bytes(reinterpret_cast<std::byte*>(frame.data), frame.total() * frame.elemSize());
  if (!ffmpeg_.read_exact(bytes)) {
    ended_ = true;
    return false;
  }
  ++frames_read_;
  return true;
}

DecodeResult VideoReader::finish() {
  ended_ = true;
  DecodeResult result;
  result.exit_code = ffmpeg_.wait();
  result.clean = result.exit_code == 0;
  result.frames_read = frames_read_;
  result.stderr_tail = ffmpeg_.stderr_tail();
  return result;
}

}  // namespace dlc::media
