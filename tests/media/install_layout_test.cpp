#include "media/install_layout.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "support/paths.hpp"

namespace dlc::media {
namespace {

TEST(InstallLayout, FoldersAreBesideTheRunningBinarysPrefix) {
  const auto exe = std::filesystem::read_symlink("/proc/self/exe");
  EXPECT_EQ(executable_dir(), exe.parent_path());
  // PREFIX/bin/dlc -> PREFIX/lib/dlc and PREFIX/share/dlc.
  EXPECT_EQ(installed_lib_dir(), exe.parent_path().parent_path() / "lib" / "dlc");
  EXPECT_EQ(installed_data_dir(), exe.parent_path().parent_path() / "share" / "dlc");
}

// A module is named by its variable, else found beside the binary, else in PREFIX/lib/dlc.
TEST(InstallLayout, AModuleIsTheVariablesThenBesideTheBinaryThenInstalled) {
  const auto exe_dir = std::filesystem::read_symlink("/proc/self/exe").parent_path();
  unsetenv("DLC_TEST_MODULE");
  EXPECT_EQ(module_path("DLC_TEST_MODULE", "dlc_nothing.so"), exe_dir / "dlc_nothing.so");
  setenv("DLC_TEST_MODULE", "/elsewhere/dlc_nothing.so", 1);
  EXPECT_EQ(module_path("DLC_TEST_MODULE", "dlc_nothing.so"), "/elsewhere/dlc_nothing.so");
  unsetenv("DLC_TEST_MODULE");
}

TEST(InstallLayout, AMissingModuleNamesTheFileTheVariableAndTheInstalledFolder) {
  const auto dir = test::make_temp_dir();
  const auto missing = (dir / "dlc_nothing.so").string();
  setenv("DLC_TEST_MODULE", missing.c_str(), 1);
  std::string error;
  EXPECT_EQ(open_module("DLC_TEST_MODULE", "dlc_nothing.so", "dlc_nothing_api", error), nullptr);
  EXPECT_NE(error.find(missing + " cannot be loaded ("), std::string::npos) << error;
  EXPECT_NE(error.find("or DLC_TEST_MODULE names it"), std::string::npos) << error;
  EXPECT_NE(error.find(installed_lib_dir().string()), std::string::npos) << error;
  unsetenv("DLC_TEST_MODULE");
  std::filesystem::remove_all(dir);
}

// A library that loads but is not the module (it lacks the entry) is refused, naming the entry.
TEST(InstallLayout, ALibraryWithoutTheEntryIsNotTheModule) {
  setenv("DLC_TEST_MODULE", "libz.so.1", 1);
  std::string error;
  EXPECT_EQ(open_module("DLC_TEST_MODULE", "dlc_nothing.so", "dlc_nothing_api", error), nullptr);
  EXPECT_NE(error.find("it has no dlc_nothing_api"), std::string::npos) << error;
  unsetenv("DLC_TEST_MODULE");
}

}  // namespace
}  // namespace dlc::media
