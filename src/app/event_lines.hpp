#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "memory/monitor.hpp"

// `--events json`: `dlc run` / `dlc live` also write one JSON object per line on stderr, for a
// program that drives dlc (dlc-gui). Each object has "event": plan, progress, memory, done or
// error; the README lists the fields. Off unless enabled; writing is thread-safe (the progress
// callback and the memory thread both write) and each line goes out whole.
namespace dlc::app::events {

void enable();
bool enabled();

// Before any model loads: the strategy the job takes (empty when none fits), the budget, the
// chosen plan's peak and its lines, and the other strategies' summary lines.
void plan(const std::string& strategy, std::uint64_t budget_bytes, std::uint64_t planned_bytes, bool fits,
          const std::string& plan_text, const std::string& strategies_text);
// frames is 0 when unknown (live).
void progress(std::int64_t frame, std::int64_t frames, double fps, double eta_seconds);
// One reading of the same sources the [DLC.MEMORY] lines use.
void memory(const memory::MemorySnapshot& snapshot, std::uint64_t budget_bytes, double seconds);
void done(const std::filesystem::path& output, std::int64_t frames);
void error(int exit_code, const std::string& message);

// The message the error event of a failing run carries: the last one noted (main's catch blocks,
// the memory plan), else a sentence naming the exit code.
void note_error(const std::string& message);
std::string error_message(int exit_code);

// The JSON text of one memory event (tested without a running job).
std::string memory_line(const memory::MemorySnapshot& snapshot, std::uint64_t budget_bytes, double seconds);

// The rate of the frames of the last second or so, for `dlc live`'s progress events (the average
// since the start would hide a slowdown for minutes). Two buckets of `bucket` each, the current
// and the one before, so its memory is fixed; the clock's readings are given, not read.
class RecentRate {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RecentRate(Clock::time_point start, Clock::duration bucket = std::chrono::milliseconds(500));
  void add(Clock::time_point now, std::int64_t count = 1);
  // Per second over the current bucket and the one before it (since the start at first).
  double per_second(Clock::time_point now) const;

 private:
  void roll(Clock::time_point now);

  Clock::duration bucket_;
  Clock::time_point previous_start_;
  Clock::time_point current_start_;
  std::int64_t previous_ = 0;
  std::int64_t current_ = 0;
};

}  // namespace dlc::app::events
