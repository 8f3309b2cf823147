#include "app/job_options.hpp"

#include <gtest/gtest.h>

#include "runtime/session_policy.hpp"

namespace dlc::app {
namespace {

TEST(JobOptions, ThreadsFromFlagThenOmpThenCores) {
  JobOptions job;
  job.execution_threads = 3;
  EXPECT_EQ(resolve_threads(job, "7"), 3);
  job.execution_threads.reset();
  EXPECT_EQ(resolve_threads(job, "7"), 7);
  const int cores = resolve_threads(job, nullptr);
  EXPECT_GE(cores, 1);
  EXPECT_EQ(resolve_threads(job, "0"), cores);      // invalid OMP_NUM_THREADS is ignored
  EXPECT_EQ(resolve_threads(job, "four"), cores);
  EXPECT_EQ(resolve_threads(job, "4,2"), cores);
}

TEST(JobOptions, SessionPolicyFollowsTheFlags) {
  JobOptions job;
  job.memory_optimization = false;
  job.execution_providers = {"cuda", "cpu"};
  const auto policy = session_policy(job, 5);
  EXPECT_FALSE(policy.memory_optimization);
  EXPECT_EQ(policy.providers, (std::vector<std::string>{"cuda", "cpu"}));
  EXPECT_EQ(policy.intra_op_threads, 5);
  EXPECT_EQ(runtime_options(job, 5).intra_op_threads, 5);
}

// The job's sessions of the enhancers run without a CPU arena (the plan counts their call so),
// every other model's on the shared arena.
TEST(JobOptions, SessionPolicyRunsTheEnhancersWithoutCpuArena) {
  const auto policy = session_policy(JobOptions{}, 2);
  for (const char* file : {"GFPGANv1.4.onnx", "gfpgan-1024.onnx", "GPEN-BFR-256.onnx", "GPEN-BFR-512.onnx"}) {
    EXPECT_FALSE(policy.for_model(std::filesystem::path("models") / file).cpu_arena) << file;
  }
  for (const char* file : {"inswapper_128.onnx", "det_10g.onnx", "w600k_r50.onnx", "2d106det.onnx"}) {
    EXPECT_TRUE(policy.for_model(std::filesystem::path("models") / file).cpu_arena) << file;
  }
}

TEST(JobOptions, NoProviderFlagMeansBestAvailable) {
  EXPECT_EQ(session_policy(JobOptions{}, 2).providers, runtime::default_providers());
}

}  // namespace
}  // namespace dlc::app
