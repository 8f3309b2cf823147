#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

namespace dlc::memory {

// Keeps a running job under its RAM budget by slowing the producer (the decoder, a camera
// queue) instead of crashing: before it makes another frame, the producer asks for room.
// Throttling is never silent: the first time it starts, one warning gives the figures (RSS and
// budget), and the counts say how often and how long it held or dropped frames.
class RssGovernor {
 public:
  using RssReader = std::function<std::uint64_t()>;
  using Relief = std::function<void()>;                 // e.g. shrink the model arenas
  using Warn = std::function<void(const std::string&)>;  // the warning when throttling first starts

  // Throttling starts when RSS reaches 95 % of the budget and ends under 90 %. `read_rss` is the
  // seam tests use to report any figure.
  RssGovernor(std::uint64_t budget_bytes, RssReader read_rss, Relief relieve = {}, Warn warn = {});

  // For a producer that can wait (the decoder). Returns at once while RSS is under the high mark;
  // otherwise calls relieve() and waits, polling RSS, until it falls under the low mark or
  // max_wait passes. Returns the time waited.
  std::chrono::milliseconds wait_for_room(std::chrono::milliseconds max_wait = std::chrono::seconds(2));

  // For a producer that cannot wait (a camera): true when this frame is to be dropped, from the
  // reading that reaches the high mark (relieve() is called then) until one under the low mark.
  bool should_drop();

  std::uint64_t budget_bytes() const { return budget_; }
  std::uint64_t high_mark_bytes() const { return high_mark_; }
  std::uint64_t low_mark_bytes() const { return low_mark_; }
  std::uint64_t throttle_count() const { return throttles_.load(); }   // waits so far
  std::uint64_t timeout_count() const { return timeouts_.load(); }     // waits that hit max_wait
  std::chrono::milliseconds time_held() const { return std::chrono::milliseconds(held_ms_.load()); }
  std::uint64_t dropped_count() const { return dropped_.load(); }      // should_drop() answered true

 private:
  void warn_once(std::uint64_t rss, const char* action);

  std::uint64_t budget_;
  std::uint64_t high_mark_;
  std::uint64_t low_mark_;
  RssReader read_rss_;
  Relief relieve_;
  Warn warn_;
  std::once_flag warned_;
  bool dropping_ = false;  // should_drop()'s state: one producer thread calls it
  std::atomic<std::uint64_t> throttles_{0};
  std::atomic<std::uint64_t> timeouts_{0};
  std::atomic<std::int64_t> held_ms_{0};
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace dlc::memory
