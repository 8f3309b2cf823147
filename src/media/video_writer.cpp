#include "media/video_writer.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <mutex>
#include <set>
#include <span>
#include <stdexcept>
#include <system_error>

#include "media/ffmpeg_info.hpp"
#include "media/video_concat.hpp"
#include "media/subprocess.hpp"

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

VideoWriterOptions checked(VideoWriterOptions options) {
  if (options.output.empty()) throw std::invalid_argument("VideoWriter: no output path");
  if (options.width <= 0 || options.height <= 0) throw std::invalid_argument("VideoWriter: no frame size");
  if (!options.fps.valid()) throw std::invalid_argument("VideoWriter: no frame rate");
  return options;
}

int even(int size) { return size + size % 2; }

std::vector<std::string> video_codec_args(const std::string& encoder, int quality) {
  const auto q = std::to_string(quality);
  if (encoder == "libx264") return {"-crf", q};
  if (encoder == "libx265") return {"-crf", q};
  // Without -b:v 0 libvpx treats -crf as a cap under its default bitrate, not constant quality.
  if (encoder == "libvpx-vp9") return {"-crf", q, "-b:v", "0"};
  if (encoder == "h264_nvenc" || encoder == "hevc_nvenc") {
    // VBR with a target quality and no bitrate (-b:v 0) is NVENC's constant-quality mode, on the
    // same 0-51 scale as CRF; -cq 0 means "let NVENC choose", not lossless, hence at least 1.
    return {"-rc", "vbr", "-cq", std::to_string(std::max(1, quality)), "-b:v", "0"};
  }
  throw std::invalid_argument("VideoWriter: encoder " + encoder + " is not one of libx264, libx265, libvpx-vp9");
}

// The preset's index in encoder_presets(), -1 for none.
int preset_index(const std::string& preset) {
  if (preset.empty()) return -1;
  const auto& all = encoder_presets();
  const auto it = std::ranges::find(all, preset);
  if (it == all.end()) throw std::invalid_argument("VideoWriter: preset " + preset + " is not one of ultrafast ... veryslow");
  return static_cast<int>(it - all.begin());
}

// The preset, threads and lookahead in each encoder's own options. libvpx has no presets: its
// speed is -cpu-used, 8 (fastest) to 0 under the "good" deadline. NVENC's are p1 (fastest) to p7.
std::vector<std::string> encoder_speed_args(const VideoWriterOptions& o) {
  std::vector<std::string> args;
  const int preset = preset_index(o.preset);
  const auto& e = o.encoder;
  if (preset >= 0) {
    if (e == "libx264" || e == "libx265") args.insert(args.end(), {"-preset", o.preset});
    if (e == "libvpx-vp9") args.insert(args.end(), {"-deadline", "good", "-cpu-used", std::to_string(8 - preset)});
    if (e == "h264_nvenc" || e == "hevc_nvenc") {
      static constexpr std::array<int, 9> kNvenc{1, 2, 3, 3, 4, 4, 5, 6, 7};
      args.insert(args.end(), {"-preset", "p" + std::to_string(kNvenc[static_cast<std::size_t>(preset)])});
    }
  }
  if (o.threads > 0) args.insert(args.end(), {"-threads", std::to_string(o.threads)});
  const bool lookahead = o.lookahead >= 0;
  if (e == "libx264" && lookahead) args.insert(args.end(), {"-x264-params", "rc-lookahead=" + std::to_string(o.lookahead)});
  // x265 logs its settings to stderr whatever ffmpeg's -v says.
  if (e == "libx265") {
    args.insert(args.end(), {"-x265-params", "log-level=error" + (lookahead ? ":rc-lookahead=" + std::to_string(o.lookahead) : "")});
  }
  if (e == "libvpx-vp9" && lookahead) args.insert(args.end(), {"-lag-in-frames", std::to_string(o.lookahead)});
  return args;
}

std::string lowercase_extension(const std::filesystem::path& path) {
  auto ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

}  // namespace

// -c:a for the audio codec in the output's container. WebM holds only Opus and Vorbis; MP4 and
// MOV hold AAC, MP3, ALAC and (E)AC-3 everywhere that plays them (Opus, Vorbis and PCM in MP4
// are experimental or player-dependent). An unknown codec (no audio, or ffprobe could not read
// the source) is copied, as it always was: ffmpeg then says what is wrong.
std::vector<std::string> audio_codec_args(const std::filesystem::path& output, const std::string& codec) {
  static const std::set<std::string> kWebm{"opus", "vorbis"};
  static const std::set<std::string> kMp4{"aac", "mp3", "alac", "ac3", "eac3"};
  const auto ext = lowercase_extension(output);
  if (!codec.empty() && ext == ".webm" && !kWebm.contains(codec)) return {"-c:a", "libopus"};
  if (!codec.empty() && (ext == ".mp4" || ext == ".m4v" || ext == ".mov") && !kMp4.contains(codec)) {
    return {"-c:a", "aac"};
  }
  return {"-c:a", "copy"};
}

namespace {

// "[h264_nvenc @ 0x55d0c0a8] Cannot load libcuda.so.1\n..." -> "Cannot load libcuda.so.1".
std::string first_error_line(const std::string& err) {
  auto line = err.substr(0, err.find('\n'));
  if (line.starts_with('[')) {
    if (const auto close = line.find("] "); close != std::string::npos) line.erase(0, close + 2);
  }
  return line.empty() ? "ffmpeg gave no reason" : line;
}

const std::set<std::string>& ffmpeg_encoders() {
  static const auto info = probe_ffmpeg();
  return info.encoders;
}

// With prefer_hardware, the NVENC encoder when it opens here, checked before ffmpeg takes the first
// frame: falling back after a failed start would lose the frames already written to it.
VideoWriterOptions with_encoder_chosen(VideoWriterOptions options) {
  if (!options.prefer_hardware) return options;
  const auto hardware = hardware_encoder_for(options.encoder);
  if (hardware.empty() || !ffmpeg_encoders().contains(hardware)) return options;
  const auto check = check_encoder_opens(hardware, even(options.width), even(options.height), options.quality);
  if (check.opens) {
    options.encoder = hardware;
    return options;
  }
  spdlog::warn("{} cannot encode on this machine ({}); encoding with {} instead", hardware, check.problem,
               options.encoder);
  return options;
}

AudioTrack audio_track_of(const VideoWriterOptions& options) {
  if (options.audio_source.empty()) return {};
  return options.audio_track ? *options.audio_track : probe_audio_track(options.audio_source);
}

}  // namespace

bool is_stream_url(const std::string& output) {
  for (const char* scheme : {"udp://", "srt://", "tcp://", "rtsp://", "rtp://"}) {
    if (output.starts_with(scheme)) return true;
  }
  return false;
}

std::vector<std::string> stream_args(const VideoWriterOptions& options) {
  const auto url = options.output.string();
  const auto gop = std::to_string(std::max<std::int64_t>(1, options.fps.num / std::max<std::int64_t>(1, options.fps.den)));
  std::vector<std::string> args{"-c:v",    "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-bf",
                                "0",       "-g",      gop,       "-b:v",     "4M",    "-maxrate",    "4M",
                                "-bufsize", "2M",     "-pix_fmt", "yuv420p", "-flush_packets", "1"};
  if (url.starts_with("rtsp://")) {
    args.insert(args.end(), {"-f", "rtsp", "-rtsp_transport", "tcp", url});
  } else if (url.starts_with("rtp://")) {
    args.insert(args.end(), {"-f", "rtp", url});
  } else {
    // 1316 bytes: seven 188-byte TS packets, what fits one Ethernet frame (FFmpeg's udp docs).
    const bool udp_without_size = url.starts_with("udp://") && url.find("pkt_size") == std::string::npos;
    const auto target = udp_without_size ? url + (url.find('?') == std::string::npos ? "?" : "&") + "pkt_size=1316" : url;
    args.insert(args.end(), {"-muxdelay", "0", "-f", "mpegts", target});
  }
  return args;
}

const std::vector<std::string>& encoder_presets() {
  static const std::vector<std::string> presets{"ultrafast", "superfast", "veryfast", "faster", "fast",
                                                "medium",    "slow",      "slower",   "veryslow"};
  return presets;
}

std::string hardware_encoder_for(const std::string& software_encoder) {
  if (software_encoder == "libx264") return "h264_nvenc";
  if (software_encoder == "libx265") return "hevc_nvenc";
  return {};
}

EncoderCheck check_encoder_opens(const std::string& encoder, int width, int height, int quality) {
  static std::mutex mutex;
  static std::map<std::string, EncoderCheck> checked_before;
  const auto size = std::to_string(width) + "x" + std::to_string(height);
  const std::scoped_lock lock(mutex);
  const auto key = encoder + " " + size;
  if (const auto it = checked_before.find(key); it != checked_before.end()) return it->second;
  std::vector<std::string> argv{"ffmpeg", "-v",         "error", "-nostdin", "-f",        "lavfi", "-i",
                                "color=c=black:s=" + size + ":r=25", "-frames:v", "1", "-c:v", encoder};
  const auto codec_args = video_codec_args(encoder, quality);
  argv.insert(argv.end(), codec_args.begin(), codec_args.end());
  argv.insert(argv.end(), {"-pix_fmt", "yuv420p", "-f", "null", "-"});
  const auto r = run_process(argv);
  EncoderCheck check{.opens = r.exit_code == 0, .problem = r.exit_code == 0 ? "" : first_error_line(r.err)};
  checked_before.emplace(key, check);
  return check;
}

std::vector<std::string> encode_argv(const VideoWriterOptions& options, const std::filesystem::path& temporary,
                                     const AudioTrack& audio) {
  std::vector<std::string> argv{"ffmpeg",  "-v",       "error",
                                "-nostdin", "-f",      "rawvideo",
                                "-pix_fmt", "bgr24",   "-s",
                                std::to_string(options.width) + "x" + std::to_string(options.height),
                                "-r",       options.fps.str(),
                                "-i",       "pipe:0"};
  if (!options.audio_source.empty()) {
    // '?' makes the audio map optional: a source without audio gives a silent output, not an error.
    argv.insert(argv.end(), {"-i", ffmpeg_file_arg(options.audio_source), "-map", "0:v:0", "-map", "1:a:0?"});
    const auto codec_args = audio_codec_args(options.output, audio.codec);
    argv.insert(argv.end(), codec_args.begin(), codec_args.end());
    // The output ends with the last frame written, not with a longer audio track (a target whose
    // tail did not decode, a higher --output-fps). Not when the audio is known to be shorter than
    // its video: ffmpeg 5.1 keeps every frame then, but newer ffmpeg cuts all streams at the
    // shortest one, which would drop frames. The audio's start is untouched either way.
    if (!audio_is_shorter(audio)) argv.emplace_back("-shortest");
  }
  if (is_stream_url(options.output.string())) {
    const auto args = stream_args(options);
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  argv.insert(argv.end(), {"-c:v", options.encoder});
  const auto codec_args = video_codec_args(options.encoder, options.quality);
  argv.insert(argv.end(), codec_args.begin(), codec_args.end());
  const auto speed_args = encoder_speed_args(options);
  argv.insert(argv.end(), speed_args.begin(), speed_args.end());
  if (options.width % 2 != 0 || options.height % 2 != 0) {
    // yuv420p keeps one chroma sample per 2x2 pixels, so the encoders refuse an odd size. Padding
    // (a black column at the right, a row at the bottom) keeps every pixel where it was; scaling
    // would move the face by half a pixel and blur it.
    argv.insert(argv.end(), {"-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2"});
  }
  for (const auto& [key, value] : options.metadata) argv.insert(argv.end(), {"-metadata", key + "=" + value});
  const auto ext = lowercase_extension(options.output);
  if (!options.metadata.empty() && (ext == ".mp4" || ext == ".m4v" || ext == ".mov")) {
    argv.insert(argv.end(), {"-movflags", "+use_metadata_tags"});
  }
  // -y: the temporary is ours; one left by a crashed run with the same PID is stale.
  argv.insert(argv.end(), {"-pix_fmt", "yuv420p", "-y", ffmpeg_file_arg(temporary)});
  return argv;
}

VideoWriter::VideoWriter(VideoWriterOptions options)
    : options_(with_encoder_chosen(checked(std::move(options)))),
      audio_(audio_track_of(options_)),
      temporary_(is_stream_url(options_.output.string()) ? options_.output : temporary_for(options_.output)),
      ffmpeg_(encode_argv(options_, temporary_, audio_), ChildPipes{.to_stdin = true, .from_stdout = false}) {}

VideoWriter::~VideoWriter() {
  if (finished_) return;
  ffmpeg_.terminate();
  if (is_stream_url(options_.output.string())) return;
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
    if (!is_stream_url(options_.output.string())) std::filesystem::remove(temporary_, ec);
    return result_;
  }
  if (is_stream_url(options_.output.string())) {
    result_.ok = true;
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
