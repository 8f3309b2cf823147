#pragma once

#include <string>
#include <vector>

namespace dlc::media {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed by one
  std::string out;
  std::string err;
};

// Runs argv[0] (a path, or a name looked up in PATH) with argv to its end, through ChildProcess
// (never a shell; stdin /dev/null), with extra "NAME=VALUE" entries added to the environment;
// collects the whole of stdout and stderr. A signal dlc handles while it waits does not cut the
// wait short. A program that cannot be started gives exit_code 127 and the reason in err.
ProcessResult run_process(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {});

}  // namespace dlc::media
