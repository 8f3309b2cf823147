#include "media/video_reader.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <span>
#include <utility>

#include "media/install_layout.hpp"

namespace dlc::media {

std::vector<std::string> decode_argv(const std::filesystem::path& path, int threads, const Rational& fps,
                                     const std::optional<FrameSpan>& span) {
  std::vector<std::string> argv{"ffmpeg"};
  const auto log_args = decoder_log_args();
  argv.insert(argv.end(), log_args.begin(), log_args.end());
  argv.emplace_back("-nostdin");
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

namespace {

// Room for the report of a file with much metadata and many streams (a few kB is usual).
constexpr std::size_t kReportBytes = 64 * 1024;

VideoInfo unprobed(const std::filesystem::path& path) {
  require_video_file(path);
  VideoInfo info;
  info.path = path;
  return info;
}

}  // namespace

std::optional<std::filesystem::path> dlc_decode_program() {
  if (const char* chosen = std::getenv("DLC_DECODE"); chosen != nullptr && *chosen != '\0') {
    if (is_runnable_file(chosen)) return std::filesystem::path(chosen);
    return std::nullopt;
  }
  for (const auto& candidate : {executable_dir() / kDlcDecode, installed_lib_dir() / kDlcDecode}) {
    if (is_runnable_file(candidate.c_str())) return candidate;
  }
  return std::nullopt;
}

std::string_view decoder_for(const VideoInfo& info, bool span) {
  if (!info.decoder.empty()) return info.decoder;
  return span || info.rotation != 0 || !dlc_decode_program() ? kFfmpegDecoder : kDlcDecode;
}

VideoReader::VideoReader(const std::filesystem::path& path, int threads, std::optional<FrameSpan> span)
    : info_(span ? probe_video(path) : unprobed(path)), span_(span) {
  if (span_) {
    start_ffmpeg(threads, 0);
    return;
  }
  start_whole(threads);
  read_report();
}

VideoReader::VideoReader(const std::filesystem::path& path, int threads, ReportLater) : info_(unprobed(path)) {
  start_whole(threads);
}

void VideoReader::start_whole(int threads) {
  if (const auto program = dlc_decode_program()) {
    start_dlc_decode(*program, threads);
    pending_report_ = PendingReport::kFromDlcDecode;
    threads_ = threads;
    return;
  }
  from_report_ = true;
  start_ffmpeg(threads, kReportBytes);
  pending_report_ = PendingReport::kFromFfmpeg;
}

void VideoReader::read_report() {
  const auto pending = std::exchange(pending_report_, PendingReport::kNone);
  if (pending == PendingReport::kFromDlcDecode) {
    VideoInfo facts;
    const bool decodes = read_dlc_decode_report(facts);
    info_ = std::move(facts);
    // What dlc-decode leaves to ffmpeg, ffmpeg decodes with dlc-decode's facts: no report needed.
    if (!decodes) start_ffmpeg(threads_, 0);
    return;
  }
  if (pending != PendingReport::kFromFfmpeg) return;
  auto report = parse_decoder_report(decoder_->wait_for_stderr_head(decoder_report_complete), info_.path);
  info_ = std::move(report.info);
  info_.decoder = kFfmpegDecoder;
  if (!report.fps_exact) info_.fps = probed_info().fps;
}

VideoReader::VideoReader(VideoInfo info, int threads, std::optional<FrameSpan> span)
    : info_(std::move(info)), span_(span) {
  if (!span_ && info_.rotation == 0) {
    if (const auto program = dlc_decode_program()) {
      start_dlc_decode(*program, threads);
      VideoInfo facts;
      if (read_dlc_decode_report(facts)) {
        // The frames' size is the decoder's.
        info_.width = facts.width;
        info_.height = facts.height;
        info_.decoder = kDlcDecode;
        return;
      }
    }
  }
  start_ffmpeg(threads, 0);
}

void VideoReader::start_dlc_decode(const std::filesystem::path& program, int threads) {
  decoder_.emplace(std::vector<std::string>{program.string(), "--threads", std::to_string(threads),
                                            ffmpeg_file_arg(info_.path)},
                   ChildPipes{.to_stdin = false, .from_stdout = true, .stderr_head_bytes = kReportBytes});
}

bool VideoReader::read_dlc_decode_report(VideoInfo& facts) {
  // Throws VideoError for a file it cannot open; the child is reaped with decoder_.
  auto report = parse_dlc_decode_report(decoder_->wait_for_stderr_head(dlc_decode_report_complete), info_.path);
  facts = std::move(report.info);
  facts.decoder = kDlcDecode;
  if (report.decodes) return true;
  spdlog::debug("dlc-decode leaves '{}' to ffmpeg ({})", info_.path.string(), report.reason);
  decoder_->wait();
  decoder_.reset();
  return false;
}

void VideoReader::start_ffmpeg(int threads, std::size_t report_bytes) {
  info_.decoder = kFfmpegDecoder;
  decoder_.emplace(decode_argv(info_.path, threads, info_.fps, span_),
                   ChildPipes{.to_stdin = false, .from_stdout = true, .stderr_head_bytes = report_bytes});
}

void VideoReader::probe_in_background() {
  const std::scoped_lock lock(probe_mutex_);
  if (!from_report_ || probe_.valid() || probed_) return;
  probe_ = std::async(std::launch::async, [path = info_.path]() -> std::optional<VideoInfo> {
    try {
      return probe_video(path);
    } catch (const std::exception& e) {
      spdlog::debug("ffprobe after the decoder's report: {}", e.what());
      return std::nullopt;
    }
  });
}

const VideoInfo& VideoReader::probed_info() {
  if (!from_report_) return info_;
  probe_in_background();
  const std::scoped_lock lock(probe_mutex_);
  if (probe_.valid()) {
    probed_ = probe_.get();
    if (!probed_) probed_ = info_;
  }
  return *probed_;
}

bool VideoReader::probed() const {
  if (!from_report_) return true;
  const std::scoped_lock lock(probe_mutex_);
  return probed_.has_value() ||
         (probe_.valid() && probe_.wait_for(std::chrono::seconds(0)) == std::future_status::ready);
}

bool VideoReader::read(cv::Mat& frame) {
  if (ended_) return false;
  if (frame.rows != info_.height || frame.cols != info_.width || frame.type() != CV_8UC3 || !frame.isContinuous()) {
    frame = cv::Mat(info_.height, info_.width, CV_8UC3);
  }
  const std::span<std::byte> bytes(reinterpret_cast<std::byte*>(frame.data), frame.total() * frame.elemSize());
  if (!decoder_->read_exact(bytes)) {
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
  result.exit_code = decoder_->wait();
  result.frames_read = frames_read_;
  // Whether frames are missing is told against ffprobe's count; a decode stopped early needs none.
  const auto& counted = reached_end_ && !span_ ? probed_info() : (probed_ ? *probed_ : info_);
  result.frames_expected = span_ ? span_->size() : counted.frame_count;
  result.stderr_tail = decoder_complaints(decoder_->stderr_tail());
  // A span is exact: any frame short of it is missing.
  result.truncated = reached_end_ && (span_ ? frames_read_ < span_->size()
                                            : is_truncated(frames_read_, counted.frame_count, counted.frame_count_exact,
                                                           !result.stderr_tail.empty()));
  result.clean = result.exit_code == 0 && !result.truncated;
  const auto last_line = result.stderr_tail.substr(0, result.stderr_tail.find_last_not_of('\n') + 1);
  auto decoder_said = last_line.substr(last_line.rfind('\n') + 1);
  // "[matroska,webm @ 0x55d0c0a8] File ended prematurely": the address means nothing to a user.
  if (const auto close = decoder_said.find("] "); decoder_said.starts_with('[') && close != std::string::npos) {
    decoder_said.erase(0, close + 2);
  }
  // dlc-decode's "FILE: problem": the file is the caller's to name.
  if (const auto file = ffmpeg_file_arg(info_.path) + ": "; decoder_said.starts_with(file)) decoder_said.erase(0, file.size());
  if (result.truncated) {
    result.problem = "decoded " + std::to_string(frames_read_) + " of the " + std::to_string(result.frames_expected) +
                     (counted.frame_count_exact || span_ ? "" : " (estimated)") + " frames, the rest is missing or corrupt";
  } else if (result.exit_code != 0) {
    result.problem = info_.decoder + " exited with " + std::to_string(result.exit_code);
  }
  if (!result.problem.empty() && !decoder_said.empty()) result.problem += "; " + info_.decoder + ": " + decoder_said;
  return result;
}

}  // namespace dlc::media
