#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>

namespace dlc::memory {

// Keeps a running job under its RAM budget by slowing the producer (the decoder, a camera
// queue) instead of crashing: before it makes another frame, the producer asks for room.
class RssGovernor {
 public:
  using RssReader = std::function<std::uint64_t()>;
  using Relief = std::function<void()>;  // e.g. shrink the model arenas

  // Throttling starts when RSS reaches 95 % of the budget and ends under 90 %.
  RssGovernor(std::uint64_t budget_bytes, RssReader read_rss, Relief relieve = {});

  // Returns at once while RSS is under the high mark; otherwise calls relieve() and waits,
  // polling RSS, until it falls under the low mark or max_wait passes. Returns the time waited.
  std::chrono::milliseconds wait_for_room(std::chrono::milliseconds max_wait = std::chrono::seconds(2));

  std::uint64_t high_mark_bytes() const { return high_mark_; }
  std::uint64_t low_mark_bytes() const { return low_mark_; }
  std::uint64_t throttle_count() const { return throttles_.load(); }   // waits so far
  std::uint64_t timeout_count() const { return timeouts_.load(); }     // waits that hit max_wait

 private:
  std::uint64_t high_mark_;
  std::uint64_t low_mark_;
  RssReader read_rss_;
  Relief relieve_;
  std::atomic<std::uint64_t> throttles_{0};
  std::atomic<std::uint64_t> timeouts_{0};
};

}  // namespace dlc::memory
