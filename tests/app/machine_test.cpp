#include "app/machine.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "runtime/session_policy.hpp"

namespace dlc::app {
namespace {

constexpr std::uint64_t kMiB = 1ULL << 20;
constexpr std::uint64_t kGiB = 1ULL << 30;

memory::MachineFacts machine_with_gpu(std::uint64_t total_bytes) {
  memory::MachineFacts facts;
  facts.system.total_bytes = facts.system.available_bytes = 32 * kGiB;
  memory::GpuMemory gpu;
  gpu.index = 0;
  gpu.name = "NVIDIA GeForce RTX 4070";
  gpu.total_bytes = total_bytes;
  facts.gpus.push_back(gpu);
  return facts;
}

// --gpu-memory-fraction 0.8 on a 12 GiB card: 9.6 GiB for all sessions together, each session's
// CUDA provider options carrying its share.
TEST(GpuLimits, OneBudgetSharedByTheJobsSessions) {
  JobOptions job;
  job.gpu_memory_fraction = 0.8;
  runtime::SessionPolicy policy;
  policy.providers = {"cuda", "cpu"};
  const std::vector<std::uint64_t> needs{17 * kMiB, 166 * kMiB, 554 * kMiB, 340 * kMiB};
  const auto limits = gpu_limits(job, policy, machine_with_gpu(12 * kGiB), needs);
  ASSERT_EQ(limits.size(), needs.size());
  const auto budget = static_cast<std::uint64_t>(0.8 * 12 * kGiB);
  EXPECT_EQ(std::accumulate(limits.begin(), limits.end(), std::uint64_t{0}), budget);

  policy.gpu_mem_limit_bytes = limits[2];
  const auto options = runtime::cuda_provider_options(policy);
  EXPECT_EQ(options.at("gpu_mem_limit"), std::to_string(limits[2]));
  EXPECT_NEAR(static_cast<double>(limits[2]), static_cast<double>(budget) * 554.0 / 1077.0, 2.0);
}

TEST(GpuLimits, NoneOffCudaOrWithoutAGpu) {
  JobOptions job;
  runtime::SessionPolicy cpu_policy;
  EXPECT_TRUE(gpu_limits(job, cpu_policy, machine_with_gpu(12 * kGiB), {1, 2}).empty());
  runtime::SessionPolicy cuda_policy;
  cuda_policy.providers = {"cuda"};
  EXPECT_TRUE(gpu_limits(job, cuda_policy, memory::MachineFacts{}, {1, 2}).empty());
  cuda_policy.device_id = 1;  // the machine has only device 0
  EXPECT_TRUE(gpu_limits(job, cuda_policy, machine_with_gpu(12 * kGiB), {1, 2}).empty());
}

TEST(RamBudget, FlagWinsElseRecommendationCappedByAvailable) {
  JobOptions job;
  job.max_memory_gb = 2.5;
  auto facts = machine_with_gpu(12 * kGiB);
  EXPECT_EQ(ram_budget_bytes(job, facts), static_cast<std::uint64_t>(2.5 * kGiB));
  job.max_memory_gb.reset();
  facts.system.total_bytes = 64 * kGiB;
  facts.system.available_bytes = 60 * kGiB;
  EXPECT_EQ(ram_budget_bytes(job, facts), 16 * kGiB);  // the high-VRAM tier's 16 GB
  facts.system.available_bytes = 3 * kGiB;
  EXPECT_LT(ram_budget_bytes(job, facts), 4 * kGiB);  // what is free now, plus dlc's own RSS
  EXPECT_GE(ram_budget_bytes(job, facts), 3 * kGiB);
}

}  // namespace
}  // namespace dlc::app
