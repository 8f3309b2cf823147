#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dlc::pipeline {

struct LatencyStats {
  std::int64_t samples = 0;
  double p50_ms = 0;
  double p95_ms = 0;
  double max_ms = 0;
};

// Capture-to-output latencies in fixed bins, so a run of hours uses the same memory as one of
// seconds. Percentiles are a bin's centre (kBinMs resolution) and never above the exact maximum.
class LatencyHistogram {
 public:
  static constexpr double kBinMs = 0.5;
  static constexpr std::size_t kBins = 10'000;  // up to 5 s; slower frames fall in the last bin

  void add(double ms);
  LatencyStats stats() const;

 private:
  double percentile(double fraction) const;

  std::vector<std::uint32_t> bins_ = std::vector<std::uint32_t>(kBins, 0);
  std::int64_t count_ = 0;
  double max_ms_ = 0;
};

}  // namespace dlc::pipeline
