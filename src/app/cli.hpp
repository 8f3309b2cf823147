#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "app/job_options.hpp"

namespace dlc::app {

enum class Command { Run, Live, Diagnose, Bench, Models, Faces, Version, Join, Plan, Batch };

struct CliOptions {
  Command command = Command::Run;
  JobOptions job;
  std::string log_level = "info";
  bool json = false;                  // diagnose, bench, plan
  std::vector<std::string> join_parts;  // join: the part files, in any order
  std::string audio_from;               // join --audio-from TARGET
  std::string batch_engine;             // batch: slurm | k8s
  int batch_parts = 0;                  // batch --parts N
  std::string batch_work_dir;           // batch --work-dir: storage every node sees
  bool batch_submit = false;            // batch --submit: run sbatch
  std::vector<std::string> batch_run_args;  // batch: the run flags each part job passes on
  bool compare_memory_optimization = false;  // bench
  std::string models_action = "list";  // models: list | verify | download | prepare
  std::string faces_action = "scan";   // faces: scan
  std::vector<std::string> models_names;  // models download: files, roles or sets
  bool models_all = false;                // models download --all
  std::optional<std::string> models_from;      // models download --from DIR
  std::optional<std::string> models_mirror;    // models download --mirror URL
  std::optional<std::string> models_manifest;  // models --manifest FILE instead of the built-in one
  bool models_json = false;                    // models list --json
  // Deep-Live-Cam's flags that have no effect here, or a hidden alias: one warning line each,
  // logged once the log level is set.
  std::vector<std::string> warnings;
};

// What parsing produced: options to act on, or an exit code with text to print (help, or the
// one-line error of a bad command line).
struct ParseOutcome {
  std::optional<CliOptions> options;
  int exit_code = 0;
  std::string out;  // for stdout (help)
  std::string err;  // for stderr (usage errors)
};

// args excludes the program name.
ParseOutcome parse_command_line(std::span<const std::string> args);

}  // namespace dlc::app
