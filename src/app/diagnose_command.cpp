#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <thread>

#include "app/commands.hpp"
#include "app/exit_codes.hpp"
#include "memory/system_memory.hpp"
#include "memory/units.hpp"
#include "runtime/ort_runtime.hpp"
#include "runtime/providers.hpp"
#include "runtime/session_policy.hpp"

namespace dlc::app {
namespace {

struct ProviderStatus {
  std::string name;
  std::string status;  // "loads", "cannot load: why", or "compiled in (not probed)"
};

// The GPU providers dlc configures are probed by loading them; others are only listed, since
// probing one (WebGPU) prints driver noise of its own.
std::vector<ProviderStatus> provider_statuses() {
  std::vector<ProviderStatus> statuses;
  for (const auto& name : runtime::compiled_providers()) {
    std::string status = "compiled in (not probed)";
    if (name == "cpu" || name == "cuda" || name == "tensorrt") {
      const auto problem = runtime::provider_load_problem(name);
      status = problem.empty() ? "loads" : "cannot load: " + problem;
    }
    statuses.push_back({name, status});
  }
  return statuses;
}

}  // namespace

int diagnose_command(const CliOptions& options) {
  const auto system = memory::read_system_memory();
  const auto process = memory::read_process_memory();
  const auto providers = provider_statuses();
  const auto cores = std::thread::hardware_concurrency();

  if (options.json) {
    nlohmann::json doc;
    doc["system"] = system ? nlohmann::json{{"total_bytes", system->total_bytes},
                                            {"available_bytes", system->available_bytes},
                                            {"swap_used_bytes", system->swap_used_bytes},
                                            {"cpu_cores", cores}}
                           : nlohmann::json(nullptr);
    doc["process"] = process ? nlohmann::json{{"rss_bytes", process->rss_bytes}, {"peak_rss_bytes", process->peak_bytes}}
                             : nlohmann::json(nullptr);
    auto& ort = doc["frameworks"]["onnxruntime"];
    ort["version"] = runtime::OrtRuntime::version();
    ort["library_dir"] = runtime::onnxruntime_library_dir();
    ort["providers"] = runtime::compiled_providers();
    for (const auto& p : providers) {
      ort["provider_status"][p.name] = p.status;
    }
    fmt::print("{}\n", doc.dump(2));
    return kExitOk;
  }

  fmt::print("System\n");
  if (system) {
    fmt::print("  [DLC.MEMORY] System Memory: {}/{} ({:.1f}%)\n", memory::format_gb(system->used_bytes()),
               memory::format_gb(system->total_bytes),
               100.0 * static_cast<double>(system->used_bytes()) / static_cast<double>(system->total_bytes));
    fmt::print("  available: {}, swap in use: {}\n", memory::format_gb(system->available_bytes),
               memory::format_gb(system->swap_used_bytes));
  } else {
    fmt::print("  /proc/meminfo is not readable: system memory unknown\n");
  }
  fmt::print("  CPU cores: {}\n", cores);
  if (process) {
    fmt::print("Process\n  RSS {} (peak {})\n", memory::format_mb(process->rss_bytes), memory::format_mb(process->peak_bytes));
  }
  fmt::print("ONNX Runtime {} ({})\n", runtime::OrtRuntime::version(), runtime::onnxruntime_library_dir());
  for (const auto& p : providers) {
    fmt::print("  {:<10} {}\n", p.name, p.status);
  }
  return kExitOk;
}

}  // namespace dlc::app
