#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

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

// The checks probe_video makes before it runs ffprobe: throws VideoError for a path that is
// missing ("no such file") or a folder.
void require_video_file(const std::filesystem::path& path);

// The part of probe_video that reads ffprobe's JSON; path is only for the result and errors.
VideoInfo parse_probe_json(const std::string& json, const std::filesystem::path& path);

// Whether an MP4/MOV file declares a sound track (a 'hdlr' box of type 'soun' in its 'moov'), read
// from its top-level boxes without ffmpeg; false for another container or a file it cannot read.
// A hint for when to ask ffprobe (with the audio kept, the encoder waits for its answer): what a job
// keeps follows the decoder's report and ffprobe, whatever this says.
bool mp4_declares_sound(const std::filesystem::path& path);

// The same ffprobe run as probe_video, for a file that may have no video (a .wav). Never throws: a
// file ffprobe cannot read gives an empty codec, and ffmpeg reports it when it opens the file.
AudioTrack probe_audio_track(const std::filesystem::path& path);
AudioTrack parse_audio_track_json(const std::string& json);

// The decoder's own account of its input, so that a video job's first frame need not wait for an
// ffprobe run: ffmpeg run with decoder_log_args() writes, before its first frame, the input's
// streams ("Input #0 ... Stream #0:0: Video: h264 ..., 640x480 ..., 25 fps"), the one it decodes
// ("Stream mapping:"), the stream's exact nominal rate (the filter graph's "fr:25/1") and the
// size of the frames it gives ("Output #0 ... Video: rawvideo ..., 480x640").
// This module is the one place that knows that format.
std::vector<std::string> decoder_log_args();

// Whether text (the decoder's stderr so far) holds all of the report parse_decoder_report reads:
// the line of the output's video stream has been written whole.
bool decoder_report_complete(std::string_view text);

struct DecoderReport {
  // frame_count is duration x fps (frame_count_exact false), the container's duration to 10 ms;
  // audio.codec is set, the audio's and video's durations are not (0: unknown).
  VideoInfo info;
  // False when the average rate (ffprobe's avg_frame_rate, what the encoder is given) cannot be
  // told from the report: it differs from the nominal rate (a variable frame rate) or is not
  // stated. info.fps is then the rounded rate the report prints.
  bool fps_exact = false;
};

// Reads the report in text (the decoder's stderr up to decoder_report_complete, or all of it when
// the decoder ended before). Throws VideoError naming path when the decoder could not open it
// ("not a video ffmpeg can read: Invalid data found when processing input") or found no video
// stream in it.
DecoderReport parse_decoder_report(std::string_view text, const std::filesystem::path& path);

// The lines of the decoder's stderr at level error or worse (what `-v error` prints), without the
// level tag: its complaints.
std::string decoder_complaints(std::string_view text);

// PATH as an ffmpeg/ffprobe input or output argument: a relative path gets "./", so a name like
// "-x.mp4" is not taken for an option nor "http:x.mp4" for a protocol.
std::string ffmpeg_file_arg(const std::filesystem::path& path);

// "25/1" -> {25, 1}; anything unparsable, or "0/0", gives {0, 1}.
Rational parse_rational(const std::string& text);

}  // namespace dlc::media
