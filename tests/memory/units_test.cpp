#include "memory/units.hpp"

#include <gtest/gtest.h>

namespace dlc::memory {
namespace {

TEST(Units, GigabytesAreBinaryWithOneDecimal) {
  EXPECT_EQ(format_gb(16ULL << 30), "16.0GB");
  EXPECT_EQ(format_gb(0), "0.0GB");
  // 8.2 GiB rounds to one decimal like Deep-Live-Cam's "{:.1f}".
  EXPECT_EQ(format_gb(static_cast<std::uint64_t>(8.2 * (1ULL << 30))), "8.2GB");
  EXPECT_EQ(format_gb(1000ULL * 1000 * 1000), "0.9GB");
}

TEST(Units, MegabytesAreBinaryWithOneDecimal) {
  EXPECT_EQ(format_mb(1ULL << 20), "1.0 MB");
  EXPECT_EQ(format_mb(3ULL << 19), "1.5 MB");
}

}  // namespace
}  // namespace dlc::memory

namespace dlc::memory {
namespace {

TEST(Units, SizeUnitFitsTheValue) {
  EXPECT_EQ(format_size(812), "812 B");
  EXPECT_EQ(format_size(4889), "4.8 KB");
  EXPECT_EQ(format_size(16ULL << 20), "16.0 MB");
  EXPECT_EQ(format_size(3ULL << 29), "1.5 GB");
}

}  // namespace
}  // namespace dlc::memory
