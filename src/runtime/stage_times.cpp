#include "runtime/stage_times.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace dlc::runtime {
namespace {

std::atomic<StageTimes*> g_sink{nullptr};

}  // namespace

double percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
  const auto index = std::min(values.size() - 1, rank == 0 ? 0 : rank - 1);
  std::ranges::nth_element(values, values.begin() + static_cast<std::ptrdiff_t>(index));
  return values[index];
}

void StageTimes::add(Stage stage, double ms) {
  std::lock_guard lock(mutex_);
  auto& s = series_[static_cast<std::size_t>(stage)];
  if (s.samples.size() < kMaxSamples) {
    s.samples.push_back(ms);
  } else {
    s.samples[s.count % kMaxSamples] = ms;
  }
  ++s.count;
  s.total_ms += ms;
}

StageTimes::Summary StageTimes::summary(Stage stage) const {
  std::vector<double> sorted;
  Summary out;
  {
    std::lock_guard lock(mutex_);
    const auto& s = series_[static_cast<std::size_t>(stage)];
    sorted = s.samples;
    out.count = s.count;
    out.total_ms = s.total_ms;
  }
  out.p50_ms = percentile(sorted, 0.50);
  out.p95_ms = percentile(std::move(sorted), 0.95);
  return out;
}

void set_stage_sink(StageTimes* sink) { g_sink.store(sink); }

ScopedStage::ScopedStage(Stage stage) : sink_(g_sink.load(std::memory_order_relaxed)), stage_(stage) {
  if (sink_ != nullptr) start_ = std::chrono::steady_clock::now();
}

ScopedStage::~ScopedStage() {
  if (sink_ == nullptr) return;
  sink_->add(stage_, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count());
}

}  // namespace dlc::runtime
