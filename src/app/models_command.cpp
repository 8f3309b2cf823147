#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdlib>

#include "app/commands.hpp"
#include "app/exit_codes.hpp"
#include "memory/units.hpp"
#include "pipeline/face_analyser.hpp"
#include "pipeline/job_models.hpp"
#include "runtime/sha256.hpp"

namespace dlc::app {
namespace {

std::string role_label(const pipeline::ModelRole& role) {
  return role.role == "enhancer" ? fmt::format("enhancer ({})", role.serves) : std::string(role.role);
}

// What actually stands in for a missing role on this machine.
std::string fallback_in_use(const pipeline::ModelRole& role, const std::vector<std::filesystem::path>& search_path) {
  if (role.role == "detector") {
    pipeline::AnalyserOptions options;
    options.search_path = search_path;
    const auto choice = pipeline::choose_detector(options);
    return choice.kind == "blazeface" ? fmt::format("BlazeFace ({})", choice.model.string())
                                      : "dlib's HOG detector (no BlazeFace model found either: run scripts/setup.sh)";
  }
  if (role.role == "landmarks") {
    std::error_code ec;
    const bool present = std::filesystem::exists(face::DlibLandmarks::kDefaultModel, ec);
    return present ? fmt::format("dlib's 68-point shape predictor ({})", face::DlibLandmarks::kDefaultModel)
                   : fmt::format("nothing: {} is missing too (Debian package libdlib-data)", face::DlibLandmarks::kDefaultModel);
  }
  if (role.role == "swapper") return std::string(role.fallback) + " (not in this build yet)";
  return std::string(role.fallback);
}

}  // namespace

int models_command(const CliOptions& options) {
  const bool verify = options.models_action == "verify";
  const auto search_path = models_search_path(options.job);
  std::vector<std::string> dirs;
  for (const auto& d : search_path) dirs.push_back(d.string());
  fmt::print("models looked up in: {}\n", fmt::join(dirs, ", "));

  bool any_invalid = false;
  for (const auto* role : pipeline::all_roles()) {
    const auto files = pipeline::find_role_files(*role, search_path);
    const auto label = role_label(*role);
    if (files.usable) {
      fmt::print("{}: {} ({})\n", label, files.usable->path.string(), memory::format_size(files.usable->file_bytes));
      if (verify) {
        fmt::print("    signature ok; sha256 {}\n", runtime::file_sha256(files.usable->path));
      }
    } else {
      fmt::print("{}: missing {}\n", label, role->files.front());
      if (role->fallback.empty()) {
        fmt::print("    no fallback: {} refuses to run without it\n", role->serves);
      } else {
        fmt::print("    in use instead: {}\n", fallback_in_use(*role, search_path));
      }
      fmt::print("    the file would add: {}\n", role->adds);
    }
    for (const auto& [path, problem] : files.invalid) {
      any_invalid = true;
      fmt::print("    INVALID, not used: {}: {}\n", path.string(), problem);
      fmt::print("      expected signature of {}: {}\n", role->files.front(), pipeline::expected_signature(*role));
    }
  }
  return verify && any_invalid ? kExitModel : kExitOk;
}

}  // namespace dlc::app
