#include "memory/cgroup.hpp"

#include "memory/units.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace dlc::memory {
namespace {

// cgroup v1 writes PAGE_COUNTER_MAX (rounded to pages) for "no limit"; anything this large
// cannot be a real limit.
constexpr std::uint64_t kV1Unlimited = 1ULL << 62;

std::optional<std::string> read_first_word(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string word;
  if (!(in >> word)) return std::nullopt;
  return word;
}

std::optional<std::uint64_t> read_number(const std::filesystem::path& file) {
  const auto word = read_first_word(file);
  if (!word) return std::nullopt;
  try {
    return std::stoull(*word);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::uint64_t read_stat(const std::filesystem::path& file, const std::string& key) {
  std::ifstream in(file);
  std::string name;
  std::uint64_t value = 0;
  while (in >> name >> value) {
    if (name == key) return value;
  }
  return 0;
}

// "cpu,memory" or "memory": a comma-separated list of v1 controllers.
bool lists_memory(std::string_view controllers) {
  while (!controllers.empty()) {
    const auto comma = controllers.find(',');
    if (controllers.substr(0, comma) == "memory") return true;
    if (comma == std::string_view::npos) break;
    controllers.remove_prefix(comma + 1);
  }
  return false;
}

struct CgroupPaths {
  std::optional<std::string> v2;  // from the "0::<path>" line
  std::optional<std::string> v1;  // from the line whose controllers include "memory"
};

CgroupPaths read_self_cgroup(const std::filesystem::path& proc_root) {
  std::ifstream in(proc_root / "self" / "cgroup");
  CgroupPaths paths;
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string_view id(line.data(), first);
    const std::string_view controllers(line.data() + first + 1, second - first - 1);
    const auto path = line.substr(second + 1);
    if (id == "0" && controllers.empty()) paths.v2 = path;
    if (lists_memory(controllers)) paths.v1 = path;
  }
  return paths;
}

// The process's folder, then its parents up to the mount point. A cgroup namespace shows the
// process at "/" although its folder is the mount point itself, so the walk ends there too.
std::vector<std::filesystem::path> folders_up(const std::filesystem::path& mount, const std::string& path) {
  std::vector<std::filesystem::path> folders;
  std::filesystem::path relative = std::filesystem::path(path).relative_path();
  while (true) {
    folders.push_back(mount / relative);
    if (relative.empty()) break;
    relative = relative.parent_path();
  }
  return folders;
}

std::optional<CgroupMemory> read_v2(const std::filesystem::path& mount, const std::string& path) {
  std::optional<CgroupMemory> memory;
  for (const auto& folder : folders_up(mount, path)) {
    if (!std::filesystem::exists(folder / "memory.current") && !std::filesystem::exists(folder / "memory.max")) continue;
    if (!memory) {
      memory.emplace();
      memory->version = 2;
      memory->usage_bytes = read_number(folder / "memory.current").value_or(0);
      memory->inactive_file_bytes = read_stat(folder / "memory.stat", "inactive_file");
      memory->anon_bytes = read_stat(folder / "memory.stat", "anon");
    }
    const auto max = read_first_word(folder / "memory.max");
    if (max && *max != "max") {
      const auto limit = read_number(folder / "memory.max");
      if (limit && (!memory->limit_bytes || *limit < *memory->limit_bytes)) memory->limit_bytes = limit;
    }
  }
  return memory;
}

std::optional<CgroupMemory> read_v1(const std::filesystem::path& mount, const std::string& path) {
  std::optional<CgroupMemory> memory;
  for (const auto& folder : folders_up(mount / "memory", path)) {
    const auto limit = read_number(folder / "memory.limit_in_bytes");
    if (!limit) continue;
    if (!memory) {
      memory.emplace();
      memory->version = 1;
      memory->usage_bytes = read_number(folder / "memory.usage_in_bytes").value_or(0);
      memory->inactive_file_bytes = read_stat(folder / "memory.stat", "total_inactive_file");
      memory->anon_bytes = read_stat(folder / "memory.stat", "total_rss");
    }
    if (*limit < kV1Unlimited && (!memory->limit_bytes || *limit < *memory->limit_bytes)) memory->limit_bytes = limit;
  }
  return memory;
}

}  // namespace

std::optional<CgroupMemory> read_cgroup_memory(const std::filesystem::path& proc_root,
                                               const std::filesystem::path& cgroup_root) {
  const auto paths = read_self_cgroup(proc_root);
  // A hybrid host mounts v2 beside v1 controllers; memory is accounted where its controller is.
  if (paths.v1) {
    if (auto memory = read_v1(cgroup_root, *paths.v1)) return memory;
  }
  if (paths.v2) return read_v2(cgroup_root, *paths.v2);
  return std::nullopt;
}

BudgetCap cap_budget(std::uint64_t asked_bytes, const SystemMemory& system, std::uint64_t own_bytes) {
  if (system.total_bytes == 0 || asked_bytes <= system.total_bytes) return {asked_bytes, {}};
  auto can_have = std::min(system.total_bytes, system.available_bytes + own_bytes);
  if (system.cgroup_limit_bytes) {
    const auto others = system.cgroup_anon_bytes - std::min(system.cgroup_anon_bytes, own_bytes);
    can_have = *system.cgroup_limit_bytes - std::min(*system.cgroup_limit_bytes, others);
  }
  const auto limit = system.cgroup_limit_bytes
                         ? fmt::format("the memory cgroup's limit of {}", format_gb(*system.cgroup_limit_bytes))
                         : fmt::format("the machine's RAM of {}", format_gb(system.total_bytes));
  return {can_have, fmt::format("--max-memory {} is more than {}: planning with {}, what can be had now "
                                "(the kernel would kill the job before a larger budget is reached)",
                                format_gb(asked_bytes), limit, format_gb(can_have))};
}

}  // namespace dlc::memory
