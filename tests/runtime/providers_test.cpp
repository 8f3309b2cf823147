#include "runtime/providers.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

namespace dlc::runtime {
namespace {

TEST(Providers, ShortNamesFollowDeepLiveCam) {
  EXPECT_EQ(short_provider_name("CUDAExecutionProvider"), "cuda");
  EXPECT_EQ(short_provider_name("TensorrtExecutionProvider"), "tensorrt");
  EXPECT_EQ(short_provider_name("CPUExecutionProvider"), "cpu");
  EXPECT_EQ(short_provider_name("CoreMLExecutionProvider"), "coreml");
}

TEST(Providers, CpuIsAlwaysCompiledInAndLast) {
  const auto names = compiled_providers();
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.back(), "cpu");
  EXPECT_EQ(ort_provider_name("cpu"), "CPUExecutionProvider");
  EXPECT_FALSE(ort_provider_name("no-such-provider"));
}

TEST(Providers, LibraryDirIsWhereOrtWasLoadedFrom) {
  const auto dir = onnxruntime_library_dir();
  ASSERT_FALSE(dir.empty());
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(dir) / "libonnxruntime.so.1") ||
              std::filesystem::exists(std::filesystem::path(dir) / "libonnxruntime.so"));
}

}  // namespace
}  // namespace dlc::runtime
