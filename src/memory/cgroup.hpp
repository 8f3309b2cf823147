#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

namespace dlc::memory {

// The memory cgroup this process lives in (a container, a systemd slice).
struct CgroupMemory {
  int version = 0;                          // 1 or 2
  std::optional<std::uint64_t> limit_bytes;  // the tightest limit on the way to the root; none = unlimited
  std::uint64_t usage_bytes = 0;            // memory.current / memory.usage_in_bytes
  std::uint64_t inactive_file_bytes = 0;    // page cache the kernel drops first (memory.stat)
  // What counts against the limit once reclaimable cache is dropped (docker's "working set").
  std::uint64_t working_set_bytes() const {
    return usage_bytes - (inactive_file_bytes < usage_bytes ? inactive_file_bytes : usage_bytes);
  }
};

// Reads proc_root/self/cgroup to find this process's memory cgroup under cgroup_root (v2:
// memory.max, memory.current; v1: memory/<path>/memory.limit_in_bytes, memory.usage_in_bytes).
// std::nullopt when no memory cgroup can be read.
std::optional<CgroupMemory> read_cgroup_memory(const std::filesystem::path& proc_root = "/proc",
                                               const std::filesystem::path& cgroup_root = "/sys/fs/cgroup");

}  // namespace dlc::memory
