#include "memory/governor.hpp"

#include <thread>

namespace dlc::memory {
namespace {

constexpr double kHighMark = 0.95;
constexpr double kLowMark = 0.90;
constexpr auto kPoll = std::chrono::milliseconds(20);

}  // namespace

RssGovernor::RssGovernor(std::uint64_t budget_bytes, RssReader read_rss, Relief relieve)
    : high_mark_(static_cast<std::uint64_t>(static_cast<double>(budget_bytes) * kHighMark)),
      low_mark_(static_cast<std::uint64_t>(static_cast<double>(budget_bytes) * kLowMark)),
      read_rss_(std::move(read_rss)),
      relieve_(std::move(relieve)) {}

std::chrono::milliseconds RssGovernor::wait_for_room(std::chrono::milliseconds max_wait) {
  if (read_rss_() < high_mark_) return std::chrono::milliseconds(0);
  ++throttles_;
  if (relieve_) relieve_();
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + max_wait;
  while (read_rss_() >= low_mark_) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ++timeouts_;
      break;
    }
    std::this_thread::sleep_for(kPoll);
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace dlc::memory
