#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "media/video_probe.hpp"

namespace dlc::media {

// -c:a for an audio codec in the output's container: copy where the container holds it, else
// Opus (.webm) or AAC (.mp4/.m4v/.mov). Shared with VideoWriter (video_writer.cpp).
std::vector<std::string> audio_codec_args(const std::filesystem::path& output, const std::string& codec);

// Whether the audio is known to end before its own file's video: then -shortest would cut the
// video (newer ffmpeg cuts every stream at the shortest one), so it is not given.
bool audio_is_shorter(const AudioTrack& audio);

// The container's tags (ffprobe's format tags, keys in lower case), empty when it has none. Throws
// VideoError naming the file when ffprobe cannot read it.
std::map<std::string, std::string> read_container_tags(const std::filesystem::path& path);

// The concat demuxer's list of videos ("file 'PATH'" lines, quotes escaped as ffconcat wants).
std::string concat_list(const std::vector<std::filesystem::path>& videos);

// The ffmpeg command that joins the list's videos without re-encoding (-c:v copy) into
// temporary, with audio_from's first audio stream (copied, or transcoded where the output's
// container cannot hold it) cut where the video ends. audio_from empty: no audio.
std::vector<std::string> concat_argv(const std::filesystem::path& list, const std::filesystem::path& temporary,
                                     const std::filesystem::path& output, const std::filesystem::path& audio_from = {},
                                     const AudioTrack& audio = {});

struct ConcatResult {
  bool ok = false;
  std::string problem;  // ffmpeg's stderr tail, or why the rename failed
};

// Joins videos (same codec and settings, in order) into output through a temporary name beside
// it, renamed when ffmpeg finished cleanly; the temporary and the list are removed either way.
ConcatResult concat_videos(const std::vector<std::filesystem::path>& videos, const std::filesystem::path& output,
                           const std::filesystem::path& audio_from = {});

}  // namespace dlc::media
