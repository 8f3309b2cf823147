#pragma once

#include <optional>
#include <string>
#include <vector>

#include "memory/nvml.hpp"
#include "memory/system_memory.hpp"

namespace dlc::memory {

// What the recommendation and the bottleneck list are computed from; every field is read from
// the machine (or from recorded files in tests).
struct MachineFacts {
  SystemMemory system;
  std::vector<GpuMemory> gpus;
  int cores = 1;
  bool cuda_provider_loads = false;       // ONNX Runtime's CUDA provider library loads here
  std::string cuda_provider_problem;      // why not, when it does not
  bool pytorch_cuda_alloc_conf_set = false;
};

// The flags for this machine, from the tiers of PRODUCT.md §5.
struct Recommendation {
  std::string tier;  // "high-vram" (≥12 GB), "mid-vram" (8–12 GB), "low-vram" (<8 GB), "cpu"
  std::string provider;
  std::optional<double> gpu_memory_fraction;
  double max_memory_gb = 0;
  int threads = 1;
  std::vector<std::string> args;  // the flags, as separate argv entries
  std::string command;            // "dlc run " + args
};

Recommendation recommend(const MachineFacts& facts);

struct Bottleneck {
  std::string severity;  // "critical", "warning" or "info"
  std::string text;
};

std::vector<Bottleneck> find_bottlenecks(const MachineFacts& facts);

}  // namespace dlc::memory
