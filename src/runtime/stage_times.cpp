#include "runtime/stage_times.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <utility>

namespace dlc::runtime {
namespace {

std::atomic<StageTimes*> g_sink{nullptr};

double thread_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

}  // namespace

double percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
  const auto index = std::min(values.size() - 1, rank == 0 ? 0 : rank - 1);
  std::ranges::nth_element(values, values.begin() + static_cast<std::ptrdiff_t>(index));
  return values[index];
}

void StageTimes::add(Stage stage, double ms, double cpu_ms) {
  std::lock_guard lock(mutex_);
  auto& s = series_[static_cast<std::size_t>(stage)];
  if (s.samples.size() < kMaxSamples) {
    s.samples.push_back(ms);
  } else {
    s.samples[s.count % kMaxSamples] = ms;
  }
  ++s.count;
  s.total_ms += ms;
  s.cpu_total_ms += cpu_ms;
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
    out.cpu_total_ms = s.cpu_total_ms;
  }
  out.p50_ms = percentile(sorted, 0.50);
  out.p95_ms = percentile(std::move(sorted), 0.95);
  return out;
}

void set_stage_sink(StageTimes* sink) { g_sink.store(sink); }

ScopedStage::ScopedStage(Stage stage) : sink_(g_sink.load(std::memory_order_relaxed)), stage_(stage) {
  if (sink_ == nullptr) return;
  start_ = std::chrono::steady_clock::now();
  cpu_start_ms_ = thread_cpu_ms();
}

ScopedStage::~ScopedStage() {
  if (sink_ == nullptr) return;
  sink_->add(stage_, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count(),
             thread_cpu_ms() - cpu_start_ms_);
}

}  // namespace dlc::runtime
