#include "memory/cgroup.hpp"

#include <gtest/gtest.h>

#include "memory/system_memory.hpp"
#include "support/paths.hpp"

namespace dlc::memory {
namespace {

constexpr std::uint64_t kGiB = 1ULL << 30;

std::optional<CgroupMemory> read_machine(const char* name) {
  const auto root = test::source_tree_file("tests/data/machines") / name;
  return read_cgroup_memory(root / "proc", root / "cgroup");
}

TEST(Cgroup, V2TakesTheTightestLimitUpTheTree) {
  const auto cg = read_machine("container-v2");
  ASSERT_TRUE(cg);
  EXPECT_EQ(cg->version, 2);
  EXPECT_EQ(cg->limit_bytes, 6 * kGiB);  // the parent says "max"
  EXPECT_EQ(cg->usage_bytes, 2 * kGiB);
  EXPECT_EQ(cg->inactive_file_bytes, 512ULL << 20);
  EXPECT_EQ(cg->working_set_bytes(), 2 * kGiB - (512ULL << 20));
}

TEST(Cgroup, V1UnlimitedRootDoesNotCount) {
  const auto cg = read_machine("container-v1");
  ASSERT_TRUE(cg);
  EXPECT_EQ(cg->version, 1);
  EXPECT_EQ(cg->limit_bytes, 4 * kGiB);
  EXPECT_EQ(cg->usage_bytes, 1 * kGiB);
}

TEST(Cgroup, NoMemoryControllerMeansNoCgroup) {
  EXPECT_FALSE(read_machine("ram-16g"));  // "0::/" but no memory files under the root
  EXPECT_FALSE(read_cgroup_memory("/nonexistent", "/nonexistent"));
}

TEST(Cgroup, LiveReadingDoesNotFail) {
  // This machine may or may not limit the process; reading must simply be consistent.
  const auto cg = read_cgroup_memory();
  if (!cg) GTEST_SKIP() << "no memory cgroup visible here";
  EXPECT_TRUE(cg->version == 1 || cg->version == 2);
  if (cg->limit_bytes) {
    EXPECT_GT(*cg->limit_bytes, 0u);
  }
}

// The recorded machines: a 2 GiB v1 container like the one issue 20 ran in, and a bare 16 GiB one.
SystemMemory system_of(const char* name) {
  const auto root = test::source_tree_file("tests/data/machines") / name;
  return read_system_memory({root / "proc", root / "cgroup"}).value();
}

TEST(BudgetCap, ABudgetAboveTheCgroupLimitIsCappedToWhatCanBeHad) {
  const auto system = system_of("container-2g");
  ASSERT_EQ(system.cgroup_limit_bytes, 2 * kGiB);
  const std::uint64_t own = 100ULL << 20;
  EXPECT_EQ(system.cgroup_anon_bytes, 512ULL << 20);
  const auto cap = cap_budget(8 * kGiB, system, own);
  // The limit less the others' anonymous memory: 512 MiB in the cgroup, 100 MiB of it dlc's; its
  // 256 MiB of page cache (active or not) does not count.
  EXPECT_EQ(cap.bytes, 2 * kGiB - (412ULL << 20));
  EXPECT_GT(cap.bytes, system.available_bytes + own);
  EXPECT_NE(cap.warning.find("--max-memory 8.0GB is more than the memory cgroup's limit of 2.0GB"), std::string::npos)
      << cap.warning;
}

TEST(BudgetCap, ABudgetTheCgroupHoldsIsTakenAsItIs) {
  const auto system = system_of("container-2g");
  const auto asked = static_cast<std::uint64_t>(1.9 * static_cast<double>(kGiB));
  const auto cap = cap_budget(asked, system, 0);
  EXPECT_EQ(cap.bytes, asked);
  EXPECT_TRUE(cap.warning.empty());
}

TEST(BudgetCap, ABudgetAboveTheRamIsCappedWithoutACgroup) {
  const auto system = system_of("ram-16g");
  ASSERT_FALSE(system.cgroup_limit_bytes);
  const auto cap = cap_budget(64 * kGiB, system, 0);
  EXPECT_LE(cap.bytes, system.total_bytes);
  EXPECT_EQ(cap.bytes, system.available_bytes);
  EXPECT_NE(cap.warning.find("the machine's RAM of 16.0GB"), std::string::npos) << cap.warning;
  EXPECT_TRUE(cap_budget(8 * kGiB, system, 0).warning.empty());
}

}  // namespace
}  // namespace dlc::memory
