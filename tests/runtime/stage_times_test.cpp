#include "runtime/stage_times.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace dlc::runtime
