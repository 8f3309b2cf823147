#include "runtime/stage_times.hpp"

#include <gtest/gtest.h>

#include <ctime>

namespace dlc::runtime {
namespace {

TEST(StageTimes, SummariesPerStage) {
  StageTimes times;
  for (int ms = 1; ms <= 20; ++ms) times.add(Stage::kSwapInference, ms);
  times.add(Stage::kDecode, 3);
  const auto swap = times.summary(Stage::kSwapInference);
  EXPECT_EQ(swap.count, 20u);
  EXPECT_DOUBLE_EQ(swap.total_ms, 210);
  EXPECT_DOUBLE_EQ(swap.p50_ms, 10);
  EXPECT_DOUBLE_EQ(swap.p95_ms, 19);
  EXPECT_EQ(times.summary(Stage::kDecode).count, 1u);
  EXPECT_EQ(times.summary(Stage::kEncode).count, 0u);
}

// A long run keeps only the latest samples for its percentiles; count and total cover it all.
TEST(StageTimes, SamplesStayBounded) {
  StageTimes times;
  const auto n = StageTimes::kMaxSamples * 3;
  for (std::size_t i = 0; i < n; ++i) times.add(Stage::kDetect, i < StageTimes::kMaxSamples * 2 ? 1000.0 : 1.0);
  const auto s = times.summary(Stage::kDetect);
  EXPECT_EQ(s.count, n);
  EXPECT_DOUBLE_EQ(s.p95_ms, 1.0) << "the old slow samples are gone";
}

TEST(StageTimes, ScopedStageRecordsOnlyWithASink) {
  StageTimes times;
  { const ScopedStage unrecorded(Stage::kEncode); }
  set_stage_sink(&times);
  { const ScopedStage recorded(Stage::kEncode); }
  set_stage_sink(nullptr);
  { const ScopedStage unrecorded(Stage::kEncode); }
  EXPECT_EQ(times.summary(Stage::kEncode).count, 1u);
}

TEST(StageTimes, CpuTimeAddsUpPerStage) {
  StageTimes times;
  times.add(Stage::kLandmarks, 10, 4);
  times.add(Stage::kLandmarks, 12, 3.5);
  EXPECT_DOUBLE_EQ(times.summary(Stage::kLandmarks).cpu_total_ms, 7.5);
  EXPECT_DOUBLE_EQ(times.summary(Stage::kLandmarks).total_ms, 22);
}

double thread_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

// The scope's own thread's CPU time: a scope that computes for 2 ms of CPU records at least that.
TEST(StageTimes, ScopedStageRecordsTheThreadsCpuTime) {
  StageTimes times;
  set_stage_sink(&times);
  {
    const ScopedStage recorded(Stage::kAlign);
    const double start = thread_cpu_ms();
    volatile double sink = 0;
    while (thread_cpu_ms() - start < 2.0) sink = sink + 1;
  }
  set_stage_sink(nullptr);
  const auto s = times.summary(Stage::kAlign);
  EXPECT_GE(s.cpu_total_ms, 2.0);
  EXPECT_GE(s.total_ms, s.cpu_total_ms * 0.999);  // one thread's CPU time never passes its wall time
}

}  // namespace
}  // namespace dlc::runtime
