#pragma once

#include <QMetaType>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

// What a running `dlc` child reports to the window, parsed from its `--events json` lines
// (README "Events"; dlc_process.hpp reads them).
namespace dlc::gui {

struct Progress {
  std::int64_t frame = 0;
  std::int64_t frames = 0;  // 0 when unknown (live)
  double fps = 0.0;
  double eta_seconds = 0.0;
};

// One reading of the job's memory: the same figures as its [DLC.MEMORY] lines.
struct MemorySample {
  double seconds = 0.0;                 // since the job started
  std::uint64_t rss_bytes = 0;          // dlc's own resident set
  std::uint64_t peak_rss_bytes = 0;     // dlc's VmHWM
  std::uint64_t tree_rss_bytes = 0;     // dlc plus its ffmpeg children
  std::uint64_t children = 0;           // the ffmpeg children running
  std::uint64_t arena_bytes = 0;        // ONNX Runtime's model arenas
  std::uint64_t arena_peak_bytes = 0;
  std::optional<std::uint64_t> vram_bytes;  // when a GPU is in use
  std::optional<std::uint64_t> vram_total_bytes;
  std::uint64_t budget_bytes = 0;       // --max-memory (or what it was capped to)
  std::uint64_t system_used_bytes = 0;
  std::uint64_t system_total_bytes = 0;
};

// The memory plan, before any model loads.
struct JobPlan {
  std::string strategy;  // resident | lru | stage; empty when nothing fits
  std::uint64_t budget_bytes = 0;
  std::uint64_t planned_bytes = 0;
  bool fits = false;
  std::vector<std::string> lines;       // the chosen plan, one entry per line
  std::vector<std::string> strategies;  // every strategy's summary
};

struct JobDone {
  std::string output;  // empty for a live run that recorded nothing
  std::int64_t frames = 0;
};

struct JobError {
  int exit_code = 1;
  std::string message;
};

using JobEvent = std::variant<Progress, MemorySample, JobPlan, JobDone, JobError>;

}  // namespace dlc::gui

Q_DECLARE_METATYPE(dlc::gui::Progress)
Q_DECLARE_METATYPE(dlc::gui::MemorySample)
Q_DECLARE_METATYPE(dlc::gui::JobPlan)
Q_DECLARE_METATYPE(dlc::gui::JobDone)
