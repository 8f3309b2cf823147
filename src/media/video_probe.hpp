#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace dlc::media {

// A video that is missing, unreadable, or has no video stream.
class VideoError : public std::runtime_error {
 public:
  VideoError(std::filesystem::path path, const std::string& problem);
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Frame rates stay exact (30000/1001 is not 29.97) so the encoder is given what the decoder found.
struct Rational {
  std::int64_t num = 0;
  std::int64_t den = 1;

  double value() const { return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den); }
  // "30000/1001": the form ffmpeg's -r accepts.
  std::string str() const { return std::to_string(num) + "/" + std::to_string(den); }
  bool valid() const { return num > 0 && den > 0; }
  friend bool operator==(const Rational&, const Rational&) = default;
};

// The first audio stream of a file, as an encoder needs to know it: whether it can be copied into
// the output's container, and whether it outlasts the video beside it.
struct AudioTrack {
  std::string codec;              // "aac", "opus", ...; empty: no audio stream, or unreadable
  double duration_s = 0.0;        // 0 when the container does not say
  double video_duration_s = 0.0;  // of the same file's first video stream; 0 when none or unknown
};

struct VideoInfo {
  std::filesystem::path path;
  // As ffmpeg decodes it: the stored size turned by rotation, since ffmpeg applies the display
  // matrix of a phone video by default.
  int width = 0;
  int height = 0;
  int rotation = 0;  // degrees from the display matrix (or the older "rotate" tag), 0 when upright
  Rational fps;  // avg_frame_rate, or r_frame_rate where that is unknown
  std::int64_t frame_count = 0;
  // True when the container states the count (nb_frames); false when it is duration × fps,
  // rounded, which can be off by a frame or two (WebM/Matroska never state it).
  bool frame_count_exact = false;
  double duration_s = 0.0;
  std::string codec;         // "h264", "vp9", ...
  std::string pixel_format;  // "yuv420p", ...
  bool has_audio = false;
  // The same probe's first audio stream, so the encoder that keeps it need not run ffprobe again.
  AudioTrack audio;
};


// Runs `ffprobe -v error -print_format json -show_streams -show_format PATH` (argv, no shell).
// Throws VideoError naming the file when it is missing, ffprobe cannot read it, or it has no video
// stream.
VideoInfo probe_video(const std::filesystem::path& path);

// The part of probe_video that reads ffprobe's JSON; path is only for the result and errors.
VideoInfo parse_probe_json(const std::string& json, const std::filesystem::path& path);

// The same ffprobe run as probe_video, for a file that may have no video (a .wav). Never throws: a
// file ffprobe cannot read gives an empty codec, and ffmpeg reports it when it opens the file.
AudioTrack probe_audio_track(const std::filesystem::path& path);
AudioTrack parse_audio_track_json(const std::string& json);

// PATH as an ffmpeg/ffprobe input or output argument: a relative path gets "./", so a name like
// "-x.mp4" is not taken for an option nor "http:x.mp4" for a protocol.
std::string ffmpeg_file_arg(const std::filesystem::path& path);

// "25/1" -> {25, 1}; anything unparsable, or "0/0", gives {0, 1}.
Rational parse_rational(const std::string& text);

}  // namespace dlc::media
