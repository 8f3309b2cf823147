#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

namespace dlc::memory {

// System RAM as this process can use it, in bytes: /proc/meminfo, and inside a memory cgroup
// (a container) its limit, which is then the real total.
struct SystemMemory {
  std::uint64_t total_bytes = 0;      // MemTotal, or the cgroup limit when that is lower
  std::uint64_t available_bytes = 0;  // MemAvailable, or what the cgroup limit leaves when less
  std::uint64_t physical_total_bytes = 0;           // MemTotal
  std::optional<std::uint64_t> cgroup_limit_bytes;  // none when no cgroup limits this process
  std::uint64_t cgroup_anon_bytes = 0;              // the cgroup's anonymous memory (its processes' heaps)
  std::uint64_t swap_total_bytes = 0;
  std::uint64_t swap_used_bytes = 0;
  std::uint64_t used_bytes() const { return total_bytes - available_bytes; }
};

// Where the readers look; tests point them at recorded trees.
struct MemorySources {
  std::filesystem::path proc_root = "/proc";
  std::filesystem::path cgroup_root = "/sys/fs/cgroup";
};

// This process's resident memory (/proc/self/status), in bytes.
struct ProcessMemory {
  std::uint64_t rss_bytes = 0;   // VmRSS
  std::uint64_t peak_bytes = 0;  // VmHWM: the highest RSS so far
};

// The readers take the root of a procfs tree so tests can feed them recorded files; a missing or
// unreadable file gives std::nullopt.
std::optional<SystemMemory> read_system_memory(const MemorySources& sources = {});
// VmRSS now, 0 when /proc cannot tell.
std::uint64_t current_rss_bytes();

// The cores this process may run on (its CPU affinity, which containers and taskset narrow).
int usable_cpu_cores();

std::optional<ProcessMemory> read_process_memory(const std::filesystem::path& proc_root = "/proc");
// Another process's (proc_root/PID/status): std::nullopt once it has exited.
std::optional<ProcessMemory> read_pid_memory(int pid, const std::filesystem::path& proc_root = "/proc");

// Starts the process's peak (VmHWM) again from its RSS now (Linux's /proc/self/clear_refs "5"),
// to measure the peak of one phase. False where the kernel does not allow it.
bool reset_peak_rss();

}  // namespace dlc::memory
