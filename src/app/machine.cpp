#include "app/machine.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "app/event_lines.hpp"
#include "memory/cgroup.hpp"
#include "media/child_process.hpp"
#include "memory/nvml.hpp"
#include "memory/plan.hpp"
#include "runtime/ort_runtime.hpp"
#include "runtime/providers.hpp"
#include "runtime/session_policy.hpp"

namespace dlc::app {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

}  // namespace

memory::MachineFacts read_machine_facts() {
  memory::MachineFacts facts;
  facts.system = memory::read_system_memory().value_or(memory::SystemMemory{});
  const memory::Nvml nvml;
  facts.gpus = nvml.devices();
  facts.cores = memory::usable_cpu_cores();
  if (runtime::ort_provider_name("cuda")) {
    facts.cuda_provider_problem = runtime::provider_load_problem("cuda");
  } else {
    facts.cuda_provider_problem = "this ONNX Runtime build has no CUDA provider";
  }
  facts.cuda_provider_loads = facts.cuda_provider_problem.empty();
  facts.pytorch_cuda_alloc_conf_set = std::getenv("PYTORCH_CUDA_ALLOC_CONF") != nullptr;
  return facts;
}

memory::BudgetCap ram_budget(const JobOptions& job, const memory::MachineFacts& facts) {
  const auto own = memory::read_process_memory().value_or(memory::ProcessMemory{}).rss_bytes;
  if (job.max_memory_gb) return memory::cap_budget(static_cast<std::uint64_t>(*job.max_memory_gb * kGiB), facts.system, own);
  const auto recommended = static_cast<std::uint64_t>(memory::recommend(facts).max_memory_gb * kGiB);
  // What is in use by others now is not ours to plan with; dlc's own RSS is, as it is counted
  // in the plan.
  return {std::min(recommended, facts.system.available_bytes + own), {}};
}

std::uint64_t ram_budget_bytes(const JobOptions& job, const memory::MachineFacts& facts) {
  return ram_budget(job, facts).bytes;
}

std::vector<std::uint64_t> gpu_limits(const JobOptions& job, const runtime::SessionPolicy& policy,
                                      const memory::MachineFacts& facts, const std::vector<std::uint64_t>& needs) {
  const bool on_cuda = std::ranges::find(policy.providers, "cuda") != policy.providers.end();
  const auto total = gpu_total_bytes(facts, policy.device_id);
  if (!on_cuda || !total) return {};
  return memory::split_gpu_budget(memory::gpu_budget_bytes(job.gpu_memory_fraction, *total), needs);
}

memory::TreeReader job_tree_reader() {
  return memory::TreeReader([] {
    const auto pids = media::ChildProcess::running_pids();
    return std::vector<int>(pids.begin(), pids.end());
  });
}

memory::MemorySnapshot read_memory_snapshot(const memory::Nvml& nvml, memory::TreeReader* tree) {
  memory::MemorySnapshot snapshot;
  if (tree != nullptr) snapshot.tree = tree->read();
  snapshot.system = memory::read_system_memory();
  snapshot.gpus = nvml.devices();
  snapshot.process = memory::read_process_memory();
  const auto arenas = runtime::OrtRuntime::instance().arena_totals();
  snapshot.arenas = memory::ArenaFigures{static_cast<std::uint64_t>(arenas.in_use_bytes),
                                         static_cast<std::uint64_t>(arenas.peak_bytes)};
  return snapshot;
}

JobMemoryGuard::JobMemoryGuard(std::uint64_t budget_bytes, double monitor_interval_s)
    : tree_(job_tree_reader()),
      governor_(
          budget_bytes, [this] { return tree_.rss_bytes(); }, [] { runtime::OrtRuntime::instance().shrink_arenas(); },
          [](const std::string& text) { spdlog::warn("{}", text); }),
      budget_bytes_(budget_bytes) {
  if (monitor_interval_s > 0) {
    monitor_.emplace(std::chrono::milliseconds(static_cast<long>(monitor_interval_s * 1000)),
                     [this] { return read_memory_snapshot(nvml_, &tree_); },
                     [](const std::string& line) { fmt::print(stderr, "{}\n", line); });
  }
  if (events::enabled()) {
    events_monitor_.emplace(std::chrono::seconds(1), [this] { return read_memory_snapshot(nvml_, &tree_); },
                            [this](const memory::MemorySnapshot& snapshot) { send(snapshot); });
  }
}

void JobMemoryGuard::send(const memory::MemorySnapshot& snapshot) const {
  const std::chrono::duration<double> since = std::chrono::steady_clock::now() - started_;
  events::memory(snapshot, budget_bytes_, since.count());
}

void JobMemoryGuard::send_memory_event() {
  if (events::enabled()) send(read_memory_snapshot(nvml_, &tree_));
}

std::optional<std::uint64_t> gpu_total_bytes(const memory::MachineFacts& facts, int device_id) {
  for (const auto& gpu : facts.gpus) {
    if (static_cast<int>(gpu.index) == device_id) return gpu.total_bytes;
  }
  return std::nullopt;
}

}  // namespace dlc::app
