#pragma once

#include <string>
#include <vector>

namespace dlc::test {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed by one
  std::string out;
  std::string err;
};

// Runs argv[0] with argv (no shell), extra "NAME=VALUE" entries added to the environment, and
// collects stdout and stderr.
ProcessResult run_process(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {});

}  // namespace dlc::test
