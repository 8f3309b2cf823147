#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "media/child_process.hpp"
#include "media/video_probe.hpp"

namespace dlc::media {

struct VideoWriterOptions {
  // A file, or a stream URL (is_stream_url): then ffmpeg sends there with low-latency settings
  // (stream_args) and there is no temporary name.
  std::filesystem::path output;
  int width = 0;
  int height = 0;
  Rational fps{25, 1};
  // libx264, libx265 or libvpx-vp9; h264_nvenc and hevc_nvenc are taken too, but prefer_hardware
  // is the way to ask for them, since it falls back when the GPU cannot encode.
  std::string encoder = "libx264";
  int quality = 18;  // CRF (NVENC: -cq): lower is better; 18 is visually lossless for x264
  // --video-encoder-preset: ultrafast ... veryslow (x264/x265 -preset; libvpx-vp9 -cpu-used 8 ... 0;
  // NVENC p1 ... p7). Empty: the encoder's own default (medium).
  std::string preset{};
  // ffmpeg's -threads for the encoder (0: ffmpeg's own choice, 1.5 x the cores for x264) and the
  // frames its lookahead holds (x264/x265 rc-lookahead, libvpx -lag-in-frames; -1: the
  // preset's): what bounds the encoder's memory, chosen by the plan under a budget.
  int threads = 0;
  int lookahead = -1;
  // Its first audio stream, if it has one, is copied into the output unchanged when the output's
  // container can hold it, else transcoded (Opus for .webm, AAC for .mp4/.m4v/.mov); the output
  // ends with the video when the audio is longer. Empty: no audio.
  std::filesystem::path audio_source{};
  // audio_source's first audio stream as the job already probed it (VideoInfo::audio); empty:
  // the writer runs ffprobe on audio_source itself.
  std::optional<AudioTrack> audio_track{};
  // libx264 -> h264_nvenc, libx265 -> hevc_nvenc when ffmpeg has that encoder and it opens here;
  // otherwise the software encoder, with one warning when the hardware one is there but fails.
  bool prefer_hardware = false;
  // Container tags (-metadata KEY=VALUE), e.g. a part's range and settings (dlc run
  // --frame-range); MP4 and MOV keep keys of their own only with -movflags use_metadata_tags.
  std::vector<std::pair<std::string, std::string>> metadata{};
};

struct EncodeResult {
  bool ok = false;  // ffmpeg exited 0 and the output is in place
  int exit_code = -1;
  std::int64_t frames_written = 0;
  std::string problem;  // ffmpeg's stderr tail, or why the rename failed
};

// The presets --video-encoder-preset takes, fastest first (FaceFusion's --output-video-preset).
const std::vector<std::string>& encoder_presets();

// The ffmpeg command line VideoWriter runs to encode into temporary; audio is what
// probe_audio_track found in options.audio_source (unknown: copied as it is). Throws
// std::invalid_argument for an encoder whose quality option is not known here, or a preset
// that is not one of encoder_presets().
std::vector<std::string> encode_argv(const VideoWriterOptions& options, const std::filesystem::path& temporary,
                                     const AudioTrack& audio = {});

// udp://, srt://, tcp:// (MPEG-TS), rtsp://, rtp://: what `dlc live --stream` sends to.
bool is_stream_url(const std::string& output);
// The encoder and muxer arguments of a stream: x264 tuned for latency (zerolatency, no B-frames,
// a keyframe every second so a receiver that joins late starts within one), a capped bitrate a
// UDP receiver keeps up with, and the muxer the URL's scheme takes.
std::vector<std::string> stream_args(const VideoWriterOptions& options);

// "h264_nvenc" for "libx264", "hevc_nvenc" for "libx265", empty for an encoder without one.
std::string hardware_encoder_for(const std::string& software_encoder);

// Whether encoder opens for width x height here, found by encoding one frame to ffmpeg's null
// muxer; problem is ffmpeg's first error line ("Cannot load libcuda.so.1") when it does not. The
// answer is kept for the rest of the process, so a second video costs nothing.
struct EncoderCheck {
  bool opens = false;
  std::string problem;
};
EncoderCheck check_encoder_opens(const std::string& encoder, int width, int height, int quality);

// Encodes BGR frames through ffmpeg into a temporary file beside the output
// (".NAME.dlc-partial-PID.EXT", same extension so ffmpeg picks the same container), renamed over
// the output only by a successful finish(). A frame size that is odd either way comes out padded
// to even (one black column or row), since yuv420p cannot hold it. Destroyed without finish() (an abort, an exception),
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
  // The encoder ffmpeg runs: options' encoder, or its hardware counterpart (prefer_hardware).
  const std::string& encoder() const { return options_.encoder; }
  // The encoder's own peak RSS once finish() has reaped it (0 before).
  std::uint64_t encoder_peak_bytes() const { return ffmpeg_.peak_rss_bytes(); }

 private:
  VideoWriterOptions options_;
  AudioTrack audio_;
  std::filesystem::path temporary_;
  ChildProcess ffmpeg_;
  std::int64_t frames_written_ = 0;
  bool finished_ = false;
  EncodeResult result_;
};

}  // namespace dlc::media
