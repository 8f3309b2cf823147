#include "support/paths.hpp"

#include <vector>

#include "media/subprocess.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace dlc::test {
namespace {

// Test binaries live in build/tests, not beside dlc_opencv_codecs.so and dlc_dlib_face.so: tell
// the loaders where they are (a test that wants one missing overrides this).
[[maybe_unused]] const bool codecs_module_named = setenv("DLC_CODECS_MODULE", DLC_CODECS_MODULE_PATH, 0) == 0;
[[maybe_unused]] const bool dlib_module_named = setenv("DLC_DLIB_MODULE", DLC_DLIB_MODULE_PATH, 0) == 0;
// ONNX Runtime's telemetry off in the test binaries too, as dlc's main() does (each would leave a
// /tmp/mat-debug-PID.log and a cache in the home folder).
[[maybe_unused]] const bool ort_telemetry_off = setenv("ORT_DISABLE_TELEMETRY", "1", 0) == 0;

}  // namespace

std::filesystem::path fixture_model(const char* name) { return std::filesystem::path(DLC_FIXTURE_DIR) / name; }

std::filesystem::path source_tree_file(const char* relative) { return std::filesystem::path(DLC_SOURCE_DIR) / relative; }

std::filesystem::path copy_fixture_models(const std::filesystem::path& dir, std::initializer_list<const char*> names) {
  const auto models = dir / "models";
  std::filesystem::create_directory(models);
  for (const char* name : names) std::filesystem::copy_file(fixture_model(name), models / name);
  return models;
}

std::filesystem::path astronaut_photo() { return source_tree_file(".cache/media/astronaut.png"); }
std::filesystem::path grace_hopper_photo() { return source_tree_file(".cache/media/grace_hopper.jpg"); }

std::string missing_inputs(Dlib68 dlib_68) {
  if (!std::filesystem::exists(astronaut_photo()) || !std::filesystem::exists(grace_hopper_photo())) {
    return "the Debian photos are missing: run scripts/setup.sh";
  }
  if (dlib_68 == Dlib68::kNeeded && !std::filesystem::exists("/usr/share/dlib/shape_predictor_68_face_landmarks.dat")) {
    return "dlib's 68-point model is missing (Debian libdlib-data): run scripts/setup.sh";
  }
  return {};
}

std::filesystem::path dlc_binary() { return DLC_BINARY; }

std::filesystem::path make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "dlc-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

std::filesystem::path make_test_clip(const std::filesystem::path& dir, const char* name, bool audio) {
  const auto path = dir / name;
  std::vector<std::string> argv{"ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25"};
  if (audio) argv.insert(argv.end(), {"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"});
  argv.insert(argv.end(), {"-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p"});
  if (audio) argv.insert(argv.end(), {"-c:a", "aac", "-shortest"});
  argv.push_back(path.string());
  const auto r = media::run_process(argv);
  if (r.exit_code != 0) throw std::runtime_error("ffmpeg could not make " + path.string() + ": " + r.err);
  return path;
}

std::filesystem::path make_clip(const std::filesystem::path& dir, const char* name, const ClipSpec& spec) {
  const auto path = dir / name;
  std::vector<std::string> argv{"ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi",
                                "-i", "testsrc2=size=320x240:rate=25:duration=" + std::to_string(spec.video_s)};
  if (spec.audio_s > 0) {
    argv.insert(argv.end(), {"-f", "lavfi", "-i",
                             "sine=frequency=440:sample_rate=48000:duration=" + std::to_string(spec.audio_s)});
  }
  argv.insert(argv.end(), {"-c:v", "libx264", "-pix_fmt", "yuv420p"});
  if (spec.audio_s > 0) argv.insert(argv.end(), {"-c:a", spec.audio_codec});
  argv.push_back(path.string());
  const auto r = media::run_process(argv);
  if (r.exit_code != 0) throw std::runtime_error("ffmpeg could not make " + path.string() + ": " + r.err);
  return path;
}

}  // namespace dlc::test
