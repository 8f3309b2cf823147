#include "media/video_probe.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <numeric>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "media/subprocess.hpp"

namespace dlc::media {
namespace {

// ffprobe's JSON has numbers as strings ("nb_frames": "50", "duration": "2.000000").
std::string text_field(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return it->dump();
  return {};
}

double number_field(const nlohmann::json& object, const char* key) {
  const auto text = text_field(object, key);
  if (text.empty()) return 0.0;
  try {
    return std::stod(text);
  } catch (const std::exception&) {
    return 0.0;  // "N/A"
  }
}

bool is_cover_art(const nlohmann::json& stream) {
  const auto disposition = stream.find("disposition");
  return disposition != stream.end() && disposition->value("attached_pic", 0) == 1;
}

// ffprobe's error is a line "PATH: PROBLEM"; the path is already in our message.
std::string ffprobe_problem(const ProcessResult& r, const std::filesystem::path& path) {
  std::string text = r.err;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  const auto prefix = ffmpeg_file_arg(path) + ": ";
  if (text.starts_with(prefix)) text.erase(0, prefix.size());
  if (text.empty()) text = "ffprobe exited with " + std::to_string(r.exit_code);
  return text;
}

// "00:01:02.50" (Matroska's DURATION tag, the decoder's "Duration:") -> 62.5; 0 for "N/A".
double clock_seconds(std::string_view text) {
  int hours = 0;
  int minutes = 0;
  double seconds = 0.0;
  const std::string copy(text);
  if (std::sscanf(copy.c_str(), "%d:%d:%lf", &hours, &minutes, &seconds) != 3) return 0.0;
  return hours * 3600.0 + minutes * 60.0 + seconds;
}

// A stream's duration: the stream's own, else Matroska's DURATION tag ("00:00:02.000000000"),
// since Matroska states durations only there.
double stream_duration(const nlohmann::json& stream) {
  if (const auto seconds = number_field(stream, "duration"); seconds > 0.0) return seconds;
  const auto tags = stream.find("tags");
  if (tags == stream.end()) return 0.0;
  return clock_seconds(text_field(*tags, "DURATION"));
}

int rotation_of(const nlohmann::json& stream) {
  if (const auto side_data = stream.find("side_data_list"); side_data != stream.end() && side_data->is_array()) {
    for (const auto& entry : *side_data) {
      const auto rotation = entry.find("rotation");
      if (rotation != entry.end() && rotation->is_number()) return static_cast<int>(std::lround(rotation->get<double>()));
    }
  }
  if (const auto tags = stream.find("tags"); tags != stream.end()) {
    const auto rotate = text_field(*tags, "rotate");
    int degrees = 0;
    if (std::from_chars(rotate.data(), rotate.data() + rotate.size(), degrees).ec == std::errc{}) return degrees;
  }
  return 0;
}

AudioTrack audio_track_of(const nlohmann::json& doc) {
  AudioTrack track;
  bool audio_seen = false;
  bool video_seen = false;
  for (const auto& stream : doc.value("streams", nlohmann::json::array())) {
    const auto type = stream.value("codec_type", std::string());
    if (type == "audio" && !audio_seen) {
      audio_seen = true;
      track.codec = stream.value("codec_name", std::string());
      track.duration_s = stream_duration(stream);
    } else if (type == "video" && !video_seen && !is_cover_art(stream)) {
      video_seen = true;
      track.video_duration_s = stream_duration(stream);
    }
  }
  return track;
}

// ---- The decoder's report (ffmpeg -loglevel level+verbose): what dump.c and buffersrc.c print.

// "[h264 @ 0x55d0] [error] message": context (kept with its "] "), level, message.
struct LogLine {
  std::string_view context;
  std::string_view level;
  std::string_view message;
};

LogLine split_log_line(std::string_view line) {
  LogLine out;
  if (line.starts_with('[') && line.find(" @ 0x") != std::string_view::npos) {
    if (const auto close = line.find("] "); close != std::string_view::npos) {
      out.context = line.substr(0, close + 2);
      line.remove_prefix(close + 2);
    }
  }
  static constexpr std::string_view kLevels[] = {"panic", "fatal", "error", "warning", "info", "verbose", "debug", "trace"};
  if (line.starts_with('[')) {
    if (const auto close = line.find("] "); close != std::string_view::npos) {
      const auto level = line.substr(1, close - 1);
      if (std::ranges::find(kLevels, level) != std::end(kLevels)) {
        out.level = level;
        line.remove_prefix(close + 2);
      }
    }
  }
  out.message = line;
  return out;
}

bool is_complaint(std::string_view level) { return level == "error" || level == "fatal" || level == "panic"; }

// "h264 (High), 1 reference frame (avc1 / 0x31637661), yuv420p(progressive, left), 640x480 [SAR
// 1:1 DAR 4:3], 975 kb/s, 25 fps, 25 tbr, 12800 tbn (default)": split at the commas outside
// brackets.
std::vector<std::string_view> stream_fields(std::string_view text) {
  std::vector<std::string_view> fields;
  int depth = 0;
  std::size_t begin = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '(' || c == '[') ++depth;
    if ((c == ')' || c == ']') && depth > 0) --depth;
    if (c == ',' && depth == 0 && i + 1 < text.size() && text[i + 1] == ' ') {
      fields.push_back(text.substr(begin, i - begin));
      begin = i + 2;
    }
  }
  fields.push_back(text.substr(begin));
  return fields;
}

std::optional<std::pair<int, int>> size_field(std::string_view field) {
  int width = 0;
  int height = 0;
  const auto x = field.find('x');
  if (x == std::string_view::npos) return std::nullopt;
  const auto w = std::from_chars(field.data(), field.data() + x, width);
  const auto h = std::from_chars(field.data() + x + 1, field.data() + field.size(), height);
  if (w.ec != std::errc{} || w.ptr != field.data() + x || h.ec != std::errc{} || width <= 0 || height <= 0) {
    return std::nullopt;
  }
  return std::pair{width, height};
}

// "25 fps" -> "25" (the number as printed), for suffix " fps" or " tbr".
std::string_view rate_field(const std::vector<std::string_view>& fields, std::string_view suffix) {
  for (const auto field : fields) {
    if (field.ends_with(suffix)) return field.substr(0, field.size() - suffix.size());
  }
  return {};
}

// A rate as dump.c's print_fps writes it: 2 decimals, none when whole, "k" for thousands.
std::string printed_rate(double rate) {
  const auto v = static_cast<std::uint64_t>(std::lrint(static_cast<float>(rate * 100)));
  if (v == 0) return fmt::format("{:1.4f}", rate);
  if (v % 100 != 0) return fmt::format("{:3.2f}", rate);
  if (v % (100 * 1000) != 0) return fmt::format("{:1.0f}", rate);
  return fmt::format("{:1.0f}k", rate / 1000);
}

// "29.97" -> 2997/100: only an approximation, for a rate the report does not state exactly.
Rational rational_of_printed(std::string_view text) {
  double scale = 1.0;
  if (text.ends_with('k')) {
    text.remove_suffix(1);
    scale = 1000.0;
  }
  double value = 0.0;
  if (std::from_chars(text.data(), text.data() + text.size(), value).ec != std::errc{} || value <= 0) return {};
  Rational r{std::llround(value * scale * 100), 100};
  const auto g = std::gcd(r.num, r.den);
  return {r.num / g, r.den / g};
}

int stream_index(std::string_view message) {
  // "  Stream #0:1[0x2](und): Audio: ..." or "  Stream #0:0 -> #0:0 (...)"
  const auto at = message.find("Stream #0:");
  if (at == std::string_view::npos) return -1;
  int index = -1;
  const auto digits = message.substr(at + 10);
  std::from_chars(digits.data(), digits.data() + digits.size(), index);
  return index;
}

struct ReportStream {
  int index = -1;
  bool video = false;
  bool audio = false;
  bool cover_art = false;
  std::string codec;
  std::string pixel_format;
  int width = 0;
  int height = 0;
  int rotation = 0;
  std::string fps;  // as printed; empty when not stated
  std::string tbr;
};

struct ReportScan {
  bool input_seen = false;
  double duration_s = 0.0;
  std::vector<ReportStream> streams;
  int mapped = -1;
  Rational nominal_fps;  // the filter graph's fr:
  std::optional<std::pair<int, int>> output_size;
  std::string first_complaint;
};

ReportStream stream_of(std::string_view message, int index) {
  ReportStream stream;
  stream.index = index;
  for (const auto kind : {std::string_view(": Video: "), std::string_view(": Audio: ")}) {
    const auto at = message.find(kind);
    if (at == std::string_view::npos) continue;
    stream.video = kind == ": Video: ";
    stream.audio = !stream.video;
    const auto fields = stream_fields(message.substr(at + kind.size()));
    stream.codec = std::string(fields.front().substr(0, fields.front().find(' ')));
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (const auto size = size_field(fields[i]); size && stream.width == 0) {
        std::tie(stream.width, stream.height) = *size;
        if (i > 0) stream.pixel_format = std::string(fields[i - 1].substr(0, fields[i - 1].find('(')));
      }
    }
    stream.fps = std::string(rate_field(fields, " fps"));
    stream.tbr = std::string(rate_field(fields, " tbr"));
  }
  stream.cover_art = message.find("(attached pic)") != std::string_view::npos;
  return stream;
}

// Reads the complete lines of text; a last line without its newline is left for the next call.
ReportScan scan_report(std::string_view text) {
  ReportScan scan;
  enum class Section { kNone, kInput, kMapping, kOutput } section = Section::kNone;
  while (!text.empty()) {
    const auto end = text.find_first_of("\r\n");
    if (end == std::string_view::npos) break;
    const auto line = text.substr(0, end);
    text.remove_prefix(end + 1);
    const auto log = split_log_line(line);
    const auto m = log.message;
    // Stream lines are indented by two spaces, programs' by more in some versions.
    const auto stream_line = m.substr(std::min(m.size(), m.find_first_not_of(' '))).starts_with("Stream #");
    if (is_complaint(log.level) && scan.first_complaint.empty()) scan.first_complaint = std::string(m);
    if (m.starts_with("Input #0, ")) {
      section = Section::kInput;
      scan.input_seen = true;
    } else if (m.starts_with("Stream mapping:")) {
      section = Section::kMapping;
    } else if (m.starts_with("Output #0, ")) {
      section = Section::kOutput;
    } else if (m.starts_with("Input #") || m.starts_with("Output #")) {
      section = Section::kNone;
    } else if (log.context.find("input from stream") != std::string_view::npos) {
      if (const auto at = m.find(" fr:"); at != std::string_view::npos) {
        const auto rate = m.substr(at + 4);
        scan.nominal_fps = parse_rational(std::string(rate.substr(0, rate.find(' '))));
      }
    } else if (section == Section::kInput && m.starts_with("  Duration: ")) {
      const auto value = m.substr(12);
      scan.duration_s = clock_seconds(value.substr(0, value.find(',')));
    } else if (section == Section::kInput && stream_line) {
      scan.streams.push_back(stream_of(m, stream_index(m)));
    } else if (section == Section::kInput && !scan.streams.empty() &&
               m.find("displaymatrix: rotation of ") != std::string_view::npos) {
      const auto value = m.substr(m.find("rotation of ") + 12);
      double degrees = 0.0;
      std::from_chars(value.data(), value.data() + value.size(), degrees);
      scan.streams.back().rotation = static_cast<int>(std::lround(degrees));
    } else if (section == Section::kMapping && stream_line && scan.mapped < 0) {
      const auto index = stream_index(m);
      const auto it = std::ranges::find_if(scan.streams, [index](const ReportStream& s) { return s.index == index; });
      if (it != scan.streams.end() && it->video) scan.mapped = index;
    } else if (section == Section::kOutput && stream_line && !scan.output_size) {
      const auto stream = stream_of(m, stream_index(m));
      if (stream.video && stream.width > 0) scan.output_size = std::pair{stream.width, stream.height};
    }
  }
  return scan;
}

}  // namespace

VideoError::VideoError(std::filesystem::path path, const std::string& problem)
    : std::runtime_error(path.string() + ": " + problem), path_(std::move(path)) {}

std::string ffmpeg_file_arg(const std::filesystem::path& path) {
  return path.is_absolute() ? path.string() : "./" + path.string();
}

Rational parse_rational(const std::string& text) {
  const std::string_view s(text);
  const auto slash = s.find('/');
  if (slash == std::string_view::npos) return {};
  Rational r;
  const auto num = std::from_chars(s.data(), s.data() + slash, r.num);
  const auto den = std::from_chars(s.data() + slash + 1, s.data() + s.size(), r.den);
  if (num.ec != std::errc{} || den.ec != std::errc{} || !r.valid()) return {};
  return r;
}

VideoInfo parse_probe_json(const std::string& json, const std::filesystem::path& path) {
  const auto doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) throw VideoError(path, "ffprobe gave output that is not JSON");
  const auto streams = doc.value("streams", nlohmann::json::array());
  const nlohmann::json* video = nullptr;
  VideoInfo info;
  info.path = path;
  for (const auto& stream : streams) {
    const auto type = stream.value("codec_type", std::string());
    if (type == "audio") info.has_audio = true;
    if (type == "video" && video == nullptr && !is_cover_art(stream)) video = &stream;
  }
  if (video == nullptr) throw VideoError(path, "no video stream");

  info.width = video->value("width", 0);
  info.height = video->value("height", 0);
  if (info.width <= 0 || info.height <= 0) throw VideoError(path, "the video stream has no frame size");
  info.rotation = rotation_of(*video);
  if (std::abs(info.rotation) % 180 == 90) std::swap(info.width, info.height);
  info.codec = video->value("codec_name", std::string());
  info.pixel_format = video->value("pix_fmt", std::string());
  info.fps = parse_rational(text_field(*video, "avg_frame_rate"));
  if (!info.fps.valid()) info.fps = parse_rational(text_field(*video, "r_frame_rate"));
  if (!info.fps.valid()) throw VideoError(path, "the video stream has no frame rate");

  info.duration_s = number_field(*video, "duration");
  if (info.duration_s <= 0.0) info.duration_s = number_field(doc.value("format", nlohmann::json::object()), "duration");
  const auto stated = static_cast<std::int64_t>(number_field(*video, "nb_frames"));
  if (stated > 0) {
    info.frame_count = stated;
    info.frame_count_exact = true;
  } else {
    info.frame_count = std::llround(info.duration_s * info.fps.value());
  }
  info.audio = audio_track_of(doc);
  return info;
}

std::vector<std::string> decoder_log_args() {
  // level+: each line says its level, so the complaints are told from the report; verbose for the
  // filter graph's exact rate; no banner, no progress lines.
  return {"-loglevel", "level+verbose", "-hide_banner", "-nostats"};
}

bool decoder_report_complete(std::string_view text) { return scan_report(text).output_size.has_value(); }

DecoderReport parse_decoder_report(std::string_view text, const std::filesystem::path& path) {
  const auto scan = scan_report(text);
  const auto video = std::ranges::find_if(scan.streams, [&scan](const ReportStream& s) {
    return scan.mapped >= 0 ? s.index == scan.mapped : s.video && !s.cover_art;
  });
  if (video == scan.streams.end()) {
    if (scan.input_seen) throw VideoError(path, "no video stream");
    auto problem = scan.first_complaint;
    if (const auto prefix = ffmpeg_file_arg(path) + ": "; problem.starts_with(prefix)) problem.erase(0, prefix.size());
    if (problem.empty()) problem = "ffmpeg said nothing";
    throw VideoError(path, "not a video ffmpeg can read: " + problem);
  }
  DecoderReport report;
  auto& info = report.info;
  info.path = path;
  info.codec = video->codec;
  info.pixel_format = video->pixel_format;
  info.rotation = video->rotation;
  info.width = video->width;
  info.height = video->height;
  if (std::abs(info.rotation) % 180 == 90) std::swap(info.width, info.height);
  // The frames' size as the decoder gives them, once it has said so.
  if (scan.output_size) std::tie(info.width, info.height) = *scan.output_size;
  if (info.width <= 0 || info.height <= 0) throw VideoError(path, "the video stream has no frame size");
  // The nominal rate is exact; the average one (ffprobe's avg_frame_rate) is printed rounded:
  // where the two print alike they are taken for one.
  if (scan.nominal_fps.valid() && (video->fps.empty() || video->fps == printed_rate(scan.nominal_fps.value()))) {
    info.fps = scan.nominal_fps;
    report.fps_exact = true;
  } else {
    info.fps = rational_of_printed(video->fps.empty() ? video->tbr : video->fps);
  }
  if (!info.fps.valid()) throw VideoError(path, "the video stream has no frame rate");
  info.duration_s = scan.duration_s;
  info.frame_count = std::llround(info.duration_s * info.fps.value());
  info.frame_count_exact = false;
  const auto audio = std::ranges::find_if(scan.streams, [](const ReportStream& s) { return s.audio; });
  info.has_audio = audio != scan.streams.end();
  if (info.has_audio) info.audio.codec = audio->codec;
  return report;
}

namespace {

constexpr std::string_view kDlcDecodeFacts = "dlc-decode 1 ";

// The facts line's "key=value" words.
std::optional<std::string_view> fact(std::string_view line, std::string_view key) {
  while (!line.empty()) {
    const auto end = line.find(' ');
    const auto word = line.substr(0, end);
    if (word.size() > key.size() && word.starts_with(key) && word[key.size()] == '=') return word.substr(key.size() + 1);
    line.remove_prefix(end == std::string_view::npos ? line.size() : end + 1);
  }
  return std::nullopt;
}

template <typename T>
T number_fact(std::string_view line, std::string_view key) {
  T value{};
  const auto text = fact(line, key).value_or("");
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::string name_fact(std::string_view line, std::string_view key) {
  const auto text = fact(line, key).value_or("-");
  return text == "-" ? std::string() : std::string(text);
}

}  // namespace

bool dlc_decode_report_complete(std::string_view text) {
  return text.starts_with(kDlcDecodeFacts) && text.find('\n') != std::string_view::npos;
}

DlcDecodeReport parse_dlc_decode_report(std::string_view text, const std::filesystem::path& path) {
  if (!dlc_decode_report_complete(text)) {
    // No facts: its last complaint says why.
    auto complaints = decoder_complaints(text);
    while (!complaints.empty() && complaints.back() == '\n') complaints.pop_back();
    const auto last_line = complaints.rfind('\n');
    auto problem = complaints.substr(last_line == std::string::npos ? 0 : last_line + 1);
    if (const auto prefix = ffmpeg_file_arg(path) + ": "; problem.starts_with(prefix)) problem.erase(0, prefix.size());
    if (problem.empty()) problem = "dlc-decode said nothing";
    throw VideoError(path, problem);
  }
  const auto line = text.substr(0, text.find('\n'));
  DlcDecodeReport report;
  auto& info = report.info;
  info.path = path;
  info.width = number_fact<int>(line, "width");
  info.height = number_fact<int>(line, "height");
  if (info.width <= 0 || info.height <= 0) throw VideoError(path, "the video stream has no frame size");
  info.rotation = number_fact<int>(line, "rotation");
  info.fps = parse_rational(std::string(fact(line, "fps").value_or("")));
  if (!info.fps.valid()) throw VideoError(path, "the video stream has no frame rate");
  info.duration_s = number_fact<double>(line, "duration");
  const auto stated = number_fact<std::int64_t>(line, "frames");
  info.frame_count_exact = stated > 0;
  info.frame_count = stated > 0 ? stated : std::llround(info.duration_s * info.fps.value());
  info.codec = name_fact(line, "codec");
  info.pixel_format = name_fact(line, "pix_fmt");
  info.audio.codec = name_fact(line, "audio");
  info.has_audio = !info.audio.codec.empty();
  info.audio.duration_s = number_fact<double>(line, "audio_duration");
  info.audio.video_duration_s = number_fact<double>(line, "video_duration");
  const auto decode = fact(line, "decode").value_or("");
  report.decodes = decode == "yes";
  if (!report.decodes) report.reason = decode.empty() ? "it did not say" : std::string(decode);
  return report;
}

std::string decoder_complaints(std::string_view text) {
  std::string complaints;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const auto line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    const auto log = split_log_line(line);
    if (!is_complaint(log.level)) continue;
    complaints.append(log.context).append(log.message).append("\n");
  }
  return complaints;
}

AudioTrack parse_audio_track_json(const std::string& json) {
  const auto doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return {};
  return audio_track_of(doc);
}

AudioTrack probe_audio_track(const std::filesystem::path& path) {
  const auto r = run_process(
      {"ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", ffmpeg_file_arg(path)});
  if (r.exit_code != 0) return {};
  return parse_audio_track_json(r.out);
}

void require_video_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw VideoError(path, "no such file");
  if (std::filesystem::is_directory(path, ec)) throw VideoError(path, "is a folder, not a video");
}

VideoInfo probe_video(const std::filesystem::path& path) {
  require_video_file(path);
  const auto r = run_process(
      {"ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", ffmpeg_file_arg(path)});
  if (r.exit_code == 127) throw VideoError(path, "cannot run ffprobe: " + r.err);
  if (r.exit_code != 0) throw VideoError(path, "not a video ffprobe can read: " + ffprobe_problem(r, path));
  return parse_probe_json(r.out, path);
}

}  // namespace dlc::media
