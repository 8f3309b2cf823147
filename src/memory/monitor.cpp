#include "memory/monitor.hpp"

#include <fmt/format.h>

#include "memory/units.hpp"

namespace dlc::memory {

TreeMemory read_tree_memory(const std::vector<int>& child_pids, const std::filesystem::path& proc_root) {
  TreeMemory tree;
  tree.own = read_process_memory(proc_root).value_or(ProcessMemory{});
  for (const int pid : child_pids) {
    if (const auto child = read_pid_memory(pid, proc_root)) {
      tree.children_rss_bytes += child->rss_bytes;
      ++tree.children;
    }
  }
  return tree;
}

TreeReader::TreeReader(Pids pids, Read read) : pids_(std::move(pids)), read_(std::move(read)) {}

TreeMemory TreeReader::read() {
  const auto tree = read_(pids_ ? pids_() : std::vector<int>{});
  auto peak = peak_.load();
  while (tree.rss_bytes() > peak && !peak_.compare_exchange_weak(peak, tree.rss_bytes())) {
  }
  return tree;
}

std::vector<std::string> monitor_lines(const MemorySnapshot& snapshot) {
  std::vector<std::string> lines;
  if (snapshot.system && snapshot.system->total_bytes > 0) {
    const auto& s = *snapshot.system;
    const double percent = 100.0 * static_cast<double>(s.used_bytes()) / static_cast<double>(s.total_bytes);
    lines.push_back(fmt::format("[DLC.MEMORY] System Memory: {}/{} ({:.1f}%)", format_gb(s.used_bytes()),
                                format_gb(s.total_bytes), percent));
  }
  for (const auto& gpu : snapshot.gpus) {
    lines.push_back(fmt::format("[DLC.MEMORY] GPU {} ({}): {}/{}", gpu.index, gpu.name, format_gb(gpu.used_bytes),
                                format_gb(gpu.total_bytes)));
  }
  if (snapshot.process) {
    std::string line = fmt::format("[DLC.MEMORY] dlc: RSS {} (peak {})", format_gb(snapshot.process->rss_bytes),
                                   format_gb(snapshot.process->peak_bytes));
    if (snapshot.tree && snapshot.tree->children > 0) {
      line += fmt::format(", with its {} ffmpeg child{} {}", snapshot.tree->children,
                          snapshot.tree->children == 1 ? "" : "ren", format_gb(snapshot.tree->rss_bytes()));
    }
    if (snapshot.arenas) {
      line += fmt::format(", model arenas {} (peak {})", format_gb(snapshot.arenas->in_use_bytes),
                          format_gb(snapshot.arenas->peak_bytes));
    }
    for (const auto& gpu : snapshot.gpus) {
      if (gpu.process_used_bytes) line += fmt::format(", GPU {} {}", gpu.index, format_gb(*gpu.process_used_bytes));
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

MemoryMonitor::MemoryMonitor(std::chrono::milliseconds interval, Reader read, Printer print)
    : MemoryMonitor(interval, std::move(read), Sink([print = std::move(print)](const MemorySnapshot& snapshot) {
                      for (const auto& line : monitor_lines(snapshot)) print(line);
                    })) {}

MemoryMonitor::MemoryMonitor(std::chrono::milliseconds interval, Reader read, Sink sink)
    : interval_(interval), read_(std::move(read)), sink_(std::move(sink)), thread_([this] { loop(); }) {}

MemoryMonitor::~MemoryMonitor() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void MemoryMonitor::loop() {
  auto next = std::chrono::steady_clock::now() + interval_;
  std::unique_lock lock(mutex_);
  while (!wake_.wait_until(lock, next, [this] { return stop_; })) {
    lock.unlock();
    sink_(read_());
    lock.lock();
    // Fixed cadence: a slow reading does not push later rounds back.
    next += interval_;
  }
}

}  // namespace dlc::memory
