#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dlc::memory {

// One GPU's memory as NVML reports it, in bytes.
struct GpuMemory {
  unsigned index = 0;
  std::string name;
  std::uint64_t total_bytes = 0;
  std::uint64_t used_bytes = 0;
  std::uint64_t free_bytes = 0;
  // This process's share; nullopt when NVML cannot tell (no permission, WDDM, MIG without
  // accounting). Inside a PID namespace NVML lists host pids, so this reads 0 there.
  std::optional<std::uint64_t> process_used_bytes;
};

// NVML loaded at run time, so a machine without the NVIDIA driver runs the same binary and just
// sees no GPUs. Owns the library: dlopen + nvmlInit_v2 here, nvmlShutdown + dlclose on
// destruction. devices() may be called from any thread (NVML calls are thread-safe).
class Nvml {
 public:
  // A name for the dynamic loader to look up, or a path.
  explicit Nvml(const std::string& library = "libnvidia-ml.so.1");
  ~Nvml();
  Nvml(const Nvml&) = delete;
  Nvml& operator=(const Nvml&) = delete;

  bool available() const { return api_ != nullptr; }
  // Why not available: the loader's message, "missing symbol NAME" or "nvmlInit_v2 failed: ...".
  const std::string& problem() const { return problem_; }
  // A fresh reading on every call; a device whose reading fails is left out.
  std::vector<GpuMemory> devices() const;

 private:
  struct Api;
  void* library_ = nullptr;
  std::unique_ptr<const Api> api_;  // set only once nvmlInit_v2 has succeeded
  std::string problem_;
};

}  // namespace dlc::memory
