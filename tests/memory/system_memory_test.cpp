#include "memory/system_memory.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "support/paths.hpp"

namespace dlc::memory {
namespace {

constexpr std::uint64_t kKiB = 1024;

TEST(SystemMemory, ReadsRecordedMeminfo) {
  const auto mem = read_system_memory(test::source_tree_file("tests/data/proc"));
  ASSERT_TRUE(mem);
  EXPECT_EQ(mem->total_bytes, 16384000 * kKiB);
  EXPECT_EQ(mem->available_bytes, 8192000 * kKiB);
  EXPECT_EQ(mem->used_bytes(), 8192000 * kKiB);
  EXPECT_EQ(mem->swap_total_bytes, 2097152 * kKiB);
  EXPECT_EQ(mem->swap_used_bytes, 1048576 * kKiB);
}

TEST(SystemMemory, OldKernelWithoutMemAvailableUsesFreePlusCache) {
  const auto mem = read_system_memory(test::source_tree_file("tests/data/proc_old_kernel"));
  ASSERT_TRUE(mem);
  EXPECT_EQ(mem->available_bytes, (1000000 + 200000 + 300000) * kKiB);
  EXPECT_EQ(mem->swap_used_bytes, 0u);
}

TEST(SystemMemory, MissingTreeGivesNothing) {
  EXPECT_FALSE(read_system_memory("/nonexistent-proc-root"));
  EXPECT_FALSE(read_process_memory("/nonexistent-proc-root"));
}

TEST(SystemMemory, ReadsRecordedProcessStatus) {
  const auto mem = read_process_memory(test::source_tree_file("tests/data/proc"));
  ASSERT_TRUE(mem);
  EXPECT_EQ(mem->rss_bytes, 1363148 * kKiB);
  EXPECT_EQ(mem->peak_bytes, 1468006 * kKiB);
}

TEST(SystemMemory, LiveProcReportsThisMachine) {
  const auto mem = read_system_memory();
  ASSERT_TRUE(mem);
  EXPECT_GT(mem->total_bytes, 0u);
  EXPECT_LE(mem->available_bytes, mem->total_bytes);
  const auto self = read_process_memory();
  ASSERT_TRUE(self);
  EXPECT_GT(self->rss_bytes, 0u);
  EXPECT_GE(self->peak_bytes, self->rss_bytes);
}

}  // namespace
}  // namespace dlc::memory
