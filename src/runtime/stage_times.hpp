#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <vector>

namespace dlc::runtime {

// The stages of a frame that `dlc bench` times separately.
enum class Stage { kDecode, kDetect, kLandmarks, kAlign, kSwapInference, kPasteBack, kEnhance, kEncode };
inline constexpr std::array<std::string_view, 8> kStageNames{"decode",         "detect",     "landmarks", "align",
                                                             "swap inference", "paste-back", "enhance",   "encode"};

// Durations per stage. Each stage keeps its latest kMaxSamples durations (a ring), so a long run
// holds the same few kilobytes as a short one; count and total cover every call.
class StageTimes {
 public:
  static constexpr std::size_t kMaxSamples = 4096;
  struct Summary {
    std::uint64_t count = 0;
    double total_ms = 0;
    double p50_ms = 0;
    double p95_ms = 0;
    // The calling thread's CPU time over every call (work ONNX Runtime spreads over its own
    // threads is not in it): unlike wall time it does not grow with the machine's load.
    double cpu_total_ms = 0;
  };

  void add(Stage stage, double ms, double cpu_ms = 0);
  Summary summary(Stage stage) const;

 private:
  struct Series {
    std::vector<double> samples;  // up to kMaxSamples
    std::uint64_t count = 0;
    double total_ms = 0;
    double cpu_total_ms = 0;
  };
  mutable std::mutex mutex_;
  std::array<Series, kStageNames.size()> series_;
};

// The nearest-rank percentile (q in 0..1) of values; 0 for none.
double percentile(std::vector<double> values, double q);

// Where ScopedStage records: nothing (the default) until a benchmark installs its StageTimes.
void set_stage_sink(StageTimes* sink);

// Times the enclosing scope as one call of a stage when a sink is installed; otherwise it costs
// one atomic load.
class ScopedStage {
 public:
  explicit ScopedStage(Stage stage);
  ~ScopedStage();
  ScopedStage(const ScopedStage&) = delete;
  ScopedStage& operator=(const ScopedStage&) = delete;

 private:
  StageTimes* sink_;
  Stage stage_;
  std::chrono::steady_clock::time_point start_;
  double cpu_start_ms_ = 0;
};

}  // namespace dlc::runtime
