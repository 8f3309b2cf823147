#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "app/commands.hpp"
#include "app/exit_codes.hpp"
#include "app/job_setup.hpp"
#include "media/subprocess.hpp"
#include "media/video_probe.hpp"
#include "pipeline/image_job.hpp"

namespace dlc::app {
namespace {

// What each part job reserves beyond dlc's plan: the plan's figures are measured peaks of the
// same settings, and the margin covers the page cache and allocator slack a cgroup also counts.
constexpr double kMemoryMargin = 1.25;

std::string shell_quoted(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string quoted_words(const std::vector<std::string>& words) {
  std::vector<std::string> quoted;
  for (const auto& w : words) quoted.push_back(shell_quoted(w));
  return fmt::format("{}", fmt::join(quoted, " "));
}

struct Batch {
  std::string name;                  // job names: dlc-STEM
  std::filesystem::path work;        // absolute
  std::vector<std::string> ranges;   // "START:END" per part
  std::vector<std::string> parts;    // the part files, absolute
  std::vector<std::string> run;      // dlc run ... without --frame-range and -o
  std::vector<std::string> join;     // dlc join ...
  std::uint64_t mem_mib = 0;
  int cpus = 1;
  bool gpu = false;
};

std::string slurm_parts_script(const Batch& b) {
  std::string s = "#!/bin/bash\n";
  s += fmt::format("#SBATCH --job-name={}-parts\n#SBATCH --array=0-{}\n", b.name, b.parts.size() - 1);
  s += fmt::format("#SBATCH --mem={}M\n#SBATCH --cpus-per-task={}\n#SBATCH --requeue\n", b.mem_mib, b.cpus);
  if (b.gpu) s += "#SBATCH --gres=gpu:1\n";
  s += fmt::format("#SBATCH --output={}\n", (b.work / "logs" / "part-%a.log").string());
  s += "# Written by dlc batch slurm: --mem is dlc's planned peak x " + fmt::format("{}", kMemoryMargin) +
       "; a failed part is requeued alone (--requeue), its output written to a temporary name first.\n";
  s += "set -euo pipefail\n";
  s += fmt::format("ranges=({})\nparts=({})\n", fmt::join(b.ranges, " "), quoted_words(b.parts));
  s += "i=$SLURM_ARRAY_TASK_ID\n";
  s += fmt::format("exec {} --frame-range \"${{ranges[$i]}}\" -o \"${{parts[$i]}}\"\n", quoted_words(b.run));
  return s;
}

std::string slurm_join_script(const Batch& b) {
  std::string s = "#!/bin/bash\n";
  s += fmt::format("#SBATCH --job-name={}-join\n#SBATCH --mem=1024M\n#SBATCH --cpus-per-task=1\n", b.name);
  s += fmt::format("#SBATCH --output={}\n", (b.work / "logs" / "join.log").string());
  s += "# Submitted with --dependency=afterok:<the parts' array job>.\nset -euo pipefail\n";
  s += fmt::format("exec {}\n", quoted_words(b.join));
  return s;
}

// YAML strings in double quotes (JSON's escapes are YAML's).
std::string yaml_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string k8s_job(const Batch& b, bool parts) {
  const auto mem = fmt::format("{}Mi", parts ? b.mem_mib : 1024);
  std::string command;
  if (parts) {
    command = fmt::format("set -eu; set -- {}; shift \"$JOB_COMPLETION_INDEX\"; range=$1; set -- {}; shift "
                          "\"$JOB_COMPLETION_INDEX\"; exec {} --frame-range \"$range\" -o \"$1\"",
                          fmt::join(b.ranges, " "), quoted_words(b.parts), quoted_words(b.run));
  } else {
    command = "exec " + quoted_words(b.join);
  }
  std::string y = "apiVersion: batch/v1\nkind: Job\nmetadata:\n";
  y += fmt::format("  name: {}-{}\n", b.name, parts ? "parts" : "join");
  y += "spec:\n";
  if (parts) {
    y += fmt::format("  completions: {}\n  parallelism: {}\n  completionMode: Indexed\n", b.parts.size(), b.parts.size());
    y += fmt::format("  backoffLimit: {}\n", 3 * b.parts.size());  // a failed part is retried, not the video
  } else {
    y += "  backoffLimit: 3\n";
  }
  y += "  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: dlc\n";
  y += "          image: dlc:latest\n";
  y += fmt::format("          command: [\"/bin/sh\", \"-c\", {}]\n", yaml_string(command));
  y += "          resources:\n";
  y += fmt::format("            requests:\n              memory: {}\n              cpu: \"{}\"\n", mem, parts ? b.cpus : 1);
  y += fmt::format("            limits:\n              memory: {}\n", mem);
  if (parts && b.gpu) y += "              nvidia.com/gpu: 1\n";
  y += fmt::format("          volumeMounts:\n            - name: work\n              mountPath: {}\n", yaml_string(b.work.string()));
  y += fmt::format("      volumes:\n        - name: work\n          hostPath:\n            path: {}\n", yaml_string(b.work.string()));
  return y;
}

void write_file(const std::filesystem::path& path, const std::string& text, bool executable) {
  std::string name(".");
  name.append(path.filename().string()).append(".dlc-partial-").append(std::to_string(getpid()));
  const auto temporary = path.parent_path() / name;
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw pipeline::InputError(fmt::format("cannot write '{}'", path.string()));
  }
  if (executable) {
    std::filesystem::permissions(temporary, std::filesystem::perms::owner_exec | std::filesystem::perms::group_exec,
                                 std::filesystem::perm_options::add);
  }
  std::filesystem::rename(temporary, path);
}

std::string sbatch(const std::vector<std::string>& argv) {
  const auto r = media::run_process(argv);
  if (r.exit_code != 0) {
    throw pipeline::InputError(fmt::format("{} failed (exit {}): {}", fmt::join(argv, " "), r.exit_code,
                                           r.err.substr(0, r.err.find('\n'))));
  }
  return r.out.substr(0, r.out.find_first_of(";\n"));  // --parsable: "ID" or "ID;CLUSTER"
}

}  // namespace

int batch_command(const CliOptions& options, int threads) {
  const auto& job = options.job;
  if (job.source.empty() || job.target.empty() || job.output.empty()) {
    fmt::print(stderr, "dlc batch: -s/--source, -t/--target and -o/--output are required (see 'dlc batch --help')\n");
    return kExitUsage;
  }
  const auto target = media::probe_video(job.target);
  if (target.frame_count < options.batch_parts) {
    throw pipeline::InputError(fmt::format("'{}' has {} frames: fewer than --parts {}", job.target, target.frame_count,
                                           options.batch_parts));
  }
  const auto planned = plan_run(job, threads, target);
  if (!planned.choice.chosen) {
    fmt::print(stderr, "dlc batch: no memory strategy fits the budget of {} MiB (see dlc plan)\n",
               planned.budget_bytes >> 20);
    return kExitMemoryBudget;
  }
  const auto& plan = planned.choice.plans[*planned.choice.chosen];
  Batch b;
  b.work = std::filesystem::absolute(options.batch_work_dir);
  std::filesystem::create_directories(b.work / "logs");
  b.name = "dlc-" + std::filesystem::path(job.output).stem().string();
  b.mem_mib = static_cast<std::uint64_t>(std::ceil(static_cast<double>(plan.plan.peak_bytes()) * kMemoryMargin / (1 << 20)));
  b.cpus = threads;
  const auto providers = session_policy(job, threads).providers;
  b.gpu = std::ranges::find(providers, "cuda") != providers.end();
  const auto dlc = std::filesystem::canonical("/proc/self/exe").string();
  const auto source = std::filesystem::absolute(job.source).string();
  const auto video = std::filesystem::absolute(job.target).string();
  const auto output = std::filesystem::absolute(job.output).string();
  const auto n = static_cast<std::int64_t>(options.batch_parts);
  for (std::int64_t i = 0; i < n; ++i) {
    b.ranges.push_back(fmt::format("{}:{}", target.frame_count * i / n, target.frame_count * (i + 1) / n));
    b.parts.push_back((b.work / fmt::format("part-{:04}.mkv", i)).string());
  }
  b.run = {dlc, "run", "-s", source, "-t", video};
  b.run.insert(b.run.end(), options.batch_run_args.begin(), options.batch_run_args.end());
  b.join = {dlc, "join"};
  b.join.insert(b.join.end(), b.parts.begin(), b.parts.end());
  b.join.insert(b.join.end(), {"-o", output, "--audio-from", video});

  if (options.batch_engine == "k8s") {
    const auto path = b.work / "dlc-jobs.yaml";
    write_file(path, k8s_job(b, true) + "---\n" + k8s_job(b, false), false);
    fmt::print("dlc: wrote {} ({} parts, {} MiB each: the plan's {} MiB peak x {}); apply the parts Job, wait for "
               "it (kubectl wait --for=condition=complete job/{}-parts), then the join Job\n",
               path.string(), n, b.mem_mib, plan.plan.peak_bytes() >> 20, kMemoryMargin, b.name);
    return kExitOk;
  }
  const auto parts_script = b.work / "parts.sbatch";
  const auto join_script = b.work / "join.sbatch";
  write_file(parts_script, slurm_parts_script(b), true);
  write_file(join_script, slurm_join_script(b), true);
  fmt::print("dlc: wrote {} and {} ({} parts, --mem={}M each: the plan's {} MiB peak x {}, strategy {}, "
             "--cpus-per-task={}{})\n",
             parts_script.string(), join_script.string(), n, b.mem_mib, plan.plan.peak_bytes() >> 20, kMemoryMargin,
             pipeline::strategy_name(plan.strategy), b.cpus, b.gpu ? ", --gres=gpu:1" : "");
  if (!options.batch_submit) return kExitOk;
  const auto array = sbatch({"sbatch", "--parsable", parts_script.string()});
  const auto joined = sbatch({"sbatch", "--parsable", "--dependency=afterok:" + array, join_script.string()});
  fmt::print("dlc: submitted the parts as job {} and the join as job {}\n", array, joined);
  return kExitOk;
}

}  // namespace dlc::app
