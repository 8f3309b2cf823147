#include "memory/nvml.hpp"

#include <dlfcn.h>
#include <unistd.h>

namespace dlc::memory {
namespace {

// The slice of NVML's C ABI (nvml.h) that dlc uses. A driver too old for one of these entry
// points shows up as "missing symbol", not as a crash.
using NvmlReturn = int;  // nvmlReturn_t
using NvmlDevice = struct NvmlDeviceOpaque*;  // nvmlDevice_t

struct NvmlMemory {  // nvmlMemory_t (v1)
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};

struct NvmlProcessInfo {  // nvmlProcessInfo_t as filled by nvmlDeviceGetComputeRunningProcesses_v3
  unsigned int pid;
  unsigned long long usedGpuMemory;
  unsigned int gpuInstanceId;
  unsigned int computeInstanceId;
};

// nvml.h: NVML_SUCCESS, NVML_ERROR_INSUFFICIENT_SIZE, NVML_DEVICE_NAME_V2_BUFFER_SIZE, and
// NVML_VALUE_NOT_AVAILABLE, which usedGpuMemory holds under WDDM or without accounting.
constexpr NvmlReturn kSuccess = 0;
constexpr NvmlReturn kInsufficientSize = 7;
constexpr unsigned kNameBufferSize = 96;
constexpr unsigned long long kValueNotAvailable = ~0ULL;

using GetProcesses = NvmlReturn (*)(NvmlDevice, unsigned*, NvmlProcessInfo*);

// Enough for a shared workstation in one call; NVML's size protocol covers the rest.
constexpr unsigned kInitialProcessSlots = 64;

}  // namespace

struct Nvml::Api {
  NvmlReturn (*init)();
  NvmlReturn (*shutdown)();
  const char* (*error_string)(NvmlReturn);
  NvmlReturn (*get_count)(unsigned*);
  NvmlReturn (*get_handle)(unsigned, NvmlDevice*);
  NvmlReturn (*get_name)(NvmlDevice, char*, unsigned);
  NvmlReturn (*get_memory)(NvmlDevice, NvmlMemory*);
  GetProcesses get_processes;
};

namespace {

template <typename Fn>
bool resolve(void* library, const char* name, Fn& fn, std::string& problem) {
  fn = reinterpret_cast<Fn>(dlsym(library, name));
  if (fn == nullptr) problem = std::string("missing symbol ") + name;
  return fn != nullptr;
}

std::optional<std::uint64_t> this_process_usage(GetProcesses get_processes, NvmlDevice device) {
  std::vector<NvmlProcessInfo> infos(kInitialProcessSlots);
  auto count = static_cast<unsigned>(infos.size());
  auto rc = get_processes(device, &count, infos.data());
  if (rc == kInsufficientSize) {
    infos.resize(count);
    rc = get_processes(device, &count, infos.data());
  }
  if (rc != kSuccess) return std::nullopt;
  const auto self = static_cast<unsigned>(getpid());
  std::uint64_t sum = 0;
  for (unsigned i = 0; i < count && i < infos.size(); ++i) {
    if (infos[i].pid != self) continue;
    if (infos[i].usedGpuMemory == kValueNotAvailable) return std::nullopt;
    sum += infos[i].usedGpuMemory;
  }
  return sum;
}

}  // namespace

Nvml::Nvml(const std::string& library) {
  library_ = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library_ == nullptr) {
    const char* error = dlerror();
    problem_ = error != nullptr ? error : "dlopen failed: " + library;
    return;
  }
  Api api{};
  if (!resolve(library_, "nvmlInit_v2", api.init, problem_) ||
      !resolve(library_, "nvmlShutdown", api.shutdown, problem_) ||
      !resolve(library_, "nvmlErrorString", api.error_string, problem_) ||
      !resolve(library_, "nvmlDeviceGetCount_v2", api.get_count, problem_) ||
      !resolve(library_, "nvmlDeviceGetHandleByIndex_v2", api.get_handle, problem_) ||
      !resolve(library_, "nvmlDeviceGetName", api.get_name, problem_) ||
      !resolve(library_, "nvmlDeviceGetMemoryInfo", api.get_memory, problem_) ||
      !resolve(library_, "nvmlDeviceGetComputeRunningProcesses_v3", api.get_processes, problem_)) {
    return;
  }
  if (const auto rc = api.init(); rc != kSuccess) {
    const char* text = api.error_string(rc);
    problem_ = "nvmlInit_v2 failed: " + std::string(text != nullptr ? text : std::to_string(rc));
    return;
  }
  api_ = std::make_unique<const Api>(api);
}

Nvml::~Nvml() {
  if (api_) api_->shutdown();
  if (library_ != nullptr) dlclose(library_);
}

std::vector<GpuMemory> Nvml::devices() const {
  std::vector<GpuMemory> result;
  unsigned count = 0;
  if (!api_ || api_->get_count(&count) != kSuccess) return result;
  for (unsigned i = 0; i < count; ++i) {
    NvmlDevice device = nullptr;
    char name[kNameBufferSize] = {};
    NvmlMemory memory{};
    if (api_->get_handle(i, &device) != kSuccess || api_->get_name(device, name, kNameBufferSize) != kSuccess ||
        api_->get_memory(device, &memory) != kSuccess) {
      continue;
    }
    name[kNameBufferSize - 1] = '\0';
    result.push_back(
        {i, name, memory.total, memory.used, memory.free, this_process_usage(api_->get_processes, device)});
  }
  return result;
}

}  // namespace dlc::memory
