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
    const auto present = pipeline::role_files_present(*role, search_path);
    const auto label = role_label(*role);
    if (present.empty()) {
      fmt::print("{}: missing {}\n", label, role->files.front());
      if (role->fallback.empty()) {
        fmt::print("    no fallback: {} refuses to run without it\n", role->serves);
      } else {
        fmt::print("    in use instead: {}\n", fallback_in_use(*role, search_path));
      }
      fmt::print("    the file would add: {}\n", role->adds);
      continue;
    }
    // The first file present is the one a job uses (pipeline::find_role_file).
    for (std::size_t i = 0; i < present.size(); ++i) {
      const auto& file = present[i];
      const auto size = memory::format_size(file.file_bytes);
      if (file.problem.empty()) {
        if (i == 0) {
          fmt::print("{}: {} ({})\n", label, file.path.string(), size);
        } else {
          fmt::print("    also present, not used: {} ({})\n", file.path.string(), size);
        }
        if (verify) fmt::print("    signature ok; sha256 {}\n", runtime::file_sha256(file.path));
        continue;
      }
      any_invalid = true;
      if (i == 0) {
        fmt::print("{}: INVALID {} ({}): {}\n", label, file.path.string(), size, file.problem);
        fmt::print("    run, live and bench stop at this file (exit 4): {}\n", pipeline::invalid_file_advice(*role));
      } else {
        fmt::print("    INVALID, not used: {} ({}): {}\n", file.path.string(), size, file.problem);
      }
      fmt::print("      expected signature of {}: {}\n", role->files.front(), pipeline::expected_signature(*role));
    }
  }
  return verify && any_invalid ? kExitModel : kExitOk;
}

}  // namespace dlc::app
