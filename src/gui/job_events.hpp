#pragma once

#include <cstdint>
#include <optional>
#include <string>

// What a running `dlc` child reports to the window, parsed from its event lines (dlc_process.hpp).
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
  std::uint64_t tree_rss_bytes = 0;     // dlc plus its ffmpeg children
  std::uint64_t arena_bytes = 0;        // ONNX Runtime's model arenas
  std::optional<std::uint64_t> vram_bytes;  // when a GPU is in use
  std::uint64_t budget_bytes = 0;       // --max-memory (or what it was capped to)
};

}  // namespace dlc::gui
