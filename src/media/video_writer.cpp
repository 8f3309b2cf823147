#include "media/video_writer.hpp"

#include <unistd.h>

#include <span>
#include <stdexcept>
#include <system_error>

namespace dlc::media {
namespace {

std::filesystem::path temporary_for(const std::filesystem::path& output) {
  // Same folder, so the final rename never crosses file systems; hidden and PID-tagged, so it is
  // neither mistaken for a result nor shared by two dlc runs.
  std::string name(".");
  name.append(output.stem().string()).append(".dlc-partial-").append(std::to_string(getpid()));
  name.append(output.extension().string());
  return output.parent_path() / name;
}

const VideoWriterOptions& checked(const VideoWriterOptions& options) {
  if (options.output.empty()) throw std::invalid_argument("VideoWriter: no output path");
  if (options.width <= 0 || options.height <= 0) throw std::invalid_argument("VideoWriter: no frame size");
  if (!options.fps.valid()) throw std::invalid_argument("VideoWriter: no frame rate");
  return options;
}

}  // namespace

std::vector<std::string> encode_argv(const VideoWriterOptions& options, const std::filesystem::path& temporary) {
  std::vector<std::string> argv{"ffmpeg",  "-v",       "error",
                                "-nostdin", "-f",      "rawvideo",
                                "-pix_fmt", "bgr24",   "-s",
                                std::to_string(options.width) + "x" + std::to_string(options.height),
                                "-r",       options.fps.str(),
                                "-i",       "pipe:0"};
  if (!options.audio_source.empty()) {
    // '?' makes the audio map optional: a source without audio gives a silent output, not an error.
    argv.insert(argv.end(), {"-i", ffmpeg_file_arg(options.audio_source), "-map", "0:v:0", "-map", "1:a:0?", "-c:a",
                             "copy"});
  }
  const auto quality = std::to_string(options.quality);
  argv.insert(argv.end(), {"-c:v", options.encoder});
  if (options.encoder == "libx264") {
    argv.insert(argv.end(), {"-crf", quality});
  } else if (options.encoder == "libx265") {
    // x265 logs its settings to stderr whatever ffmpeg's -v says.
    argv.insert(argv.end(), {"-crf", quality, "-x265-params", "log-level=error"});
  } else if (options.encoder == "libvpx-vp9") {
    // Without -b:v 0 libvpx treats -crf as a cap under its default bitrate, not constant quality.
    argv.insert(argv.end(), {"-crf", quality, "-b:v", "0"});
  } else {
    throw std::invalid_argument("VideoWriter: encoder " + options.encoder +
                                " is not one of libx264, libx265, libvpx-vp9");
  }
  // -y: the temporary is ours; one left by a crashed run with the same PID is stale.
  argv.insert(argv.end(), {"-pix_fmt", "yuv420p", "-y", ffmpeg_file_arg(temporary)});
  return argv;
}

VideoWriter::VideoWriter(VideoWriterOptions options)
    : options_(std::move(options)),
      temporary_(temporary_for(checked(options_).output)),
      ffmpeg_(encode_argv(options_, temporary_), ChildPipes{.to_stdin = true, .from_stdout = false}) {}

VideoWriter::~VideoWriter() {
  if (finished_) return;
  ffmpeg_.terminate();
  std::error_code ec;
  std::filesystem::remove(temporary_, ec);
}

bool VideoWriter::write(const cv::Mat& frame) {
  if (frame.type() != CV_8UC3 || frame.cols != options_.width || frame.rows != options_.height) {
    throw std::invalid_argument("VideoWriter: frame is not " + std::to_string(options_.width) + "x" +
                                std::to_string(options_.height) + " BGR");
  }
  if (finished_) return false;
  const auto row_bytes = static_cast<std::size_t>(frame.cols) * frame.elemSize();
  if (frame.isContinuous()) {
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(frame.data), row_bytes * static_cast<std::size_t>(frame.rows));
    if (!ffmpeg_.write_all(bytes)) return false;
  } else {
    for (int y = 0; y < frame.rows; ++y) {
      if (!ffmpeg_.write_all({reinterpret_cast<const std::byte*>(frame.ptr(y)), row_bytes})) return false;
    }
  }
  ++frames_written_;
  return true;
}

EncodeResult VideoWriter::finish() {
  if (finished_) return result_;
  finished_ = true;
  result_.exit_code = ffmpeg_.wait();
  result_.frames_written = frames_written_;
  std::error_code ec;
  if (result_.exit_code != 0) {
    result_.problem = ffmpeg_.stderr_tail();
    if (result_.problem.empty()) result_.problem = "ffmpeg exited with " + std::to_string(result_.exit_code);
    std::filesystem::remove(temporary_, ec);
    return result_;
  }
  std::filesystem::rename(temporary_, options_.output, ec);
  if (ec) {
    result_.problem = "cannot rename " + temporary_.string() + " to " + options_.output.string() + ": " + ec.message();
    std::filesystem::remove(temporary_, ec);
    return result_;
  }
  result_.ok = true;
  return result_;
}

}  // namespace dlc::media
