// A stand-in for NVIDIA's libnvidia-ml.so.1 with the few entry points dlc::memory::Nvml uses, so
// the dlopen path runs on machines without the driver. Read once per nvmlInit_v2 that starts a
// session (reference count 0 → 1):
//   FAKE_NVML_DEVICES="NAME:TOTAL_MIB:USED_MIB;..."  (default: one RTX 4070, 12288 MiB, 4198 used)
//   FAKE_NVML_INIT_ERROR=N                            nvmlInit_v2 returns N
//   FAKE_NVML_OTHER_PROCESSES=N                       N other processes on device 0, listed
//                                                     before the caller (default 0)
// Device 0 always lists the calling process using 512 MiB; other devices list no processes.

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

// The same ABI as nvml.h: nvmlReturn_t is an int, nvmlDevice_t a pointer to nvmlDevice_st.
struct nvmlDevice_st {
  std::string name;
  unsigned long long total = 0;
  unsigned long long used = 0;
};

struct nvmlMemory_t {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};

struct nvmlProcessInfo_t {
  unsigned int pid;
  unsigned long long usedGpuMemory;
  unsigned int gpuInstanceId;
  unsigned int computeInstanceId;
};

namespace {

// nvml.h's return codes.
constexpr int kSuccess = 0;
constexpr int kUninitialized = 1;
constexpr int kInvalidArgument = 2;
constexpr int kInsufficientSize = 7;
// nvml.h: gpuInstanceId and computeInstanceId read 0xFFFFFFFF when MIG is off.
constexpr unsigned kNoInstance = 0xFFFFFFFF;

constexpr unsigned long long kMiB = 1ULL << 20;

int g_init_count = 0;
std::vector<nvmlDevice_st> g_devices;
unsigned g_other_processes = 0;

std::vector<nvmlDevice_st> read_devices() {
  const char* spec = std::getenv("FAKE_NVML_DEVICES");
  if (spec == nullptr) return {{"NVIDIA GeForce RTX 4070", 12288 * kMiB, 4198 * kMiB}};
  std::vector<nvmlDevice_st> devices;
  std::string rest = spec;
  while (!rest.empty()) {
    const auto end = rest.find(';');
    const std::string entry = rest.substr(0, end);
    rest = end == std::string::npos ? "" : rest.substr(end + 1);
    const auto used_at = entry.rfind(':');
    const auto total_at = entry.rfind(':', used_at - 1);
    if (used_at == std::string::npos || used_at == 0 || total_at == std::string::npos) continue;
    devices.push_back({entry.substr(0, total_at), std::stoull(entry.substr(total_at + 1)) * kMiB,
                       std::stoull(entry.substr(used_at + 1)) * kMiB});
  }
  return devices;
}

}  // namespace

extern "C" {

int nvmlInit_v2() {
  if (const char* error = std::getenv("FAKE_NVML_INIT_ERROR"); error != nullptr && std::atoi(error) != 0) {
    return std::atoi(error);
  }
  if (g_init_count++ == 0) {
    g_devices = read_devices();
    const char* others = std::getenv("FAKE_NVML_OTHER_PROCESSES");
    g_other_processes = others != nullptr ? static_cast<unsigned>(std::atoi(others)) : 0;
  }
  return kSuccess;
}

int nvmlShutdown() {
  if (g_init_count == 0) return kUninitialized;
  --g_init_count;
  return kSuccess;
}

const char* nvmlErrorString(int result) {
  thread_local std::string text;
  text = "fake NVML error " + std::to_string(result);
  return text.c_str();
}

int nvmlDeviceGetCount_v2(unsigned* count) {
  if (g_init_count == 0) return kUninitialized;
  if (count == nullptr) return kInvalidArgument;
  *count = static_cast<unsigned>(g_devices.size());
  return kSuccess;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned index, nvmlDevice_st** device) {
  if (g_init_count == 0) return kUninitialized;
  if (device == nullptr || index >= g_devices.size()) return kInvalidArgument;
  *device = &g_devices[index];
  return kSuccess;
}

int nvmlDeviceGetName(nvmlDevice_st* device, char* name, unsigned length) {
  if (g_init_count == 0) return kUninitialized;
  if (device == nullptr || name == nullptr) return kInvalidArgument;
  if (length < device->name.size() + 1) return kInsufficientSize;
  std::copy(device->name.begin(), device->name.end(), name);
  name[device->name.size()] = '\0';
  return kSuccess;
}

int nvmlDeviceGetMemoryInfo(nvmlDevice_st* device, nvmlMemory_t* memory) {
  if (g_init_count == 0) return kUninitialized;
  if (device == nullptr || memory == nullptr) return kInvalidArgument;
  *memory = {device->total, device->total - device->used, device->used};
  return kSuccess;
}

int nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_st* device, unsigned* count, nvmlProcessInfo_t* infos) {
  if (g_init_count == 0) return kUninitialized;
  if (device == nullptr || count == nullptr) return kInvalidArgument;
  std::vector<nvmlProcessInfo_t> processes;
  if (device == &g_devices.front()) {
    const auto self = static_cast<unsigned>(getpid());
    for (unsigned i = 1; i <= g_other_processes; ++i) {
      processes.push_back({self + i, 100 * kMiB, kNoInstance, kNoInstance});
    }
    processes.push_back({self, 512 * kMiB, kNoInstance, kNoInstance});
  }
  const auto needed = static_cast<unsigned>(processes.size());
  if (*count < needed || (needed > 0 && infos == nullptr)) {
    *count = needed;
    return kInsufficientSize;
  }
  *count = needed;
  std::copy(processes.begin(), processes.end(), infos);
  return kSuccess;
}

}  // extern "C"
