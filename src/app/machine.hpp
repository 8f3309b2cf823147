#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "app/job_options.hpp"
#include "memory/cgroup.hpp"
#include "memory/governor.hpp"
#include "memory/monitor.hpp"
#include "memory/nvml.hpp"
#include "memory/recommend.hpp"
#include "runtime/session_policy.hpp"

namespace dlc::app {

// Reads this machine: RAM (cgroup-aware), GPUs through NVML, cores, whether ONNX Runtime's CUDA
// provider loads, and PYTORCH_CUDA_ALLOC_CONF.
memory::MachineFacts read_machine_facts();

// The RAM budget of a job in bytes: --max-memory (capped, with a warning, when it is more than the
// memory cgroup's limit or the RAM: memory::cap_budget), else the tier's recommendation capped by
// what is available right now.
memory::BudgetCap ram_budget(const JobOptions& job, const memory::MachineFacts& facts);
std::uint64_t ram_budget_bytes(const JobOptions& job, const memory::MachineFacts& facts);

// The device total the VRAM budget is a fraction of (the first GPU dlc runs on), if any.
std::optional<std::uint64_t> gpu_total_bytes(const memory::MachineFacts& facts, int device_id);

// Each session's VRAM limit when the job runs on CUDA: one budget (--gpu-memory-fraction × the
// device's memory) split by the sessions' planned needs; empty when not on a known GPU.
std::vector<std::uint64_t> gpu_limits(const JobOptions& job, const runtime::SessionPolicy& policy,
                                      const memory::MachineFacts& facts, const std::vector<std::uint64_t>& needs);

// One reading for the [DLC.MEMORY] lines: system, GPUs, this process, the model arenas and,
// given a tree reader, dlc with its ffmpeg children.
memory::MemorySnapshot read_memory_snapshot(const memory::Nvml& nvml, memory::TreeReader* tree = nullptr);

// dlc and the children it started (media::ChildProcess::running_pids()).
memory::TreeReader job_tree_reader();

// A running job's memory guards: the governor over the budget, reading the tree (dlc and its
// ffmpeg children: what the machine gives the job), which shrinks the model arenas when it holds
// the producer, and, unless the interval is 0, the [DLC.MEMORY] lines on stderr.
class JobMemoryGuard {
 public:
  JobMemoryGuard(std::uint64_t budget_bytes, double monitor_interval_s);
  memory::RssGovernor& governor() { return governor_; }
  memory::TreeReader& tree() { return tree_; }
  // --events json: one memory event read now (besides the one each second).
  void send_memory_event();

 private:
  void send(const memory::MemorySnapshot& snapshot) const;

  memory::TreeReader tree_;
  memory::RssGovernor governor_;
  memory::Nvml nvml_;
  std::uint64_t budget_bytes_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::optional<memory::MemoryMonitor> monitor_;
  std::optional<memory::MemoryMonitor> events_monitor_;  // --events: a memory line each second
};

}  // namespace dlc::app
