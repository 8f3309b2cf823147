#include "memory/system_memory.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "support/paths.hpp"

namespace dlc::memory {
namespace {

constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kGiB = 1ULL << 30;

MemorySources machine(const char* name) {
  const auto root = test::source_tree_file("tests/data/machines") / name;
  return MemorySources{root / "proc", root / "cgroup"};
}

TEST(SystemMemory, ReadsRecordedMeminfo) {
  const auto mem = read_system_memory(machine("recorded-16g"));
  ASSERT_TRUE(mem);
  EXPECT_EQ(mem->total_bytes, 16384000 * kKiB);
  EXPECT_EQ(mem->physical_total_bytes, 16384000 * kKiB);
  EXPECT_FALSE(mem->cgroup_limit_bytes);
  EXPECT_EQ(mem->available_bytes, 8192000 * kKiB);
  EXPECT_EQ(mem->used_bytes(), 8192000 * kKiB);
  EXPECT_EQ(mem->swap_total_bytes, 2097152 * kKiB);
  EXPECT_EQ(mem->swap_used_bytes, 1048576 * kKiB);
}

TEST(SystemMemory, OldKernelWithoutMemAvailableUsesFreePlusCache) {
  const auto mem = read_system_memory(machine("old-kernel"));
  ASSERT_TRUE(mem);
  EXPECT_EQ(mem->available_bytes, (1000000 + 200000 + 300000) * kKiB);
  EXPECT_EQ(mem->swap_used_bytes, 0u);
}

TEST(SystemMemory, MissingTreeGivesNothing) {
  EXPECT_FALSE(read_system_memory({"/nonexistent-proc-root", "/nonexistent-cgroup-root"}));
  EXPECT_FALSE(read_process_memory("/nonexistent-proc-root"));
}

TEST(SystemMemory, ReadsRecordedProcessStatus) {
  const auto mem = read_process_memory(machine("recorded-16g").proc_root);
  ASSERT_TRUE(mem);
  EXPECT_EQ(mem->rss_bytes, 1363148 * kKiB);
  EXPECT_EQ(mem->peak_bytes, 1468006 * kKiB);
}

// A container's limit is the real total; what is available is computed against it, with the
// cgroup's reclaimable page cache not counted as used.
TEST(SystemMemory, CgroupV2LimitIsTheTotal) {
  const auto mem = read_system_memory(machine("container-v2"));
  ASSERT_TRUE(mem);
  EXPECT_EQ(mem->physical_total_bytes, 64 * kGiB);
  EXPECT_EQ(mem->cgroup_limit_bytes, 6 * kGiB);
  EXPECT_EQ(mem->total_bytes, 6 * kGiB);
  EXPECT_EQ(mem->available_bytes, 6 * kGiB - (2 * kGiB - 512 * (1ULL << 20)));
}

TEST(SystemMemory, CgroupV1LimitIsTheTotal) {
  const auto mem = read_system_memory(machine("container-v1"));
  ASSERT_TRUE(mem);
  EXPECT_EQ(mem->cgroup_limit_bytes, 4 * kGiB);
  EXPECT_EQ(mem->total_bytes, 4 * kGiB);
  EXPECT_EQ(mem->available_bytes, 3 * kGiB);
}

TEST(SystemMemory, CgroupLimitAbovePhysicalRamChangesNothing) {
  const auto mem = read_system_memory(machine("container-loose"));
  ASSERT_TRUE(mem);
  EXPECT_FALSE(mem->cgroup_limit_bytes);
  EXPECT_EQ(mem->total_bytes, 8 * kGiB);
  EXPECT_EQ(mem->available_bytes, 6000000 * kKiB);
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
