#include "memory/recommend.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "memory/units.hpp"

namespace dlc::memory {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

double gib(std::uint64_t bytes) { return static_cast<double>(bytes) / kGiB; }

// A card sold as "12 GB" reports a little less (an RTX 4070 has 12282 MiB), and a "16 GB"
// machine's MemTotal is below 16 GiB once the kernel has taken its share: tiers compare
// against the marketing size minus this slack.
constexpr double kSlackGiB = 0.5;

struct Tier {
  const char* name;
  double fraction;
  double max_memory_gb;
  int threads;
};

// PRODUCT.md §5: ≥12 GB VRAM → 0.85, 16, 8; 8–12 GB → 0.75, 8, 6; <8 GB → 0.6, 4, 4;
// no GPU → cpu, 8, 4.
constexpr Tier kHighVram{"high-vram", 0.85, 16, 8};
constexpr Tier kMidVram{"mid-vram", 0.75, 8, 6};
constexpr Tier kLowVram{"low-vram", 0.60, 4, 4};
constexpr Tier kCpu{"cpu", 0.0, 8, 4};

const Tier& tier_for(const std::vector<GpuMemory>& gpus) {
  if (gpus.empty()) return kCpu;
  const auto vram = gib(std::ranges::max(gpus, {}, &GpuMemory::total_bytes).total_bytes);
  if (vram >= 12 - kSlackGiB) return kHighVram;
  if (vram >= 8 - kSlackGiB) return kMidVram;
  return kLowVram;
}

// PRODUCT.md §5: RAM ≤ 8 GB → max-memory 4, 16 GB → 8, ≥ 32 GB → 16. A budget is also never more
// than three quarters of the RAM (in steps of 0.5 GB), so the system and other programs keep
// the rest: a 4 GB machine gets 3.
double ram_cap_gb(const SystemMemory& system) {
  const double ram = gib(system.total_bytes);
  const double by_tier = ram <= 8 + kSlackGiB ? 4 : ram < 32 - kSlackGiB ? 8 : 16;
  const double three_quarters = std::max(0.5, std::floor(ram * 0.75 * 2) / 2);
  return std::min(by_tier, three_quarters);
}

std::string number(double value) { return fmt::format("{}", value); }

}  // namespace

Recommendation recommend(const MachineFacts& facts) {
  const auto& tier = tier_for(facts.gpus);
  Recommendation r;
  r.tier = tier.name;
  r.provider = facts.gpus.empty() ? "cpu" : "cuda";
  if (!facts.gpus.empty()) r.gpu_memory_fraction = tier.fraction;
  r.max_memory_gb = std::min(tier.max_memory_gb, ram_cap_gb(facts.system));
  r.threads = std::clamp(facts.cores, 1, tier.threads);

  r.args = {"--execution-provider", r.provider};
  if (r.gpu_memory_fraction) r.args.insert(r.args.end(), {"--gpu-memory-fraction", number(*r.gpu_memory_fraction)});
  r.args.insert(r.args.end(), {"--max-memory", number(r.max_memory_gb), "--execution-threads", std::to_string(r.threads)});
  r.command = "dlc run";
  for (const auto& arg : r.args) r.command += " " + arg;
  return r;
}

std::vector<Bottleneck> find_bottlenecks(const MachineFacts& facts) {
  std::vector<Bottleneck> found;
  const auto& s = facts.system;
  if (!facts.gpus.empty() && !facts.cuda_provider_loads) {
    found.push_back({"critical", fmt::format("a GPU is present but ONNX Runtime's CUDA provider cannot be used ({}): dlc "
                                             "would run on the CPU; run scripts/setup.sh --gpu",
                                             facts.cuda_provider_problem)});
  }
  const double available = gib(s.available_bytes);
  if (available < 4) {
    found.push_back({"critical", fmt::format("low available RAM: {} (under 4GB)", format_gb(s.available_bytes))});
  } else if (available < 8) {
    found.push_back({"warning", fmt::format("moderate available RAM: {} (under 8GB)", format_gb(s.available_bytes))});
  }
  for (const auto& gpu : facts.gpus) {
    const double free = gib(gpu.free_bytes);
    if (free < 2) {
      found.push_back({"critical", fmt::format("GPU {}: low free VRAM {} (under 2GB)", gpu.index, format_gb(gpu.free_bytes))});
    } else if (free < 4) {
      found.push_back({"warning", fmt::format("GPU {}: moderate free VRAM {} (under 4GB)", gpu.index, format_gb(gpu.free_bytes))});
    }
  }
  if (s.swap_used_bytes > 0) {
    found.push_back({"warning", fmt::format("swap in use: {}; frames that spill to swap slow every stage",
                                            format_gb(s.swap_used_bytes))});
  }
  if (s.cgroup_limit_bytes) {
    found.push_back({"info", fmt::format("a cgroup limits this process to {} of the machine's {}: that is dlc's total",
                                         format_gb(*s.cgroup_limit_bytes), format_gb(s.physical_total_bytes))});
  }
  if (facts.pytorch_cuda_alloc_conf_set) {
    found.push_back({"info", "PYTORCH_CUDA_ALLOC_CONF is set but has no meaning in dlc (it uses no PyTorch); use "
                             "--gpu-memory-fraction to limit VRAM"});
  }
  return found;
}

}  // namespace dlc::memory
