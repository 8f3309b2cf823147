#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "media/child_process.hpp"
#include "media/video_probe.hpp"

namespace dlc::media {

// How a decode ended, for reporting a video whose tail is corrupt ("decoded 812 frames, then ...").
// ffmpeg's exit code alone does not tell: it exits 0 for a file cut short (Matroska, MP4, MPEG-TS
// alike) after decoding what it can. The reliable sign is frames missing against the probe.
struct DecodeResult {
  bool clean = false;  // ffmpeg exited 0 and the video was not truncated
  int exit_code = -1;
  std::int64_t frames_read = 0;
  std::int64_t frames_expected = 0;  // the probe's count (VideoInfo::frame_count)
  // The decoder reached its end short of the probe's count: see is_truncated().
  bool truncated = false;
  std::string problem;  // what went wrong, for a user: "decoded 30 of the 50 frames ...; ffmpeg: ..."
  std::string stderr_tail;
};

// Whether a decode that ran to its end lost its tail: frames are missing against the probe's count
// and the decoder complained (ffmpeg -v error printed something; a Matroska or MP4 file cut
// anywhere does, tried here at 20-98 % of its bytes). The complaint is needed because a count can
// be off without damage: an MP4 edit list can drop frames the stated count includes, and a count
// worked out as duration x fps (Matroska) can be a frame off, or far off for a variable frame
// rate, so there it takes a shortfall of two frames or more. An MPEG-TS file cut at a packet
// boundary looks like a shorter video (its duration comes from what is there): it passes as whole.
bool is_truncated(std::int64_t frames_read, std::int64_t frames_expected, bool count_exact, bool decoder_complained);

// Frames [first, end) of a video, counted from 0 in decode order; end exclusive, as ffmpeg's
// trim=end_frame (what FaceFusion's --trim-frame-end gives).
struct FrameSpan {
  std::int64_t first = 0;
  std::int64_t end = 0;
  std::int64_t size() const { return end - first; }
};

// The decoder's argv: the whole video, or only span's frames. For a span ffmpeg seeks (input -ss,
// no accurate seek) to a keyframe at least a second before the first frame, then keeps the frames
// whose time from the video's start (-copyts -start_at_zero) rounds to an index in the span, so
// the frames are those of a whole decode whatever the keyframes (a constant frame rate assumed),
// and stops after span.size() frames instead of decoding the rest.
std::vector<std::string> decode_argv(const std::filesystem::path& path, int threads, const Rational& fps,
                                     const std::optional<FrameSpan>& span = {});

// The decoder children (VideoInfo::decoder).
inline constexpr std::string_view kDlcDecode = "dlc-decode";
inline constexpr std::string_view kFfmpegDecoder = "ffmpeg";

// dlc-decode, the decoder built with dlc (src/media/dlc_decode_main.cpp): $DLC_DECODE when set
// (a path that is no executable, e.g. "none", means there is none: ffmpeg decodes), else beside
// the running binary (the build tree), else in installed_lib_dir(). nullopt when there is none.
std::optional<std::filesystem::path> dlc_decode_program();

// Which child a VideoReader would decode info's video with: the one it did (info.decoder, set by
// a reader), else dlc-decode where there is one and the video is upright, not a span, else ffmpeg.
// For a probed video this is the likely answer: dlc-decode still hands a variable frame rate or a
// second video stream to ffmpeg.
std::string_view decoder_for(const VideoInfo& info, bool span = false);

// Decodes a video to 8-bit BGR frames, one at a time, through a child: dlc-decode where there is
// one (dlc_decode_program(); `dlc-decode --threads N PATH`, its report of the stream's facts first),
// else, and for what dlc-decode leaves to it, `ffmpeg -loglevel level+verbose -hide_banner
// -nostats -nostdin -i PATH -f rawvideo -pix_fmt bgr24 -fps_mode passthrough pipe:1` (its report
// of the input read as it starts, its complaints told by their level). Both give the same bytes.
// Holds no frame itself: the only frame buffer is the caller's Mat, and the pipe (64 KiB) is the
// only other buffering, so memory does not depend on the video's length or frame size beyond one
// frame.
class VideoReader {
 public:
  // Starts the decoder at once (throws SpawnError) and takes info() from its report of the input
  // (throws VideoError naming the file), with no ffprobe run. dlc-decode's report has every fact
  // ffprobe gives (the stated frame count, the audio's duration), so probed_info() is info(); it
  // hands a rotated video, a variable frame rate or several video streams to ffmpeg, started
  // then with those facts. Without dlc-decode, ffmpeg's report lacks those: probed_info() runs
  // ffprobe for them, and a variable frame rate (the average rate not in the report) has it asked
  // here. With a span, whose decoder is placed by the frame rate, it probes first and ffmpeg
  // decodes. threads: the decoder's threads (0: libavcodec's own choice, the cores + 1 for
  // H.264), which its memory grows with. span: only those frames (frames_expected is then its
  // size).
  explicit VideoReader(const std::filesystem::path& path, int threads = 0, std::optional<FrameSpan> span = {});
  // Starts the decoder on path (the whole video) like the constructor above but returns without
  // waiting for its report: the caller does other work while the decoder starts up (its own loader
  // takes most of that), then calls read_report() before anything else of this reader.
  struct ReportLater {};
  VideoReader(const std::filesystem::path& path, int threads, ReportLater);
  // Waits for the decoder's report and takes info() from it (throws VideoError naming the file, as
  // the constructor does); nothing after the first call.
  void read_report();
  // A video already probed (the job probes its target once and passes the result on): starts the
  // decoder on info.path without running ffprobe again (dlc-decode for an upright video without
  // a span, unless it hands the video to ffmpeg).
  explicit VideoReader(VideoInfo info, int threads = 0, std::optional<FrameSpan> span = {});
  // Probe results; width and height are the size of every frame read() gives. Opened on a path
  // with ffmpeg: ffmpeg's report, whose frame_count is estimated and whose audio durations are
  // unknown. decoder names the child that decodes.
  const VideoInfo& info() const { return info_; }
  // What ffprobe says (the stated frame count, the audio's and video's durations): info() where
  // the facts came from dlc-decode or were given; else from a run on a thread of its own started
  // by probe_in_background() or by the first call here, which waits for it; info() again when
  // ffprobe fails.
  const VideoInfo& probed_info();
  void probe_in_background();
  // Whether probed_info() has its answer (would not wait).
  bool probed() const;

  // Fills frame, a CV_8UC3 Mat of info()'s size, allocating only when it is not one already.
  // False at the end of the video (or a short last frame); then call finish().
  bool read(cv::Mat& frame);
  std::int64_t frames_read() const { return frames_read_; }
  // The decoder's own peak RSS once finish() has reaped it (0 before).
  std::uint64_t decoder_peak_bytes() const { return decoder_->peak_rss_bytes(); }
  // Waits for the decoder (stopping it through the closed pipe when called before the end) and
  // says whether it exited cleanly and, when read() got to the end, whether frames are missing
  // against probed_info()'s count. Further calls give the same result.
  DecodeResult finish();

 private:
  // The whole video's decoder: dlc-decode where it is there, else ffmpeg; its report is pending.
  void start_whole(int threads);
  void start_dlc_decode(const std::filesystem::path& program, int threads);
  // dlc-decode's report into facts: true when it decodes, false when it handed the video to
  // ffmpeg (the child then reaped).
  bool read_dlc_decode_report(VideoInfo& facts);
  void start_ffmpeg(int threads, std::size_t report_bytes);

  VideoInfo info_;
  std::optional<FrameSpan> span_;
  std::optional<ChildProcess> decoder_;
  bool from_report_ = false;
  enum class PendingReport { kNone, kFromDlcDecode, kFromFfmpeg };
  PendingReport pending_report_ = PendingReport::kNone;
  int threads_ = 0;  // the decoder's, for ffmpeg taking over from dlc-decode
  mutable std::mutex probe_mutex_;
  std::future<std::optional<VideoInfo>> probe_;
  std::optional<VideoInfo> probed_;
  std::int64_t frames_read_ = 0;
  bool ended_ = false;
  bool reached_end_ = false;  // read() found the end of the stream, rather than finish() stopping it
};

}  // namespace dlc::media
