#include "memory/nvml.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

namespace dlc::memory {
namespace {

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

// The fake (tests/memory/fake_nvml.cpp) reads its environment when a session starts, so each
// test sets it before constructing Nvml and clears it afterwards.
class NvmlTest : public ::testing::Test {
 protected:
  void SetUp() override { clear(); }
  void TearDown() override { clear(); }
  static void clear() {
    unsetenv("FAKE_NVML_DEVICES");
    unsetenv("FAKE_NVML_INIT_ERROR");
    unsetenv("FAKE_NVML_OTHER_PROCESSES");
  }
};

TEST_F(NvmlTest, ReadsTheDefaultFakeDevice) {
  const Nvml nvml(DLC_FAKE_NVML);
  ASSERT_TRUE(nvml.available()) << nvml.problem();
  EXPECT_EQ(nvml.problem(), "");
  const auto devices = nvml.devices();
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].index, 0u);
  EXPECT_EQ(devices[0].name, "NVIDIA GeForce RTX 4070");
  EXPECT_EQ(devices[0].total_bytes, 12288 * kMiB);
  EXPECT_EQ(devices[0].used_bytes, 4198 * kMiB);
  EXPECT_EQ(devices[0].free_bytes, (12288 - 4198) * kMiB);
  EXPECT_EQ(devices[0].process_used_bytes, 512 * kMiB);
}

TEST_F(NvmlTest, ReadsEveryDevice) {
  setenv("FAKE_NVML_DEVICES", "NVIDIA A100-SXM4-80GB:81920:1024;Tesla T4:15360:0", 1);
  const Nvml nvml(DLC_FAKE_NVML);
  const auto devices = nvml.devices();
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[0].name, "NVIDIA A100-SXM4-80GB");
  EXPECT_EQ(devices[0].total_bytes, 81920 * kMiB);
  EXPECT_EQ(devices[0].used_bytes, 1024 * kMiB);
  EXPECT_EQ(devices[0].process_used_bytes, 512 * kMiB);
  EXPECT_EQ(devices[1].index, 1u);
  EXPECT_EQ(devices[1].name, "Tesla T4");
  EXPECT_EQ(devices[1].free_bytes, 15360 * kMiB);
  // This process runs nothing there: known to be zero, not unknown.
  EXPECT_EQ(devices[1].process_used_bytes, 0u);
}

TEST_F(NvmlTest, GrowsTheProcessListWhenNvmlAsks) {
  // More processes than the first call has room for; this process is listed last.
  setenv("FAKE_NVML_OTHER_PROCESSES", "100", 1);
  const Nvml nvml(DLC_FAKE_NVML);
  const auto devices = nvml.devices();
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].process_used_bytes, 512 * kMiB);
}

TEST_F(NvmlTest, DevicesCanBeReadFromAnotherThread) {
  const Nvml nvml(DLC_FAKE_NVML);
  std::size_t from_thread = 0;
  std::thread monitor([&] { from_thread = nvml.devices().size(); });
  const auto here = nvml.devices().size();
  monitor.join();
  EXPECT_EQ(here, 1u);
  EXPECT_EQ(from_thread, 1u);
}

TEST_F(NvmlTest, InitFailureIsReported) {
  setenv("FAKE_NVML_INIT_ERROR", "9", 1);
  const Nvml nvml(DLC_FAKE_NVML);
  EXPECT_FALSE(nvml.available());
  EXPECT_EQ(nvml.problem(), "nvmlInit_v2 failed: fake NVML error 9");
  EXPECT_TRUE(nvml.devices().empty());
}

TEST_F(NvmlTest, MissingLibraryIsReported) {
  const Nvml nvml("/nonexistent/libnvidia-ml.so.1");
  EXPECT_FALSE(nvml.available());
  EXPECT_FALSE(nvml.problem().empty());
  EXPECT_TRUE(nvml.devices().empty());
}

TEST_F(NvmlTest, LibraryWithoutNvmlNamesTheMissingSymbol) {
  const Nvml nvml("libm.so.6");
  EXPECT_FALSE(nvml.available());
  EXPECT_EQ(nvml.problem(), "missing symbol nvmlInit_v2");
  EXPECT_TRUE(nvml.devices().empty());
}

TEST_F(NvmlTest, DefaultLibraryLoadsOrSaysWhyNot) {
  // The real driver's library on an NVIDIA machine; elsewhere the loader's reason.
  const Nvml nvml;
  EXPECT_NE(nvml.available(), !nvml.problem().empty());
  if (!nvml.available()) {
    EXPECT_TRUE(nvml.devices().empty());
  }
}

}  // namespace
}  // namespace dlc::memory
