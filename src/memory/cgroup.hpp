#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "memory/system_memory.hpp"

namespace dlc::memory {

// The memory cgroup this process lives in (a container, a systemd slice).
struct CgroupMemory {
  int version = 0;                          // 1 or 2
  std::optional<std::uint64_t> limit_bytes;  // the tightest limit on the way to the root; none = unlimited
  std::uint64_t usage_bytes = 0;            // memory.current / memory.usage_in_bytes
  std::uint64_t inactive_file_bytes = 0;    // page cache the kernel drops first (memory.stat)
  std::uint64_t anon_bytes = 0;             // anonymous memory, which only swap could free (memory.stat)
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

// A RAM budget (--max-memory) held against what the machine can give. Above the total it can
// have (the memory cgroup's limit, else the machine's RAM) the kernel would OOM-kill the job
// before the governor could hold it, so the budget is capped to what can be had now: in a cgroup
// its limit less the anonymous memory of the cgroup's other processes (its page cache, even
// active, is reclaimed before the kernel kills anyone), else what is available plus own_bytes
// (what dlc already holds, which the plan counts). warning says so when it is capped.
struct BudgetCap {
  std::uint64_t bytes = 0;
  std::string warning;
};
BudgetCap cap_budget(std::uint64_t asked_bytes, const SystemMemory& system, std::uint64_t own_bytes);

}  // namespace dlc::memory
