#include "memory/system_memory.hpp"

#include <sched.h>

#include <algorithm>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "memory/cgroup.hpp"

namespace dlc::memory {
namespace {

// Lines like "MemTotal:       24576000 kB" → {"MemTotal", bytes}. Values without a unit are kept
// as they are (counts such as HugePages_Total).
std::optional<std::map<std::string, std::uint64_t>> read_kb_table(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::map<std::string, std::uint64_t> table;
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::istringstream rest(line.substr(colon + 1));
    std::uint64_t value = 0;
    std::string unit;
    if (!(rest >> value)) continue;
    rest >> unit;
    table[line.substr(0, colon)] = unit == "kB" ? value * 1024 : value;
  }
  return table;
}

std::uint64_t get(const std::map<std::string, std::uint64_t>& table, const char* key) {
  const auto it = table.find(key);
  return it == table.end() ? 0 : it->second;
}

}  // namespace

std::optional<SystemMemory> read_system_memory(const MemorySources& sources) {
  const auto table = read_kb_table(sources.proc_root / "meminfo");
  if (!table || !table->contains("MemTotal")) return std::nullopt;
  SystemMemory mem;
  mem.total_bytes = get(*table, "MemTotal");
  // Kernels before 3.14 have no MemAvailable; free + page cache is the old approximation.
  mem.available_bytes = table->contains("MemAvailable")
                            ? get(*table, "MemAvailable")
                            : get(*table, "MemFree") + get(*table, "Buffers") + get(*table, "Cached");
  mem.physical_total_bytes = mem.total_bytes;
  mem.swap_total_bytes = get(*table, "SwapTotal");
  mem.swap_used_bytes = mem.swap_total_bytes - std::min(mem.swap_total_bytes, get(*table, "SwapFree"));

  const auto cgroup = read_cgroup_memory(sources.proc_root, sources.cgroup_root);
  if (cgroup && cgroup->limit_bytes && *cgroup->limit_bytes < mem.total_bytes) {
    const auto limit = *cgroup->limit_bytes;
    mem.cgroup_limit_bytes = limit;
    mem.cgroup_anon_bytes = cgroup->anon_bytes;
    mem.total_bytes = limit;
    const auto working_set = std::min(cgroup->working_set_bytes(), limit);
    mem.available_bytes = std::min(mem.available_bytes, limit - working_set);
  }
  return mem;
}

std::uint64_t current_rss_bytes() { return read_process_memory().value_or(ProcessMemory{}).rss_bytes; }

int usable_cpu_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set);
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

namespace {

std::optional<ProcessMemory> read_status_memory(const std::filesystem::path& status) {
  const auto table = read_kb_table(status);
  if (!table || !table->contains("VmRSS")) return std::nullopt;
  // The kernel updates VmHWM lazily: right after RSS grows it can read a few pages under VmRSS.
  const auto rss = get(*table, "VmRSS");
  return ProcessMemory{rss, std::max(rss, get(*table, "VmHWM"))};
}

}  // namespace

std::optional<ProcessMemory> read_process_memory(const std::filesystem::path& proc_root) {
  return read_status_memory(proc_root / "self" / "status");
}

std::optional<ProcessMemory> read_pid_memory(int pid, const std::filesystem::path& proc_root) {
  return read_status_memory(proc_root / std::to_string(pid) / "status");
}

bool reset_peak_rss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return static_cast<bool>(clear);
}

}  // namespace dlc::memory
