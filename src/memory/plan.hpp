#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dlc::memory {

// What one model costs in RAM, predicted from its file before it is loaded.
struct ModelFootprint {
  std::uint64_t resident_bytes = 0;    // weights held by the session, plus its arena
  std::uint64_t load_extra_bytes = 0;  // held only while ONNX Runtime builds the session
  std::uint64_t arena_bytes = 0;       // of resident_bytes: one call's activations
  std::uint64_t first_call_bytes = 0;  // a fresh session's first call, when measured (0: arena_bytes)
  // The first run only: the peak of the child process that writes the model's optimized copy
  // before any model loads (0: none is written).
  std::uint64_t prepare_bytes = 0;
  std::uint64_t weights_bytes() const { return resident_bytes - arena_bytes; }
  std::uint64_t first_call() const { return first_call_bytes > 0 ? first_call_bytes : arena_bytes; }
};

// weights_bytes: the model file's size (its initializers dominate it); io_bytes: its input and
// output tensors for one call; measured_arena_bytes: the arena peak of one call when it has been
// measured for this architecture, otherwise an estimate from the sizes is used.
ModelFootprint estimate_model(std::uint64_t weights_bytes, std::uint64_t io_bytes,
                              std::optional<std::uint64_t> measured_arena_bytes = std::nullopt);

// The peak RAM a job plans for, line by line, checked against a budget before work starts.
class MemoryPlan {
 public:
  struct Item {
    std::string what;
    std::uint64_t bytes = 0;
    std::string basis;  // where the number comes from ("measured", "file size × 1.05", ...)
  };

  void add(std::string what, std::uint64_t bytes, std::string basis);
  const std::vector<Item>& items() const { return items_; }
  std::uint64_t peak_bytes() const;
  bool fits(std::uint64_t budget_bytes) const { return peak_bytes() <= budget_bytes; }
  // One line per item, the total, and the budget with its verdict.
  std::string describe(std::optional<std::uint64_t> budget_bytes) const;

 private:
  std::vector<Item> items_;
};

// One VRAM budget (fraction × the device's memory) shared by all of a job's sessions on that
// device: each session's gpu_mem_limit is its share in proportion to its planned need, so the
// limits add up to the budget instead of each session taking the whole fraction.
std::uint64_t gpu_budget_bytes(double fraction, std::uint64_t device_total_bytes);
std::vector<std::uint64_t> split_gpu_budget(std::uint64_t budget_bytes, const std::vector<std::uint64_t>& needs);

}  // namespace dlc::memory
