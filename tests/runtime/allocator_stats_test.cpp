#include "runtime/allocator_stats.hpp"

#include <gtest/gtest.h>

namespace dlc::runtime {
namespace {

TEST(AllocatorStats, ParsesOrtKeys) {
  const auto stats = parse_allocator_stats({{"InUse", "1024"},
                                            {"MaxInUse", "4096"},
                                            {"TotalAllocated", "8192"},
                                            {"Limit", "0"},
                                            {"NumAllocs", "7"},
                                            {"NumReserves", "1"},
                                            {"NumArenaExtensions", "2"},
                                            {"NumArenaShrinkages", "3"},
                                            {"MaxAllocSize", "512"}});
  EXPECT_TRUE(stats.available);
  EXPECT_EQ(stats.in_use_bytes, 1024);
  EXPECT_EQ(stats.peak_bytes, 4096);
  EXPECT_EQ(stats.reserved_bytes, 8192);
  EXPECT_EQ(stats.allocations, 7);
  EXPECT_EQ(stats.reserves, 1);
  EXPECT_EQ(stats.extensions, 2);
  EXPECT_EQ(stats.shrinkages, 3);
}

TEST(AllocatorStats, EmptyMeansUnavailableAndGarbageCountsAsZero) {
  EXPECT_FALSE(parse_allocator_stats({}).available);
  const auto stats = parse_allocator_stats({{"InUse", "12x"}, {"MaxInUse", ""}});
  EXPECT_TRUE(stats.available);
  EXPECT_EQ(stats.in_use_bytes, 0);
  EXPECT_EQ(stats.peak_bytes, 0);
}

}  // namespace
}  // namespace dlc::runtime
