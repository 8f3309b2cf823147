#pragma once

namespace dlc::app {

// Stable exit codes; the README lists them for users and scripts.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,       // a runtime failure
  kExitUsage = 2,         // bad command line: unknown flag, value out of range
  kExitBadInput = 3,      // an input file is missing, unreadable or not what it must be
  kExitModel = 4,         // a model file is missing or invalid
  kExitMemoryBudget = 5,  // the memory budget cannot be met
  kExitDownload = 6,      // dlc models download: the network or the server failed (a resumable .part is kept)
  kExitRefused = 7,       // --nsfw-filter refused the target
};

}  // namespace dlc::app
