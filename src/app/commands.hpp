#pragma once

#include "app/cli.hpp"

namespace dlc::app {

// Each returns the process exit code (exit_codes.hpp).
int version_command();
int diagnose_command(const CliOptions& options);
int job_command(const CliOptions& options, int threads);  // run, live
int live_command(const JobOptions& job, int threads);
// dlc live --list-cameras: each capture device with its formats, sizes and rates.
int list_cameras_command();
int bench_command(const CliOptions& options, int threads);
int models_command(const CliOptions& options);
// dlc faces scan: the people of a video, a thumbnail each and a --map-faces template.
int faces_command(const CliOptions& options, int threads);
// dlc join PART... -o OUT [--audio-from TARGET]: the parts of `dlc run --frame-range`, checked and
// joined without re-encoding.
int join_command(const CliOptions& options);
// dlc plan [run flags] [--json]: the memory plan `dlc run` would take, nothing loaded or started.
int plan_command(const CliOptions& options, int threads);
// dlc batch slurm|k8s ...: the part jobs and the join job for an existing batch engine.
int batch_command(const CliOptions& options, int threads);

}  // namespace dlc::app
