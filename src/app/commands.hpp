#pragma once

#include "app/cli.hpp"

namespace dlc::app {

// Each returns the process exit code (exit_codes.hpp).
int version_command();
int diagnose_command(const CliOptions& options);
int job_command(const CliOptions& options);  // run, live
int bench_command(const CliOptions& options, int threads);
int pending_command(const CliOptions& options);  // models: not in this build yet

}  // namespace dlc::app
