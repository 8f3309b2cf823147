#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "memory/nvml.hpp"
#include "memory/system_memory.hpp"

namespace dlc::memory {

// Bytes the models' ONNX Runtime arenas hand out to tensors, now and at most so far.
struct ArenaFigures {
  std::uint64_t in_use_bytes = 0;
  std::uint64_t peak_bytes = 0;
};

// Everything one round of monitor lines shows, read at one moment.
struct MemorySnapshot {
  std::optional<SystemMemory> system;
  std::vector<GpuMemory> gpus;
  std::optional<ProcessMemory> process;
  std::optional<ArenaFigures> arenas;
};

// Deep-Live-Cam's lines, then dlc's own:
//   [DLC.MEMORY] System Memory: 8.2GB/16.0GB (51.2%)
//   [DLC.MEMORY] GPU 0 (NVIDIA GeForce RTX 4070): 4.1GB/12.0GB
//   [DLC.MEMORY] dlc: RSS 1.3GB (peak 1.4GB), model arenas 0.9GB (peak 1.0GB)
std::vector<std::string> monitor_lines(const MemorySnapshot& snapshot);

// Prints monitor_lines every interval on its own thread, so the pipeline never waits for it.
// The first round comes one interval after the start; destruction stops it at once.
class MemoryMonitor {
 public:
  using Reader = std::function<MemorySnapshot()>;
  using Printer = std::function<void(const std::string& line)>;

  MemoryMonitor(std::chrono::milliseconds interval, Reader read, Printer print);
  ~MemoryMonitor();
  MemoryMonitor(const MemoryMonitor&) = delete;
  MemoryMonitor& operator=(const MemoryMonitor&) = delete;

 private:
  void loop();

  std::chrono::milliseconds interval_;
  Reader read_;
  Printer print_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace dlc::memory
