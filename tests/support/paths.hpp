#pragma once

#include <filesystem>

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

}  // namespace dlc::test
