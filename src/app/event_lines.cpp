#include "app/event_lines.hpp"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <atomic>
#include <mutex>
#include <sstream>

#include "app/exit_codes.hpp"

namespace dlc::app::events {
namespace {

// Ordered: "event" comes first on every line.
using json = nlohmann::ordered_json;

std::atomic<bool> g_enabled{false};
std::mutex g_mutex;
std::string g_error;

void write_line(const json& object) {
  if (!g_enabled.load()) return;
  // Replacement for invalid UTF-8 (a file name): one line must always parse.
  auto text = object.dump(-1, ' ', false, json::error_handler_t::replace);
  text += '\n';
  std::lock_guard lock(g_mutex);
  std::fflush(stderr);  // the text lines before it stay before it
  for (std::size_t done = 0; done < text.size();) {
    const auto n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

json lines_of(const std::string& text) {
  json lines = json::array();
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

json memory_object(const memory::MemorySnapshot& snapshot, std::uint64_t budget_bytes, double seconds) {
  json event = {{"event", "memory"}, {"seconds", seconds}, {"budget_bytes", budget_bytes}};
  if (snapshot.process) {
    event["rss_bytes"] = snapshot.process->rss_bytes;
    event["peak_rss_bytes"] = snapshot.process->peak_bytes;
  }
  if (snapshot.tree) {
    event["tree_rss_bytes"] = snapshot.tree->rss_bytes();
    event["children"] = snapshot.tree->children;
    if (!snapshot.process) event["rss_bytes"] = snapshot.tree->own.rss_bytes;
  }
  if (snapshot.arenas) {
    event["arena_bytes"] = snapshot.arenas->in_use_bytes;
    event["arena_peak_bytes"] = snapshot.arenas->peak_bytes;
  }
  if (snapshot.system) {
    event["system_used_bytes"] = snapshot.system->used_bytes();
    event["system_total_bytes"] = snapshot.system->total_bytes;
  }
  if (!snapshot.gpus.empty()) {
    // The first GPU, as the session policy's default device: this process's share when NVML
    // tells it, else the device's use.
    const auto& gpu = snapshot.gpus.front();
    event["vram_bytes"] = gpu.process_used_bytes.value_or(gpu.used_bytes);
    event["vram_total_bytes"] = gpu.total_bytes;
  }
  return event;
}

}  // namespace

void enable() { g_enabled.store(true); }
bool enabled() { return g_enabled.load(); }

void plan(const std::string& strategy, std::uint64_t budget_bytes, std::uint64_t planned_bytes, bool fits,
          const std::string& plan_text, const std::string& strategies_text) {
  write_line({{"event", "plan"},
              {"strategy", strategy},
              {"budget_bytes", budget_bytes},
              {"planned_bytes", planned_bytes},
              {"fits", fits},
              {"lines", lines_of(plan_text)},
              {"strategies", lines_of(strategies_text)}});
}

void progress(std::int64_t frame, std::int64_t frames, double fps, double eta_seconds) {
  write_line({{"event", "progress"}, {"frame", frame}, {"frames", frames}, {"fps", fps}, {"eta_s", eta_seconds}});
}

void memory(const memory::MemorySnapshot& snapshot, std::uint64_t budget_bytes, double seconds) {
  write_line(memory_object(snapshot, budget_bytes, seconds));
}

std::string memory_line(const memory::MemorySnapshot& snapshot, std::uint64_t budget_bytes, double seconds) {
  return memory_object(snapshot, budget_bytes, seconds).dump();
}

void done(const std::filesystem::path& output, std::int64_t frames) {
  write_line({{"event", "done"}, {"output", output.string()}, {"frames", frames}});
}

void error(int exit_code, const std::string& message) {
  write_line({{"event", "error"}, {"exit_code", exit_code}, {"message", message}});
}

void note_error(const std::string& message) {
  std::lock_guard lock(g_mutex);
  g_error = message;
}

std::string error_message(int exit_code) {
  {
    std::lock_guard lock(g_mutex);
    if (!g_error.empty()) return g_error;
  }
  switch (exit_code) {
    case kExitUsage: return "bad command line (see 'dlc --help')";
    case kExitBadInput: return "an input file is missing, unreadable or not what it must be";
    case kExitModel: return "a model file is missing or invalid (see 'dlc models list')";
    case kExitMemoryBudget: return "the memory budget cannot be met: raise --max-memory or drop a processor";
    case kExitRefused: return "--nsfw-filter refused the target";
    default: return exit_code > 128 ? "stopped by a signal" : "the job failed";
  }
}

RecentRate::RecentRate(Clock::time_point start, Clock::duration bucket)
    : bucket_(bucket), previous_start_(start), current_start_(start) {}

void RecentRate::roll(Clock::time_point now) {
  if (now - current_start_ < bucket_) return;
  const auto buckets = (now - current_start_) / bucket_;  // whole buckets since the current began
  previous_ = buckets == 1 ? current_ : 0;                // more: the one before now had no frame
  current_ = 0;
  current_start_ += bucket_ * buckets;
  previous_start_ = current_start_ - bucket_;
}

void RecentRate::add(Clock::time_point now, std::int64_t count) {
  roll(now);
  current_ += count;
}

double RecentRate::per_second(Clock::time_point now) const {
  auto rolled = *this;
  rolled.roll(now);
  const auto seconds = std::chrono::duration<double>(now - rolled.previous_start_).count();
  return seconds > 0 ? static_cast<double>(rolled.previous_ + rolled.current_) / seconds : 0.0;
}

}  // namespace dlc::app::events
