#include "pipeline/latency_histogram.hpp"

#include <algorithm>
#include <cmath>

namespace dlc::pipeline {

void LatencyHistogram::add(double ms) {
  ms = std::max(ms, 0.0);
  const auto bin = std::min(static_cast<std::size_t>(ms / kBinMs), kBins - 1);
  ++bins_[bin];
  ++count_;
  max_ms_ = std::max(max_ms_, ms);
}

double LatencyHistogram::percentile(double fraction) const {
  const auto rank = static_cast<std::int64_t>(std::ceil(fraction * static_cast<double>(count_)));
  std::int64_t seen = 0;
  for (std::size_t bin = 0; bin < kBins; ++bin) {
    seen += bins_[bin];
    if (seen >= std::max<std::int64_t>(rank, 1)) {
      return std::min((static_cast<double>(bin) + 0.5) * kBinMs, max_ms_);
    }
  }
  return max_ms_;
}

LatencyStats LatencyHistogram::stats() const {
  LatencyStats s;
  s.samples = count_;
  if (count_ == 0) return s;
  s.p50_ms = percentile(0.50);
  s.p95_ms = percentile(0.95);
  s.max_ms = max_ms_;
  return s;
}

}  // namespace dlc::pipeline
