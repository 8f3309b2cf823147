#include "pipeline/strategy_plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace dlc::pipeline {
namespace {

constexpr std::uint64_t kMiB = 1ULL << 20;

PlannedModel model(const char* what, std::uint64_t weights_mib, std::uint64_t working_mib, std::uint64_t build_mib,
                   std::uint64_t first_call_mib = 0) {
  memory::ModelFootprint f;
  f.arena_bytes = working_mib * kMiB;
  f.first_call_bytes = first_call_mib * kMiB;
  f.resident_bytes = (weights_mib + working_mib) * kMiB;
  f.load_extra_bytes = build_mib * kMiB;
  return {what, f, "test"};
}

// The shape of the stand-in job: detector, swapper and enhancer, two workers, 720p frames.
JobShape swap_and_enhance() {
  JobShape job;
  job.process_bytes = 100 * kMiB;
  job.analysis = {model("detector", 17, 126, 24)};
  job.steps = {model("swapper", 555, 265, 740), model("enhancer", 341, 1143, 476)};
  job.recognizer = model("recognizer", 174, 58, 233);
  job.frame_bytes = 1280 * 720 * 3;
  job.frames_in_flight = 4;
  job.concurrent_calls = 2;
  return job;
}

// The README's figures: the process (100 MiB here), 64 MiB for running any job, the weights, 2
// calls of the enhancer's 1143 MiB and 4 frames of 1280x720x3 = 2,764,800 B:
// 100 + 64 + 17 + 555 + 341 + 2286 = 3363 MiB = 3,526,361,088 B, + 11,059,200 B.
TEST(StrategyPlan, ResidentCountsEveryModelAndEachWorkersCall) {
  const auto plan = plan_strategy(MemoryStrategy::kResident, swap_and_enhance(), 64ULL << 30);
  EXPECT_EQ(plan.plan.peak_bytes(), 3'537'420'288u);
  EXPECT_EQ(plan.workers, 2);
  EXPECT_TRUE(plan.fits);
  EXPECT_FALSE(plan_strategy(MemoryStrategy::kResident, swap_and_enhance(), 3'537'420'287u).fits);
}

// A video's children: the decoder at 100 MiB, the encoder at 500, 300 or 150 MiB (fastest first).
JobShape with_children(JobShape job) {
  job.decoder = PlannedChild{"decoder", 100 * kMiB, "test"};
  job.encoders = {{"encoder fast", 500 * kMiB, "test"}, {"encoder bounded", 300 * kMiB, "test"},
                  {"encoder least", 150 * kMiB, "test"}};
  return job;
}

// Every phase holds the decoder and the encoder: resident's 3,537,420,288 B plus 100 + 500 MiB.
TEST(StrategyPlan, TheChildrenAreInThePlan) {
  const auto plan = plan_strategy(MemoryStrategy::kResident, with_children(swap_and_enhance()), 64ULL << 30);
  EXPECT_EQ(plan.plan.peak_bytes(), 3'537'420'288u + 600 * kMiB);
  EXPECT_EQ(plan.encoder, 0u);
  const auto& items = plan.plan.items();
  EXPECT_TRUE(std::ranges::any_of(items, [](const auto& i) { return i.what == "decoder"; }));
  EXPECT_TRUE(std::ranges::any_of(items, [](const auto& i) { return i.what == "encoder fast"; }));
}

// Under a budget the fastest encoder settings that fit are taken, before a slower strategy.
TEST(StrategyPlan, TheEncoderIsBoundedToFitTheBudget) {
  const auto job = with_children(swap_and_enhance());
  const auto base = 3'537'420'288u + 100 * kMiB;
  const auto bounded = plan_strategy(MemoryStrategy::kResident, job, base + 300 * kMiB);
  EXPECT_TRUE(bounded.fits);
  EXPECT_EQ(bounded.encoder, 1u);
  EXPECT_EQ(bounded.plan.peak_bytes(), base + 300 * kMiB);
  const auto choice = choose_strategy(job, base + 300 * kMiB, std::nullopt, false);
  ASSERT_TRUE(choice.chosen);
  EXPECT_EQ(choice.plans[*choice.chosen].strategy, MemoryStrategy::kResident);
  // Nothing fits: the plan shown is the one with the encoder at its least, naming it.
  const auto none = plan_strategy(MemoryStrategy::kResident, job, base);
  EXPECT_FALSE(none.fits);
  EXPECT_EQ(none.encoder, 2u);
  EXPECT_NE(none.plan.describe(base).find("encoder least"), std::string::npos);
}

// The enhancer's stage is the costliest: its weights and one call, 341 + 1143 MiB, beside the
// process and running overhead (100 + 64): 1648 MiB. Under 2048 MiB the other 400 MiB hold 151
// frames of 2,764,800 B, so the chunk is capped at 64: 1648 MiB + 64 frames = 1,905,000,448 B.
// Under 1648 MiB + 20.5 frames the chunk is 20 frames: 1,783,349,248 B.
TEST(StrategyPlan, StageHoldsTheCostliestStageAndAChunkSizedToTheBudget) {
  const auto job = swap_and_enhance();
  const auto roomy = plan_strategy(MemoryStrategy::kStage, job, 2048 * kMiB);
  EXPECT_EQ(roomy.chunk_frames, 64u);
  EXPECT_FALSE(roomy.spill);
  EXPECT_EQ(roomy.workers, 1);
  EXPECT_EQ(roomy.plan.peak_bytes(), 1'905'000'448u);
  EXPECT_TRUE(roomy.fits);
  const auto tight = plan_strategy(MemoryStrategy::kStage, job, 1'728'053'248u + 20 * 2'764'800u + 1'382'400u);
  EXPECT_EQ(tight.chunk_frames, 20u);
  EXPECT_EQ(tight.plan.peak_bytes(), 1'783'349'248u);
  EXPECT_TRUE(tight.fits);
}

// When fewer than kMinChunkFrames frames fit beside the costliest stage, the chunk goes to disk and
// memory holds two frames.
TEST(StrategyPlan, StageSpillsWhenTheBudgetHoldsFewFrames) {
  const auto job = swap_and_enhance();
  const std::uint64_t fixed = (100 + 64 + 341 + 1143) * kMiB;
  const auto plan = plan_strategy(MemoryStrategy::kStage, job, fixed + 5 * job.frame_bytes);
  EXPECT_TRUE(plan.spill);
  EXPECT_EQ(plan.chunk_frames, kMaxChunkFrames);
  EXPECT_EQ(plan.plan.peak_bytes(), fixed + 2 * job.frame_bytes);
  EXPECT_TRUE(plan.fits);
  EXPECT_FALSE(plan_strategy(MemoryStrategy::kStage, job, fixed + job.frame_bytes).fits);
  EXPECT_FALSE(plan_strategy(MemoryStrategy::kStage, job, fixed + 9 * job.frame_bytes).spill);
}

TEST(StrategyPlan, AutoTakesResidentThenStageAndSaysWhenNothingFits) {
  const auto job = swap_and_enhance();
  const auto roomy = choose_strategy(job, 8ULL << 30, std::nullopt, false);
  ASSERT_TRUE(roomy.chosen);
  EXPECT_EQ(roomy.plans[*roomy.chosen].strategy, MemoryStrategy::kResident);
  const auto tight = choose_strategy(job, 2ULL << 30, std::nullopt, false);
  ASSERT_TRUE(tight.chosen);
  EXPECT_EQ(tight.plans[*tight.chosen].strategy, MemoryStrategy::kStage);
  EXPECT_TRUE(tight.automatic);
  EXPECT_NE(describe_strategies(tight).find("stage    fits"), std::string::npos) << describe_strategies(tight);
  EXPECT_FALSE(choose_strategy(job, 1ULL << 30, std::nullopt, false).chosen);
}

// A live stream cannot be staged: live takes lru when resident does not fit.
TEST(StrategyPlan, LiveFallsBackToLruNotStage) {
  auto job = swap_and_enhance();
  job.concurrent_calls = 1;
  const auto budget = smallest_budget(MemoryStrategy::kLru, job);
  const auto choice = choose_strategy(job, budget, std::nullopt, true);
  ASSERT_TRUE(choice.chosen);
  EXPECT_EQ(choice.plans[*choice.chosen].strategy, MemoryStrategy::kLru);
  EXPECT_FALSE(choose_strategy(job, budget - 2 * kMiB, std::nullopt, true).chosen);
}

// 2 GB: with one worker 730.5 MiB of room for 913 MiB of weights, so the models take turns, each
// use a first call. The enhancer's turn (341 + the detector's 17 + its first call 688) is the
// frames' peak; loading the swapper beside the detector (572 + its 740 build) is higher.
TEST(StrategyPlan, LruWhereModelsTakeTurns) {
  auto job = swap_and_enhance();
  job.analysis = {model("detector", 17, 126, 24, 75)};
  job.steps = {model("swapper", 555, 265, 740, 158), model("enhancer", 341, 1143, 476, 688)};
  const auto plan = plan_strategy(MemoryStrategy::kLru, job, 2048 * kMiB);
  EXPECT_EQ(plan.workers, 1);
  EXPECT_TRUE(plan.fits);
  const std::uint64_t frames = 4ULL * 1280 * 720 * 3;
  EXPECT_EQ(plan.plan.peak_bytes(), (100 + 64 + 17 + 555 + 740) * kMiB + frames);
  // Without the swapper's build in the way, the enhancer's turn is what is left.
  job.steps[0] = model("swapper", 555, 265, 0, 158);
  job.analysis[0] = model("detector", 17, 126, 0, 75);
  job.steps[1] = model("enhancer", 341, 1143, 0, 688);
  EXPECT_EQ(plan_strategy(MemoryStrategy::kLru, job, 2048 * kMiB).plan.peak_bytes(),
            (100 + 64 + 341 + 17 + 688) * kMiB + frames);
}

TEST(StrategyPlan, AskedStrategyIsTakenOnlyWhenItFits) {
  const auto job = swap_and_enhance();
  const auto resident = choose_strategy(job, 2ULL << 30, MemoryStrategy::kResident, false);
  EXPECT_FALSE(resident.chosen);
  EXPECT_FALSE(resident.automatic);
  const auto stage = choose_strategy(job, 2ULL << 30, MemoryStrategy::kStage, false);
  ASSERT_TRUE(stage.chosen);
  EXPECT_EQ(stage.plans[*stage.chosen].strategy, MemoryStrategy::kStage);
}

TEST(StrategyPlan, SmallestBudgetIsTheEdgeOfFitting) {
  const auto job = swap_and_enhance();
  for (const auto s : {MemoryStrategy::kResident, MemoryStrategy::kLru, MemoryStrategy::kStage}) {
    const auto budget = smallest_budget(s, job);
    EXPECT_TRUE(plan_strategy(s, job, budget).fits) << strategy_name(s);
    EXPECT_FALSE(plan_strategy(s, job, budget - 2 * kMiB).fits) << strategy_name(s);
  }
}

// A first run: a child writes each missing optimized copy before any model loads, beside the
// process as it is (100 MiB here) and what it grows by meanwhile (16 MiB). Its peak is a phase of every strategy; where it is the largest
// the plan is that phase, naming the child, and a budget below it fits no strategy (exit 5).
TEST(StrategyPlan, TheFirstRunsChildIsAPhaseOfItsOwn) {
  auto job = swap_and_enhance();
  const auto later = plan_strategy(MemoryStrategy::kStage, job, 64ULL << 30);
  EXPECT_TRUE(later.first_run.items().empty());
  EXPECT_EQ(describe_strategies(choose_strategy(job, 64ULL << 30, std::nullopt, false)).find("first run"),
            std::string::npos);
  // The swapper's child (600 MiB) is the costliest; the first run's peak is 100 + 16 + 600 MiB.
  job.steps[0].footprint.prepare_bytes = 600 * kMiB;
  job.steps[1].footprint.prepare_bytes = 450 * kMiB;
  auto first = plan_strategy(MemoryStrategy::kStage, job, 64ULL << 30);
  EXPECT_EQ(first.first_run.peak_bytes(), 716 * kMiB);
  EXPECT_EQ(first.plan.peak_bytes(), later.plan.peak_bytes()) << "below the frames' peak, it changes nothing";
  const auto text = describe_strategies(choose_strategy(job, 64ULL << 30, std::nullopt, false));
  EXPECT_NE(text.find("      716.0 MB  first run only: a child dlc writing the optimized copy of swapper, once, "
                      "before any model loads"),
            std::string::npos)
      << text;
  // A child larger than every other phase is the plan.
  job.steps[0].footprint.prepare_bytes = 4000 * kMiB;
  first = plan_strategy(MemoryStrategy::kStage, job, 64ULL << 30);
  EXPECT_EQ(first.plan.peak_bytes(), 4116 * kMiB);
  EXPECT_NE(first.plan.describe(std::nullopt).find("a child dlc writing the optimized copy of swapper"), std::string::npos);
  EXPECT_FALSE(plan_strategy(MemoryStrategy::kStage, job, 4115 * kMiB).fits);
  EXPECT_FALSE(choose_strategy(job, 4115 * kMiB, std::nullopt, false).chosen);
  EXPECT_TRUE(plan_strategy(MemoryStrategy::kStage, job, 4116 * kMiB).fits);
}

}  // namespace
}  // namespace dlc::pipeline
