#include "memory/governor.hpp"

#include <fmt/format.h>

#include <thread>

#include "memory/units.hpp"

namespace dlc::memory {
namespace {

constexpr double kHighMark = 0.95;
constexpr double kLowMark = 0.90;
constexpr auto kPoll = std::chrono::milliseconds(20);

}  // namespace

RssGovernor::RssGovernor(std::uint64_t budget_bytes, RssReader read_rss, Relief relieve, Warn warn)
    : budget_(budget_bytes),
      high_mark_(static_cast<std::uint64_t>(static_cast<double>(budget_bytes) * kHighMark)),
      low_mark_(static_cast<std::uint64_t>(static_cast<double>(budget_bytes) * kLowMark)),
      read_rss_(std::move(read_rss)),
      relieve_(std::move(relieve)),
      warn_(std::move(warn)) {}

void RssGovernor::warn_once(std::uint64_t rss, const char* action) {
  std::call_once(warned_, [&] {
    if (!warn_) return;
    warn_(fmt::format("RSS {} reached 95 % of the {} budget (--max-memory): {} until it falls under 90 % "
                      "(said once; the counts come at the end)",
                      format_mb(rss), format_mb(budget_), action));
  });
}

std::chrono::milliseconds RssGovernor::wait_for_room(std::chrono::milliseconds max_wait) {
  const auto rss = read_rss_();
  if (rss < high_mark_) return std::chrono::milliseconds(0);
  ++throttles_;
  warn_once(rss, fmt::format("holding frames back (at most {} ms each)", max_wait.count()).c_str());
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
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  held_ms_ += waited.count();
  return waited;
}

bool RssGovernor::should_drop() {
  const auto rss = read_rss_();
  if (dropping_) {
    dropping_ = rss >= low_mark_;
  } else if (rss >= high_mark_) {
    dropping_ = true;
    ++throttles_;
    warn_once(rss, "dropping camera frames");
    if (relieve_) relieve_();
  }
  if (dropping_) ++dropped_;
  return dropping_;
}

}  // namespace dlc::memory
