#include "media/install_layout.hpp"

#include <gtest/gtest.h>

namespace dlc::media {
namespace {

TEST(InstallLayout, FoldersAreBesideTheRunningBinarysPrefix) {
  const auto exe = std::filesystem::read_symlink("/proc/self/exe");
  EXPECT_EQ(executable_dir(), exe.parent_path());
  // PREFIX/bin/dlc -> PREFIX/lib/dlc and PREFIX/share/dlc.
  EXPECT_EQ(installed_lib_dir(), exe.parent_path().parent_path() / "lib" / "dlc");
  EXPECT_EQ(installed_data_dir(), exe.parent_path().parent_path() / "share" / "dlc");
}

}  // namespace
}  // namespace dlc::media
