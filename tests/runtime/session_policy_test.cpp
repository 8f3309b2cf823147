#include "runtime/session_policy.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "runtime/providers.hpp"

namespace dlc::runtime {
namespace {

TEST(SessionPolicy, OptimizedSessionsUseTheSharedArena) {
  const auto options = make_session_options(SessionPolicy{});
  ASSERT_TRUE(options.HasConfigEntry("session.use_env_allocators"));
  EXPECT_EQ(options.GetConfigEntry("session.use_env_allocators"), "1");
}

TEST(SessionPolicy, DisabledOptimizationLeavesOrtDefaults) {
  SessionPolicy policy;
  policy.memory_optimization = false;
  const auto options = make_session_options(policy);
  EXPECT_FALSE(options.HasConfigEntry("session.use_env_allocators"));
}

TEST(SessionPolicy, CudaOptionsCarryTheSeedSettings) {
  SessionPolicy policy;
  policy.device_id = 1;
  policy.gpu_mem_limit_bytes = 6ULL << 30;
  const auto cuda = cuda_provider_options(policy);
  EXPECT_EQ(cuda.at("device_id"), "1");
  EXPECT_EQ(cuda.at("gpu_mem_limit"), std::to_string(6ULL << 30));
  EXPECT_EQ(cuda.at("arena_extend_strategy"), "kSameAsRequested");
  EXPECT_EQ(cuda.at("cudnn_conv_algo_search"), "HEURISTIC");
  EXPECT_EQ(cuda.at("do_copy_in_default_stream"), "1");
  EXPECT_EQ(cuda.at("cudnn_conv_use_max_workspace"), "1");
}

TEST(SessionPolicy, CudaWithoutLimitOrOptimization) {
  SessionPolicy policy;
  EXPECT_FALSE(cuda_provider_options(policy).contains("gpu_mem_limit"));
  policy.memory_optimization = false;
  policy.gpu_mem_limit_bytes = 1ULL << 30;
  const auto cuda = cuda_provider_options(policy);
  EXPECT_EQ(cuda.size(), 1u);
  EXPECT_EQ(cuda.at("device_id"), "0");
}

TEST(SessionPolicy, UnknownProviderIsRefused) {
  Ort::SessionOptions options;
  EXPECT_THROW(append_provider(options, "no-such-provider", SessionPolicy{}), std::invalid_argument);
  EXPECT_NO_THROW(append_provider(options, "cpu", SessionPolicy{}));
}

TEST(SessionPolicy, OrtErrorsAreShortenedToTheActionablePart) {
  EXPECT_EQ(ort_error_summary("/onnxruntime_src/x.cc:1988 onnxruntime::Provider& Get() [ONNXRuntimeError] : 1 : "
                              "FAIL : Failed to load library /opt/libonnxruntime_providers_shared.so with error: "
                              "/opt/libonnxruntime_providers_shared.so: cannot open shared object file\nmore"),
            "/opt/libonnxruntime_providers_shared.so: cannot open shared object file");
  EXPECT_EQ(ort_error_summary("plain message"), "plain message");
}

TEST(SessionPolicy, CudaLoadProblemNamesTheMissingLibrary) {
  if (!ort_provider_name("cuda")) GTEST_SKIP() << "this ONNX Runtime has no CUDA provider compiled in";
  if (cuda_provider_library_present()) GTEST_SKIP() << "the CUDA provider library is installed here";
  const auto problem = provider_load_problem("cuda");
  EXPECT_NE(problem.find("libonnxruntime_providers_shared.so"), std::string::npos) << problem;
  EXPECT_EQ(provider_load_problem("cpu"), "");
}

TEST(SessionPolicy, DefaultIsCudaOnlyWhenItLoads) {
  const auto defaults = default_providers();
  EXPECT_EQ(defaults.back(), "cpu");
  const bool has_cuda = std::ranges::find(defaults, "cuda") != defaults.end();
  EXPECT_EQ(has_cuda, cuda_provider_library_present() && provider_load_problem("cuda").empty());
}

}  // namespace
}  // namespace dlc::runtime
