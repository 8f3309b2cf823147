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

TEST(JobOptions, NoProviderFlagMeansBestAvailable) {
  EXPECT_EQ(session_policy(JobOptions{}, 2).providers, runtime::default_providers());
}

}  // namespace
}  // namespace dlc::app
