#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
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

// The resident memory of dlc and the children it started (the ffmpeg decoder and encoder), read
// at one moment: what the machine gives the job, and what --max-memory is held to.
struct TreeMemory {
  ProcessMemory own;                  // dlc itself
  std::uint64_t children_rss_bytes = 0;  // the children's VmRSS, summed
  std::size_t children = 0;           // the children still running when read
  std::uint64_t rss_bytes() const { return own.rss_bytes + children_rss_bytes; }
};

// dlc's /proc/self/status and each child's /proc/PID/status; a child that has just exited counts 0.
TreeMemory read_tree_memory(const std::vector<int>& child_pids, const std::filesystem::path& proc_root = "/proc");

// Reads the tree and keeps the highest reading so far: the tree's peak as sampled (by the
// governor before each frame, the progress line, the monitor), so growth between readings can be
// missed; each child's exact peak comes from the kernel when it is reaped.
class TreeReader {
 public:
  using Pids = std::function<std::vector<int>()>;
  using Read = std::function<TreeMemory(const std::vector<int>&)>;
  explicit TreeReader(Pids pids, Read read = [](const std::vector<int>& p) { return read_tree_memory(p); });
  TreeMemory read();
  std::uint64_t rss_bytes() { return read().rss_bytes(); }
  std::uint64_t sampled_peak_bytes() const { return peak_.load(); }

 private:
  Pids pids_;
  Read read_;
  std::atomic<std::uint64_t> peak_{0};
};

// Everything one round of monitor lines shows, read at one moment.
struct MemorySnapshot {
  std::optional<SystemMemory> system;
  std::vector<GpuMemory> gpus;
  std::optional<ProcessMemory> process;
  std::optional<ArenaFigures> arenas;
  std::optional<TreeMemory> tree;  // with children: the tree's figure beside dlc's own
};

// Deep-Live-Cam's lines, then dlc's own:
//   [DLC.MEMORY] System Memory: 8.2GB/16.0GB (51.2%)
//   [DLC.MEMORY] GPU 0 (NVIDIA GeForce RTX 4070): 4.1GB/12.0GB
//   [DLC.MEMORY] dlc: RSS 1.3GB (peak 1.4GB), with its 2 ffmpeg children 1.6GB, model arenas 0.9GB (peak 1.0GB)
std::vector<std::string> monitor_lines(const MemorySnapshot& snapshot);

// Prints monitor_lines every interval on its own thread, so the pipeline never waits for it.
// The first round comes one interval after the start; destruction stops it at once.
class MemoryMonitor {
 public:
  using Reader = std::function<MemorySnapshot()>;
  using Printer = std::function<void(const std::string& line)>;
  using Sink = std::function<void(const MemorySnapshot& snapshot)>;

  MemoryMonitor(std::chrono::milliseconds interval, Reader read, Printer print);
  // Each reading handed over whole (dlc's --events memory lines).
  MemoryMonitor(std::chrono::milliseconds interval, Reader read, Sink sink);
  ~MemoryMonitor();
  MemoryMonitor(const MemoryMonitor&) = delete;
  MemoryMonitor& operator=(const MemoryMonitor&) = delete;

 private:
  void loop();

  std::chrono::milliseconds interval_;
  Reader read_;
  Sink sink_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace dlc::memory
