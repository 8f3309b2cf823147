#include "memory/cgroup.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace dlc::memory
