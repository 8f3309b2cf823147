#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "app/commands.hpp"
#include "app/exit_codes.hpp"

namespace dlc::app {
namespace {

// An input the job cannot read gets exit 3 before any model is loaded.
bool readable_file(const std::string& path, std::string_view role) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    fmt::print(stderr, "dlc: {} '{}' does not exist or is not a file\n", role, path);
    return false;
  }
  if (!std::ifstream(path, std::ios::binary)) {
    fmt::print(stderr, "dlc: {} '{}' cannot be opened for reading\n", role, path);
    return false;
  }
  return true;
}

}  // namespace

int job_command(const CliOptions& options) {
  const auto& job = options.job;
  const bool live = options.command == Command::Live;
  if (job.source.empty() || (!live && (job.target.empty() || job.output.empty()))) {
    fmt::print(stderr, "dlc {}: {} required (see 'dlc --help')\n", live ? "live" : "run",
               live ? "-s/--source is" : "-s/--source, -t/--target and -o/--output are");
    return kExitUsage;
  }
  if (!readable_file(job.source, "source") || (!live && !readable_file(job.target, "target"))) return kExitBadInput;
  fmt::print(stderr, "dlc {}: this build has no face pipeline yet; 'dlc diagnose' and 'dlc --version' work\n",
             live ? "live" : "run");
  return kExitFailure;
}

}  // namespace dlc::app
