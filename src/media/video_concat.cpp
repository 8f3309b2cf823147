#include "media/video_concat.hpp"

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <system_error>

#include "media/subprocess.hpp"

namespace dlc::media {
namespace {

// Beside the output (the rename stays on one file system), hidden and PID-tagged.
std::filesystem::path beside(const std::filesystem::path& output, const std::string& what, const std::string& ext) {
  // Appended piece by piece: GCC 12 warns (-Wrestrict, falsely) on a chain of + here.
  std::string name(".");
  name.append(output.stem().string()).append(".dlc-").append(what).append("-").append(std::to_string(getpid()));
  name.append(ext);
  return output.parent_path() / name;
}

}  // namespace

bool audio_is_shorter(const AudioTrack& audio) {
  return audio.duration_s > 0.0 && audio.video_duration_s > 0.0 && audio.duration_s < audio.video_duration_s;
}

std::map<std::string, std::string> read_container_tags(const std::filesystem::path& path) {
  const auto r = run_process({"ffprobe", "-v", "error", "-print_format", "json", "-show_entries", "format_tags",
                              ffmpeg_file_arg(path)});
  if (r.exit_code != 0) {
    const auto line = r.err.substr(0, r.err.find('\n'));
    throw VideoError(path, line.empty() ? "ffprobe cannot read it" : line);
  }
  std::map<std::string, std::string> tags;
  const auto json = nlohmann::json::parse(r.out, nullptr, false);
  if (json.is_discarded()) throw VideoError(path, "ffprobe's output is not JSON");
  if (const auto format = json.find("format"); format != json.end() && format->contains("tags")) {
    for (const auto& [key, value] : (*format)["tags"].items()) {
      // Matroska writes tag names upper-case (DLC_PART_RANGE), MP4 as given: lower-case both.
      std::string name = key;
      std::ranges::transform(name, name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (value.is_string()) tags[name] = value.get<std::string>();
    }
  }
  return tags;
}

std::string concat_list(const std::vector<std::filesystem::path>& videos) {
  std::string list = "ffconcat version 1.0\n";
  for (const auto& video : videos) {
    // ffconcat quoting: inside '...' a quote is closed, escaped and reopened.
    std::string quoted;
    for (const char c : std::filesystem::absolute(video).string()) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    list += "file '" + quoted + "'\n";
  }
  return list;
}

std::vector<std::string> concat_argv(const std::filesystem::path& list, const std::filesystem::path& temporary,
                                     const std::filesystem::path& output, const std::filesystem::path& audio_from,
                                     const AudioTrack& audio) {
  // -safe 0: the list names absolute paths.
  std::vector<std::string> argv{"ffmpeg", "-v", "error", "-nostdin", "-f", "concat", "-safe", "0", "-i",
                                ffmpeg_file_arg(list)};
  if (audio_from.empty()) {
    argv.insert(argv.end(), {"-map", "0:v:0"});
  } else {
    argv.insert(argv.end(), {"-i", ffmpeg_file_arg(audio_from), "-map", "0:v:0", "-map", "1:a:0?"});
    const auto codec = audio_codec_args(output, audio.codec);
    argv.insert(argv.end(), codec.begin(), codec.end());
    if (!audio_is_shorter(audio)) argv.emplace_back("-shortest");
  }
  // The output's tags are the video's, not the first part's range.
  argv.insert(argv.end(), {"-c:v", "copy", "-map_metadata", "-1", "-y", ffmpeg_file_arg(temporary)});
  return argv;
}

ConcatResult concat_videos(const std::vector<std::filesystem::path>& videos, const std::filesystem::path& output,
                           const std::filesystem::path& audio_from) {
  ConcatResult result;
  const auto list = beside(output, "join", ".ffconcat");
  const auto temporary = beside(output, "partial", output.extension().string());
  {
    std::ofstream out(list, std::ios::binary | std::ios::trunc);
    out << concat_list(videos);
    if (!out.flush()) {
      result.problem = "cannot write " + list.string();
      return result;
    }
  }
  const auto audio = audio_from.empty() ? AudioTrack{} : probe_audio_track(audio_from);
  const auto r = run_process(concat_argv(list, temporary, output, audio_from, audio));
  std::error_code ec;
  std::filesystem::remove(list, ec);
  if (r.exit_code != 0) {
    result.problem = r.err.empty() ? "ffmpeg exited with " + std::to_string(r.exit_code) : r.err;
    std::filesystem::remove(temporary, ec);
    return result;
  }
  std::filesystem::rename(temporary, output, ec);
  if (ec) {
    result.problem = "cannot rename " + temporary.string() + " to " + output.string() + ": " + ec.message();
    std::filesystem::remove(temporary, ec);
    return result;
  }
  result.ok = true;
  return result;
}

}  // namespace dlc::media
