#include "memory/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "memory/units.hpp"

namespace dlc::memory {
namespace {

// Measured with ONNX Runtime 1.29 on this project's CPU build: a session over a 288 MiB model of
// 3x3 convolutions held 1.04 × the file's size after loading, and VmHWM rose by 2.41 × the file's
// size while the session was built (file buffer, parsed protobuf and tensors exist at once).
constexpr double kResidentPerWeightByte = 1.05;
constexpr double kLoadExtraPerWeightByte = 1.40;
// Arena: activations are not known before a model runs; a tenth of the weights plus room for
// eight copies of the call's inputs and outputs, and never less than 16 MiB.
constexpr double kArenaPerWeightByte = 0.10;
constexpr std::uint64_t kArenaIoCopies = 8;
constexpr std::uint64_t kArenaMinimumBytes = 16ULL << 20;

std::uint64_t scaled(std::uint64_t bytes, double factor) {
  return static_cast<std::uint64_t>(static_cast<double>(bytes) * factor);
}

}  // namespace

ModelFootprint estimate_model(std::uint64_t weights_bytes, std::uint64_t io_bytes,
                              std::optional<std::uint64_t> measured_arena_bytes) {
  const auto arena = measured_arena_bytes.value_or(
      std::max(kArenaMinimumBytes, scaled(weights_bytes, kArenaPerWeightByte) + kArenaIoCopies * io_bytes));
  return {scaled(weights_bytes, kResidentPerWeightByte) + arena, scaled(weights_bytes, kLoadExtraPerWeightByte), arena};
}

void MemoryPlan::add(std::string what, std::uint64_t bytes, std::string basis) {
  items_.push_back({std::move(what), bytes, std::move(basis)});
}

std::uint64_t MemoryPlan::peak_bytes() const {
  return std::accumulate(items_.begin(), items_.end(), std::uint64_t{0},
                         [](std::uint64_t sum, const Item& item) { return sum + item.bytes; });
}

std::string MemoryPlan::describe(std::optional<std::uint64_t> budget_bytes) const {
  std::string text = "memory plan (MB = 2^20 bytes):\n";
  for (const auto& item : items_) {
    text += fmt::format("  {:>12}  {}  ({})\n", format_mb(item.bytes), item.what, item.basis);
  }
  text += fmt::format("  {:>12}  planned peak\n", format_mb(peak_bytes()));
  if (budget_bytes) {
    text += fmt::format("  {:>12}  budget (--max-memory): {}\n", format_mb(*budget_bytes),
                        fits(*budget_bytes) ? "fits" : "does NOT fit");
  }
  return text;
}

std::uint64_t gpu_budget_bytes(double fraction, std::uint64_t device_total_bytes) {
  return scaled(device_total_bytes, fraction);
}

std::vector<std::uint64_t> split_gpu_budget(std::uint64_t budget_bytes, const std::vector<std::uint64_t>& needs) {
  std::vector<std::uint64_t> shares(needs.size(), 0);
  const auto total_need = std::accumulate(needs.begin(), needs.end(), std::uint64_t{0});
  if (needs.empty()) return shares;
  std::uint64_t handed_out = 0;
  for (std::size_t i = 0; i < needs.size(); ++i) {
    shares[i] = total_need == 0 ? budget_bytes / needs.size()
                                : static_cast<std::uint64_t>(static_cast<long double>(budget_bytes) * needs[i] / total_need);
    handed_out += shares[i];
  }
  // Rounding leftovers go to the largest need, so the shares add up to the budget exactly.
  const auto largest = std::distance(needs.begin(), std::ranges::max_element(needs));
  shares[static_cast<std::size_t>(largest)] += budget_bytes - handed_out;
  return shares;
}

}  // namespace dlc::memory
