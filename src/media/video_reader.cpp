#include "media/video_reader.hpp"

#include <fmt/format.h>

#include <span>
#include <utility>

namespace dlc::media {

std::vector<std::string> decode_argv(const std::filesystem::path& path, int threads, const Rational& fps,
                                     const std::optional<FrameSpan>& span) {
  std::vector<std::string> argv{"ffmpeg", "-v", "error", "-nostdin"};
  // Before -i: an input option, the decoder's threads.
  if (threads > 0) argv.insert(argv.end(), {"-threads", std::to_string(threads)});
  std::vector<std::string> select;
  if (span && fps.valid()) {
    const double rate = fps.value();
    // A second's margin: some demuxers land a little after the time asked for.
    const double seek_s = static_cast<double>(span->first) / rate - 1.0;
    if (seek_s > 0) argv.insert(argv.end(), {"-ss", fmt::format("{:.6f}", seek_s), "-noaccurate_seek"});
    // Frame k is at k / fps: half a frame either side of each index.
    const auto at = [rate](std::int64_t index) { return fmt::format("{:.6f}", (static_cast<double>(index) - 0.5) / rate); };
    select = {"-copyts", "-start_at_zero", "-vf", fmt::format("select='gte(t,{})*lt(t,{})'", at(span->first), at(span->end)),
              "-frames:v", std::to_string(span->size())};
  }
  argv.insert(argv.end(), {"-i", ffmpeg_file_arg(path)});
  argv.insert(argv.end(), select.begin(), select.end());
  // -fps_mode rather than -vsync: ffmpeg 5.1 warns that -vsync is deprecated. passthrough gives
  // every decoded frame once, so the frames read match the frames written back.
  argv.insert(argv.end(), {"-f", "rawvideo", "-pix_fmt", "bgr24", "-fps_mode", "passthrough", "pipe:1"});
  return argv;
}

bool is_truncated(std::int64_t frames_read, std::int64_t frames_expected, bool count_exact, bool decoder_complained) {
  const auto shortfall = frames_expected - frames_read;
  return decoder_complained && shortfall >= (count_exact ? 1 : 2);
}

VideoReader::VideoReader(const std::filesystem::path& path, int threads, std::optional<FrameSpan> span)
    : VideoReader(probe_video(path), threads, span) {}

VideoReader::VideoReader(VideoInfo info, int threads, std::optional<FrameSpan> span)
    : info_(std::move(info)),
      span_(span),
      ffmpeg_(decode_argv(info_.path, threads, info_.fps, span_), ChildPipes{.to_stdin = false, .from_stdout = true}) {}

bool VideoReader::read(cv::Mat& frame) {
  if (ended_) return false;
  if (frame.rows != info_.height || frame.cols != info_.width || frame.type() != CV_8UC3 || !frame.isContinuous()) {
    frame = cv::Mat(info_.height, info_.width, CV_8UC3);
  }
  const std::span<std::byte> bytes(reinterpret_cast<std::byte*>(frame.data), frame.total() * frame.elemSize());
  if (!ffmpeg_.read_exact(bytes)) {
    ended_ = true;
    reached_end_ = true;
    return false;
  }
  ++frames_read_;
  return true;
}

DecodeResult VideoReader::finish() {
  ended_ = true;
  DecodeResult result;
  result.exit_code = ffmpeg_.wait();
  result.frames_read = frames_read_;
  result.frames_expected = span_ ? span_->size() : info_.frame_count;
  result.stderr_tail = ffmpeg_.stderr_tail();
  // A span is exact: any frame short of it is missing.
  result.truncated = reached_end_ && (span_ ? frames_read_ < span_->size()
                                            : is_truncated(frames_read_, info_.frame_count, info_.frame_count_exact,
                                                           !result.stderr_tail.empty()));
  result.clean = result.exit_code == 0 && !result.truncated;
  const auto last_line = result.stderr_tail.substr(0, result.stderr_tail.find_last_not_of('\n') + 1);
  auto ffmpeg_said = last_line.substr(last_line.rfind('\n') + 1);
  // "[matroska,webm @ 0x55d0c0a8] File ended prematurely": the address means nothing to a user.
  if (const auto close = ffmpeg_said.find("] "); ffmpeg_said.starts_with('[') && close != std::string::npos) {
    ffmpeg_said.erase(0, close + 2);
  }
  if (result.truncated) {
    result.problem = "decoded " + std::to_string(frames_read_) + " of the " + std::to_string(result.frames_expected) +
                     (info_.frame_count_exact || span_ ? "" : " (estimated)") + " frames, the rest is missing or corrupt";
  } else if (result.exit_code != 0) {
    result.problem = "ffmpeg exited with " + std::to_string(result.exit_code);
  }
  if (!result.problem.empty() && !ffmpeg_said.empty()) result.problem += "; ffmpeg: " + ffmpeg_said;
  return result;
}

}  // namespace dlc::media
