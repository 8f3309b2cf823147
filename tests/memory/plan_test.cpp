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

// inswapper_128.onnx's 554,253,681 bytes (FIELD.md) with 400 KiB of I/O, figures worked out by
// hand from the README's rules: weights 1.05 x the file = 581,966,365 B; the estimated arena a
// tenth of the file plus 8 copies of the I/O = 55,425,368 + 3,276,800 = 58,702,168 B; building
// the session 1.4 x the file = 775,955,153 B.
TEST(MemoryPlan, ModelFootprintOfAFileWithoutMeasuredFigures) {
  const auto big = estimate_model(554'253'681, 400 * 1024);
  EXPECT_EQ(big.weights_bytes(), 581'966'365u);
  EXPECT_EQ(big.arena_bytes, 58'702'168u);
  EXPECT_EQ(big.resident_bytes, 640'668'533u);
  EXPECT_EQ(big.load_extra_bytes, 775'955'153u);
  EXPECT_EQ(big.first_call(), 58'702'168u) << "no first-call figure: the steady one";
  // A measured working memory replaces the estimate, the weights stay.
  const auto measured = estimate_model(554'253'681, 400 * 1024, 265 * kMiB);
  EXPECT_EQ(measured.resident_bytes, 581'966'365u + 277'872'640u);
  // 4 KiB of weights: 4,300 B resident and the arena's floor of 16 MiB.
  const auto tiny = estimate_model(4 * 1024, 1024);
  EXPECT_EQ(tiny.resident_bytes, 4'300u + 16 * kMiB);
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
