#include "runtime/allocator_stats.hpp"

#include <charconv>

namespace dlc::runtime {
namespace {

std::int64_t read_int(const std::unordered_map<std::string, std::string>& kv, const char* key) {
  const auto it = kv.find(key);
  if (it == kv.end()) return 0;
  std::int64_t value = 0;
  const auto& text = it->second;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && end == text.data() + text.size() ? value : 0;
}

}  // namespace

AllocatorStats parse_allocator_stats(const std::unordered_map<std::string, std::string>& kv) {
  AllocatorStats stats;
  // Key names from ORT's AllocatorStats::ToKeyValuePairs (onnxruntime/core/framework/allocator.h).
  stats.in_use_bytes = read_int(kv, "InUse");
  stats.peak_bytes = read_int(kv, "MaxInUse");
  stats.reserved_bytes = read_int(kv, "TotalAllocated");
  stats.limit_bytes = read_int(kv, "Limit");
  stats.allocations = read_int(kv, "NumAllocs");
  stats.reserves = read_int(kv, "NumReserves");
  stats.extensions = read_int(kv, "NumArenaExtensions");
  stats.shrinkages = read_int(kv, "NumArenaShrinkages");
  stats.available = !kv.empty();
  return stats;
}

}  // namespace dlc::runtime
