// dlc-decode: the video decoder child of a dlc video job, in place of `ffmpeg -i FILE -f rawvideo
// -pix_fmt bgr24 -fps_mode passthrough pipe:1`. It links only libavformat, libavcodec, libswscale
// and libavutil (ffmpeg links 215 libraries and builds a filter graph), so it gives its first
// frame in about half ffmpeg's start-up.
//
//   dlc-decode [--threads N] FILE
//
// stdout: every decoded frame, 8-bit BGR, rows packed, as ffmpeg's rawvideo output gives them
// (the same bytes: ffmpeg's auto-inserted scale filter is what is reproduced below).
// stderr: first one line of facts (video_probe.hpp's parse_dlc_decode_report reads it, the one
// place that knows its format), then each complaint as one line "[error] FILE: problem".
// A file ffmpeg would decode differently (a display matrix: ffmpeg turns the planes before the
// conversion; several video streams: ffmpeg's own choice among them; a variable frame rate) gets
// its facts line with decode=ffmpeg and no frames: the caller hands it to ffmpeg.
// Exit: 0 done (complaints about a damaged tail included, as ffmpeg), 1 the file cannot be read,
// 2 bad usage.
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <csignal>
#include <unistd.h>

namespace {

const char* g_file = "";
// Complaints made while the file is opened (Matroska's demuxer finds a cut tail then), held until
// the facts line is out: the report comes first.
std::string* g_held = nullptr;
// The first of them: what ffmpeg names when it cannot open a file ("moov atom not found").
std::string g_first_complaint;
// A decoder whose every held frame fails still ends: it has at most one per thread.
constexpr int kMostFailuresDraining = 1024;

// libav*'s messages at error level or worse, the complaints `ffmpeg -v error` prints, one line
// each, named by the file.
void log_complaints(void* context, int level, const char* format, va_list args) {
  if (level > AV_LOG_ERROR) return;
  static int print_prefix = 0;  // the context's name is dropped: the file names the problem
  char line[1024];
  av_log_format_line2(context, level, format, args, line, sizeof line, &print_prefix);
  std::string message(line);
  if (const auto close = message.find("] "); message.starts_with('[') && close != std::string::npos) {
    message.erase(0, close + 2);
  }
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
  if (message.empty()) return;
  const auto complaint = std::string("[error] ") + g_file + ": " + message + "\n";
  if (g_held != nullptr) {
    if (g_held->empty()) g_first_complaint = message;
    g_held->append(complaint);
  } else {
    std::fputs(complaint.c_str(), stderr);
  }
}

void release_held_complaints() {
  if (g_held == nullptr) return;
  std::fputs(g_held->c_str(), stderr);
  g_held = nullptr;
}

[[noreturn]] void fail(const std::string& problem) {
  release_held_complaints();
  std::fprintf(stderr, "[error] %s: %s\n", g_file, problem.c_str());
  std::exit(1);
}

std::string error_text(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof text);
  return text;
}

// "00:00:02.021000000" (Matroska's DURATION tag) -> 2.021; 0 when absent.
double tag_seconds(const AVDictionary* tags) {
  const auto* entry = av_dict_get(tags, "DURATION", nullptr, 0);
  int hours = 0;
  int minutes = 0;
  double seconds = 0.0;
  if (entry == nullptr || std::sscanf(entry->value, "%d:%d:%lf", &hours, &minutes, &seconds) != 3) return 0.0;
  return hours * 3600.0 + minutes * 60.0 + seconds;
}

// A stream's duration as ffprobe gives it (the stream's own), else Matroska's tag.
double stream_seconds(const AVStream* stream) {
  if (stream->duration != AV_NOPTS_VALUE) return static_cast<double>(stream->duration) * av_q2d(stream->time_base);
  return tag_seconds(stream->metadata);
}

bool is_cover_art(const AVStream* stream) { return (stream->disposition & AV_DISPOSITION_ATTACHED_PIC) != 0; }

// ffprobe's rotation: the display matrix's, else the older "rotate" tag.
int rotation_of(const AVStream* stream) {
  const auto* matrix = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, nullptr);
  if (matrix != nullptr) return static_cast<int>(std::lround(av_display_rotation_get(reinterpret_cast<const int32_t*>(matrix))));
  const auto* tag = av_dict_get(stream->metadata, "rotate", nullptr, 0);
  return tag != nullptr ? std::atoi(tag->value) : 0;
}

// A display matrix other than the identity: ffmpeg's autorotate would turn or flip the planes.
bool turns_frames(const AVStream* stream) {
  const auto* matrix = reinterpret_cast<const int32_t*>(av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, nullptr));
  if (matrix == nullptr) return rotation_of(stream) != 0;
  static constexpr int32_t kIdentity[9] = {1 << 16, 0, 0, 0, 1 << 16, 0, 0, 0, 1 << 30};
  return std::memcmp(matrix, kIdentity, sizeof kIdentity) != 0;
}

// The rates as dump.c prints them (2 decimals, none when whole): ffmpeg's report took the
// nominal rate for the average one where the two print alike.
std::string printed_rate(AVRational rate) {
  const double value = av_q2d(rate);
  const auto v = static_cast<long long>(std::lrint(static_cast<float>(value * 100)));
  char text[64];
  if (v % 100 != 0) {
    std::snprintf(text, sizeof text, "%3.2f", value);
  } else {
    std::snprintf(text, sizeof text, "%1.0f", value);
  }
  return text;
}

bool write_all(const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    const auto n = write(STDOUT_FILENO, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// The conversion ffmpeg's scale filter (libavfilter/vf_scale.c, ffmpeg 5.1) makes for an output
// pixel format: fftools' default flags (bicubic), the MPEG-2 chroma siting it assumes for
// yuv420p, and per frame the YCbCr matrix of the frame's colorspace ("auto"; BT.601 where
// unknown) and its range.
class BgrConverter {
 public:
  explicit BgrConverter(int threads) : threads_(threads) {}
  ~BgrConverter() {
    sws_freeContext(sws_);
    av_frame_free(&out_);
  }
  BgrConverter(const BgrConverter&) = delete;
  BgrConverter& operator=(const BgrConverter&) = delete;

  // The frame as packed BGR rows, or nullptr (a message printed).
  const std::vector<std::uint8_t>* convert(const AVFrame* in) {
    if (sws_ == nullptr || in->format != format_) {
      if (!open(in)) return nullptr;
    }
    if (in->width != width_ || in->height != height_) {
      fail("the frame size changes from " + std::to_string(width_) + "x" + std::to_string(height_) + " to " +
           std::to_string(in->width) + "x" + std::to_string(in->height) + " within the video");
    }
    set_colorspace(in);
    if (const int r = sws_scale_frame(sws_, out_, in); r < 0) fail("cannot convert a frame to BGR: " + error_text(r));
    av_image_copy_to_buffer(packed_.data(), static_cast<int>(packed_.size()), out_->data, out_->linesize,
                            AV_PIX_FMT_BGR24, width_, height_, 1);
    return &packed_;
  }

 private:
  bool open(const AVFrame* in) {
    sws_freeContext(sws_);
    sws_ = sws_alloc_context();
    if (sws_ == nullptr) fail("out of memory");
    if (out_ == nullptr) {
      width_ = in->width;
      height_ = in->height;
      out_ = av_frame_alloc();
      if (out_ == nullptr) fail("out of memory");
      out_->format = AV_PIX_FMT_BGR24;
      out_->width = width_;
      out_->height = height_;
      if (av_frame_get_buffer(out_, 0) < 0) fail("out of memory");
      packed_.resize(static_cast<std::size_t>(width_) * static_cast<std::size_t>(height_) * 3);
    }
    format_ = in->format;
    av_opt_set_int(sws_, "srcw", in->width, 0);
    av_opt_set_int(sws_, "srch", in->height, 0);
    av_opt_set_int(sws_, "src_format", in->format, 0);
    av_opt_set_int(sws_, "dstw", width_, 0);
    av_opt_set_int(sws_, "dsth", height_, 0);
    av_opt_set_int(sws_, "dst_format", AV_PIX_FMT_BGR24, 0);
    av_opt_set_int(sws_, "sws_flags", SWS_BICUBIC, 0);
    av_opt_set_int(sws_, "threads", threads_, 0);
    av_opt_set_int(sws_, "src_h_chr_pos", -513, 0);
    av_opt_set_int(sws_, "src_v_chr_pos", in->format == AV_PIX_FMT_YUV420P ? 128 : -513, 0);
    av_opt_set_int(sws_, "dst_h_chr_pos", -513, 0);
    av_opt_set_int(sws_, "dst_v_chr_pos", -513, 0);
    if (const int r = sws_init_context(sws_, nullptr, nullptr); r < 0) {
      fail(std::string("cannot convert ") + av_get_pix_fmt_name(static_cast<AVPixelFormat>(in->format)) +
           " frames to BGR: " + error_text(r));
    }
    colorspace_ = -1;
    range_ = -1;
    return true;
  }

  void set_colorspace(const AVFrame* in) {
    if (in->colorspace == colorspace_ && in->color_range == range_) return;
    colorspace_ = in->colorspace;
    range_ = in->color_range;
    int* inv_table = nullptr;
    int* table = nullptr;
    int src_range = 0;
    int dst_range = 0;
    int brightness = 0;
    int contrast = 0;
    int saturation = 0;
    sws_getColorspaceDetails(sws_, &inv_table, &src_range, &table, &dst_range, &brightness, &contrast, &saturation);
    int space = in->colorspace;
    // vf_scale's parse_yuv_type: what sws_getCoefficients has no table for is BT.470BG (BT.601).
    if (space < 1 || space > 10 || space == 8) space = AVCOL_SPC_BT470BG;
    const int* coefficients = sws_getCoefficients(space);
    if (in->color_range != AVCOL_RANGE_UNSPECIFIED) src_range = in->color_range == AVCOL_RANGE_JPEG ? 1 : 0;
    sws_setColorspaceDetails(sws_, coefficients, src_range, coefficients, dst_range, brightness, contrast, saturation);
  }

  int threads_;
  SwsContext* sws_ = nullptr;
  AVFrame* out_ = nullptr;
  int format_ = -1;
  int width_ = 0;
  int height_ = 0;
  int colorspace_ = -1;
  int range_ = -1;
  std::vector<std::uint8_t> packed_;
};

int usage() {
  std::fprintf(stderr, "usage: dlc-decode [--threads N] FILE\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 0;  // libavcodec's "auto": the cores (+1 for frame threads), as ffmpeg
  int arg = 1;
  if (arg + 1 < argc && std::strcmp(argv[arg], "--threads") == 0) {
    char* end = nullptr;
    threads = static_cast<int>(std::strtol(argv[arg + 1], &end, 10));
    if (end == argv[arg + 1] || *end != '\0' || threads < 0) return usage();
    arg += 2;
  }
  if (arg + 1 != argc) return usage();
  g_file = argv[arg];
  // A reader that stops early closes the pipe: write() says EPIPE and dlc-decode ends quietly.
  std::signal(SIGPIPE, SIG_IGN);
  std::string held;
  g_held = &held;
  av_log_set_callback(log_complaints);

  AVFormatContext* format = avformat_alloc_context();
  if (format == nullptr) fail("out of memory");
  format->flags |= AVFMT_FLAG_NONBLOCK;
  // ffmpeg's words for a file it cannot open: its first complaint, else the error.
  const auto unreadable = [](int r) {
    fail("not a video ffmpeg can read: " + (g_first_complaint.empty() ? error_text(r) : g_first_complaint));
  };
  if (const int r = avformat_open_input(&format, g_file, nullptr, nullptr); r < 0) unreadable(r);
  if (const int r = avformat_find_stream_info(format, nullptr); r < 0) unreadable(r);
  AVStream* video = nullptr;
  const AVStream* audio = nullptr;
  int videos = 0;
  for (unsigned i = 0; i < format->nb_streams; ++i) {
    AVStream* stream = format->streams[i];
    stream->discard = AVDISCARD_ALL;
    const auto type = stream->codecpar->codec_type;
    if (type == AVMEDIA_TYPE_AUDIO && audio == nullptr) audio = stream;
    if (type == AVMEDIA_TYPE_VIDEO && !is_cover_art(stream)) {
      ++videos;
      if (video == nullptr) video = stream;
    }
  }
  if (video == nullptr) fail("no video stream");
  const auto* par = video->codecpar;
  if (par->width <= 0 || par->height <= 0) fail("the video stream has no frame size");

  // What ffmpeg's buffer source is given (its "fr:"), and ffprobe's avg_frame_rate.
  const AVRational nominal = av_guess_frame_rate(format, video, nullptr);
  const AVRational average = video->avg_frame_rate;
  const bool average_known = average.num > 0 && average.den > 0;
  const bool variable = average_known && nominal.num > 0 && printed_rate(average) != printed_rate(nominal);
  const int rotation = rotation_of(video);
  // Why ffmpeg would decode it otherwise: its own choice among video streams, autorotate, and (kept
  // on ffmpeg as before) a variable rate.
  const char* reason = videos > 1            ? "several-video-streams"
                       : turns_frames(video) ? "rotated"
                       : variable            ? "variable-frame-rate"
                                             : nullptr;
  int width = par->width;
  int height = par->height;
  if (std::abs(rotation) % 180 == 90) std::swap(width, height);
  double duration = video->duration != AV_NOPTS_VALUE ? static_cast<double>(video->duration) * av_q2d(video->time_base) : 0.0;
  if (duration <= 0.0 && format->duration != AV_NOPTS_VALUE) duration = static_cast<double>(format->duration) / AV_TIME_BASE;
  const AVRational rate = nominal.num > 0 && nominal.den > 0 && !variable ? nominal : average;
  const char* codec = avcodec_get_name(par->codec_id);
  const char* pixel_format = av_get_pix_fmt_name(static_cast<AVPixelFormat>(par->format));
  std::fprintf(stderr,
               "dlc-decode 1 width=%d height=%d fps=%d/%d rotation=%d frames=%lld duration=%f video_duration=%f "
               "codec=%s pix_fmt=%s audio=%s audio_duration=%f decode=%s\n",
               width, height, rate.num, rate.den, rotation, static_cast<long long>(video->nb_frames), duration,
               stream_seconds(video), codec, pixel_format != nullptr ? pixel_format : "-",
               audio != nullptr ? avcodec_get_name(audio->codecpar->codec_id) : "-",
               audio != nullptr ? stream_seconds(audio) : 0.0, reason != nullptr ? reason : "yes");
  release_held_complaints();
  std::fflush(stderr);
  if (reason != nullptr) {
    avformat_close_input(&format);
    return 0;
  }

  const AVCodec* decoder = avcodec_find_decoder(par->codec_id);
  if (decoder == nullptr) fail(std::string("no decoder for ") + codec);
  AVCodecContext* context = avcodec_alloc_context3(decoder);
  if (context == nullptr || avcodec_parameters_to_context(context, par) < 0) fail("out of memory");
  context->pkt_timebase = video->time_base;
  AVDictionary* options = nullptr;
  av_dict_set(&options, "threads", threads > 0 ? std::to_string(threads).c_str() : "auto", 0);
  if (const int r = avcodec_open2(context, decoder, &options); r < 0) {
    fail(std::string("cannot open the ") + codec + " decoder: " + error_text(r));
  }
  av_dict_free(&options);
  video->discard = AVDISCARD_DEFAULT;

  BgrConverter converter(threads);
  AVPacket* packet = av_packet_alloc();
  AVFrame* frame = av_frame_alloc();
  if (packet == nullptr || frame == nullptr) fail("out of memory");
  // The frames the decoder has: false when stdout is gone. Draining at the end, a frame that
  // failed is said and the next asked for, as ffmpeg does (its flush asks again on each pass of
  // its loop), so the frames a frame-threaded decoder held behind it are not lost.
  const auto drain = [&](bool draining) {
    for (int failures = 0;;) {
      const int r = avcodec_receive_frame(context, frame);
      if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return true;
      if (r < 0) {
        std::fprintf(stderr, "[error] %s: error while decoding: %s\n", g_file, error_text(r).c_str());
        if (!draining || ++failures > kMostFailuresDraining) return true;
        continue;
      }
      const auto* bgr = converter.convert(frame);
      av_frame_unref(frame);
      if (bgr == nullptr || !write_all(bgr->data(), bgr->size())) return false;
    }
  };
  bool reading = true;
  bool writing = true;
  while (reading && writing) {
    const int r = av_read_frame(format, packet);
    if (r < 0) {
      // ffmpeg too takes a read error for the end of its input, having said it.
      if (r != AVERROR_EOF) std::fprintf(stderr, "[error] %s: %s\n", g_file, error_text(r).c_str());
      reading = false;
      break;
    }
    if (packet->stream_index == video->index) {
      // As ffmpeg: a packet the decoder refuses is said, and its frames are asked for only with
      // the next packet (asking at once loses frames a frame-threaded decoder still holds).
      if (const int sent = avcodec_send_packet(context, packet); sent < 0 && sent != AVERROR_EOF) {
        std::fprintf(stderr, "[error] %s: error while decoding: %s\n", g_file, error_text(sent).c_str());
      } else {
        writing = drain(false);
      }
    }
    av_packet_unref(packet);
  }
  if (writing) {
    avcodec_send_packet(context, nullptr);  // the frames the decoder still holds
    writing = drain(true);
  }
  av_frame_free(&frame);
  av_packet_free(&packet);
  avcodec_free_context(&context);
  avformat_close_input(&format);
  return 0;
}
