#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace dlc::runtime {

// Figures of one ONNX Runtime allocator (an arena), as ORT reports them (OrtAllocator::GetStats,
// ORT >= 1.23). All sizes in bytes; a figure the allocator does not report is 0.
struct AllocatorStats {
  std::int64_t in_use_bytes = 0;    // "InUse": handed out to tensors right now
  std::int64_t peak_bytes = 0;      // "MaxInUse": most ever handed out at once
  std::int64_t reserved_bytes = 0;  // "TotalAllocated": taken from the system by the arena
  std::int64_t limit_bytes = 0;     // "Limit": the arena's cap
  std::int64_t allocations = 0;     // "NumAllocs": allocation calls served
  std::int64_t reserves = 0;        // "NumReserves": direct reservations
  std::int64_t extensions = 0;      // "NumArenaExtensions": times the arena grew
  std::int64_t shrinkages = 0;      // "NumArenaShrinkages": times the arena gave memory back
  bool available = false;           // false when the allocator reports no statistics
};

// Reads ORT's key/value statistics; unknown keys are ignored, unparsable values count as 0.
AllocatorStats parse_allocator_stats(const std::unordered_map<std::string, std::string>& kv);

}  // namespace dlc::runtime
