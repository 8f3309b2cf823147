#include "pipeline/model_bench.hpp"

#include <gtest/gtest.h>

#include "runtime/ort_runtime.hpp"
#include "support/paths.hpp"

namespace dlc::pipeline {
namespace {

TEST(Percentile, NearestRank) {
  EXPECT_EQ(percentile({}, 0.5), 0.0);
  EXPECT_EQ(percentile({5}, 0.95), 5.0);
  EXPECT_EQ(percentile({4, 1, 3, 2}, 0.5), 2.0);
  EXPECT_EQ(percentile({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 100}, 0.95), 19.0);
  EXPECT_EQ(percentile({3, 1, 2}, 1.0), 3.0);
}

TEST(ModelBench, RunsEachModelOfTheJob) {
  const auto models = locate_models(roles_for({"face_swapper", "face_enhancer"}), {test::fixture_model("")});
  memory::RssGovernor governor(64ULL << 30, [] { return std::uint64_t{0}; });
  const auto figures = run_model_bench(models, runtime::SessionPolicy{}, {}, 3, &governor);
  ASSERT_EQ(figures.stages.size(), 4u);
  // The recognizer runs once for the source face and comes first; the others once per frame.
  EXPECT_EQ(figures.stages[0].role, "recognizer");
  EXPECT_EQ(figures.stages[0].run_ms.size(), 1u);
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(figures.stages[i].run_ms.size(), 3u) << figures.stages[i].role;
    EXPECT_EQ(figures.stages[i].provider, "cpu");
  }
  EXPECT_EQ(figures.frames, 3);
  EXPECT_GT(figures.rss_after_load_bytes, 0u);
  EXPECT_EQ(figures.governor_waits, 0u);
  EXPECT_GE(figures.arenas.peak_bytes, 3 * 512 * 512 * 4);  // the enhancer's output at least
}

TEST(ModelBench, PrivateArenasAreCountedWhileTheSessionsLive) {
  const auto models = locate_models(roles_for({"face_enhancer"}), {test::fixture_model("")});
  runtime::SessionPolicy policy;
  policy.memory_optimization = false;
  const auto figures = run_model_bench(models, policy, {}, 2, nullptr);
  EXPECT_GE(figures.arenas.peak_bytes, 3 * 512 * 512 * 4);
  EXPECT_GT(figures.arenas.reserved_bytes, 0);
}

TEST(ModelBench, GovernorHoldsFramesWhenRssIsOverBudget) {
  const auto models = locate_models(roles_for({"face_swapper"}), {test::fixture_model("")});
  // A budget the process is always over: every frame waits (and gives up after its max wait).
  int shrinks = 0;
  memory::RssGovernor governor(1, [] { return std::uint64_t{1} << 40; }, [&] { ++shrinks; });
  const auto figures = run_model_bench(models, runtime::SessionPolicy{}, {}, 1, &governor);
  EXPECT_EQ(figures.governor_waits, 2u);  // the warm-up frame and the timed one
  EXPECT_EQ(shrinks, 2);
}

}  // namespace
}  // namespace dlc::pipeline
