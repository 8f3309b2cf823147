#pragma once

#include <filesystem>
#include <string>

namespace dlc::test {

// Generated fixture models (build/fixtures).
std::filesystem::path fixture_model(const char* name);
// Files fetched by scripts/setup.sh: third_party/... and .cache/media/...
std::filesystem::path source_tree_file(const char* relative);
// The dlc binary under test.
std::filesystem::path dlc_binary();
// A fresh empty folder under the system's temporary folder, removed by the caller.
std::filesystem::path make_temp_dir();

// A 2 s, 25 fps, 320×240 H.264 test pattern (50 frames) made with ffmpeg in dir, with a 440 Hz AAC
// tone when audio is true. Throws std::runtime_error with ffmpeg's message when it cannot.
std::filesystem::path make_test_clip(const std::filesystem::path& dir, const char* name, bool audio);

// A 25 fps H.264 test pattern whose video and 440 Hz tone last as long as asked (so the audio can
// outlast the video, or end first), in the container name's extension picks.
struct ClipSpec {
  double video_s = 2.0;
  double audio_s = 0.0;  // 0: no audio
  std::string audio_codec = "aac";
};
std::filesystem::path make_clip(const std::filesystem::path& dir, const char* name, const ClipSpec& spec);

}  // namespace dlc::test
