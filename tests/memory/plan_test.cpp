#include "memory/plan.hpp"

#include <gtest/gtest.h>

#include <numeric>

namespace dlc::memory {
namespace {

constexpr std::uint64_t kMiB = 1ULL << 20;
constexpr std::uint64_t kGiB = 1ULL << 30;

TEST(MemoryPlan, SumsItemsAndJudgesTheBudget) {
  MemoryPlan plan;
  plan.add("process now", 100 * kMiB, "measured");
  plan.add("inswapper_128.onnx", 600 * kMiB, "file size x 1.05 + arena");
  EXPECT_EQ(plan.peak_bytes(), 700 * kMiB);
  EXPECT_TRUE(plan.fits(700 * kMiB));
  EXPECT_FALSE(plan.fits(699 * kMiB));
  const auto text = plan.describe(512 * kMiB);
  EXPECT_NE(text.find("100.0 MB  process now  (measured)"), std::string::npos) << text;
  EXPECT_NE(text.find("700.0 MB  planned peak"), std::string::npos) << text;
  EXPECT_NE(text.find("512.0 MB  budget (--max-memory): does NOT fit"), std::string::npos) << text;
}

TEST(MemoryPlan, ModelFootprintFollowsTheMeasuredFactors) {
  const auto big = estimate_model(554 * kMiB, 400 * 1024);
  // 1.05 x weights resident + arena (a tenth of the weights + 8 x I/O).
  EXPECT_NEAR(static_cast<double>(big.resident_bytes), 554 * kMiB * 1.15 + 8 * 400 * 1024, kMiB);
  EXPECT_NEAR(static_cast<double>(big.load_extra_bytes), 554 * kMiB * 1.40, kMiB);
  const auto tiny = estimate_model(4 * 1024, 1024);
  EXPECT_GE(tiny.resident_bytes, 16 * kMiB);  // the arena's floor
}

// --gpu-memory-fraction is one budget for all of dlc's sessions on the device.
TEST(GpuBudget, FractionOfTheDeviceSplitByNeed) {
  const auto budget = gpu_budget_bytes(0.8, 12 * kGiB);
  EXPECT_EQ(budget, static_cast<std::uint64_t>(0.8 * 12 * kGiB));
  const std::vector<std::uint64_t> needs{554 * kMiB, 17 * kMiB, 340 * kMiB};
  const auto shares = split_gpu_budget(budget, needs);
  ASSERT_EQ(shares.size(), 3u);
  EXPECT_EQ(std::accumulate(shares.begin(), shares.end(), std::uint64_t{0}), budget);
  EXPECT_GT(shares[0], shares[2]);
  EXPECT_GT(shares[2], shares[1]);
  EXPECT_NEAR(static_cast<double>(shares[0]) / static_cast<double>(budget), 554.0 / 911.0, 1e-6);
}

TEST(GpuBudget, NoNeedsMeansEqualShares) {
  const auto shares = split_gpu_budget(1000, {0, 0, 0, 0});
  EXPECT_EQ(shares, (std::vector<std::uint64_t>{250, 250, 250, 250}));
  EXPECT_TRUE(split_gpu_budget(1000, {}).empty());
}

}  // namespace
}  // namespace dlc::memory
