#include "media/video_probe.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>

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

// A stream's duration: the stream's own, else Matroska's DURATION tag ("00:00:02.000000000"),
// since Matroska states durations only there.
double stream_duration(const nlohmann::json& stream) {
  if (const auto seconds = number_field(stream, "duration"); seconds > 0.0) return seconds;
  const auto tags = stream.find("tags");
  if (tags == stream.end()) return 0.0;
  const auto text = text_field(*tags, "DURATION");
  int hours = 0;
  int minutes = 0;
  double seconds = 0.0;
  if (std::sscanf(text.c_str(), "%d:%d:%lf", &hours, &minutes, &seconds) != 3) return 0.0;
  return hours * 3600.0 + minutes * 60.0 + seconds;
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

VideoInfo probe_video(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw VideoError(path, "no such file");
  if (std::filesystem::is_directory(path, ec)) throw VideoError(path, "is a folder, not a video");
  const auto r = run_process(
      {"ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", ffmpeg_file_arg(path)});
  if (r.exit_code == 127) throw VideoError(path, "cannot run ffprobe: " + r.err);
  if (r.exit_code != 0) throw VideoError(path, "not a video ffprobe can read: " + ffprobe_problem(r, path));
  return parse_probe_json(r.out, path);
}

}  // namespace dlc::media
