#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

namespace dlc::memory {

// System RAM as the kernel reports it (/proc/meminfo), in bytes.
struct SystemMemory {
  std::uint64_t total_bytes = 0;      // MemTotal
  std::uint64_t available_bytes = 0;  // MemAvailable: what can be used without swapping
  std::uint64_t swap_total_bytes = 0;
  std::uint64_t swap_used_bytes = 0;
  std::uint64_t used_bytes() const { return total_bytes - available_bytes; }
};

// This process's resident memory (/proc/self/status), in bytes.
struct ProcessMemory {
  std::uint64_t rss_bytes = 0;   // VmRSS
  std::uint64_t peak_bytes = 0;  // VmHWM: the highest RSS so far
};

// The readers take the root of a procfs tree so tests can feed them recorded files; a missing or
// unreadable file gives std::nullopt.
std::optional<SystemMemory> read_system_memory(const std::filesystem::path& proc_root = "/proc");
std::optional<ProcessMemory> read_process_memory(const std::filesystem::path& proc_root = "/proc");

}  // namespace dlc::memory
