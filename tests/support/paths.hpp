#pragma once

#include <filesystem>
#include <initializer_list>
#include <string>

namespace dlc::test {

// Generated fixture models (build/fixtures).
std::filesystem::path fixture_model(const char* name);
// Copies the named fixture models into dir/models (made here) and returns that folder: a job's
// --models-dir holding only those files.
std::filesystem::path copy_fixture_models(const std::filesystem::path& dir, std::initializer_list<const char*> names);
// Files fetched by scripts/setup.sh: third_party/... and .cache/media/...
std::filesystem::path source_tree_file(const char* relative);
// The Debian photos scripts/setup.sh puts in .cache/media.
std::filesystem::path astronaut_photo();
std::filesystem::path grace_hopper_photo();
// Why a test that swaps the photos cannot run here, empty when it can: the photos missing, or
// (when it needs them) dlib's 68 points. tests/gui/gui_test_support.hpp says the same to Qt Test.
//   if (const auto why = test::missing_inputs(); !why.empty()) GTEST_SKIP() << why;
enum class Dlib68 { kNeeded, kNotNeeded };
std::string missing_inputs(Dlib68 dlib_68 = Dlib68::kNeeded);

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
