#include "media/opencv_live.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string_view>

#include "support/paths.hpp"

namespace dlc::media {
namespace {

bool mapped(std::string_view name) {
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    if (line.find(name) != std::string::npos) return true;
  }
  return false;
}

TEST(OpenCvLive, IsLookedForNextToTheExecutableUnlessTheEnvironmentSaysWhere) {
  const char* saved = std::getenv("DLC_LIVE_MODULE");
  const std::string restore = saved != nullptr ? saved : "";
  unsetenv("DLC_LIVE_MODULE");
  const auto exe = std::filesystem::read_symlink("/proc/self/exe");
  EXPECT_EQ(opencv_live_path(), exe.parent_path() / std::filesystem::path(DLC_OPENCV_LIVE).filename());
  setenv("DLC_LIVE_MODULE", "/somewhere/else.so", 1);
  EXPECT_EQ(opencv_live_path(), "/somewhere/else.so");
  if (restore.empty()) {
    unsetenv("DLC_LIVE_MODULE");
  } else {
    setenv("DLC_LIVE_MODULE", restore.c_str(), 1);
  }
}

// The built module loads, maps videoio and highgui only then, and reports a device it cannot
// open as a message, not an exception.
TEST(OpenCvLive, LoadsTheBuiltModule) {
  setenv("DLC_LIVE_MODULE", DLC_OPENCV_LIVE, 1);
  std::string error;
  const auto* api = load_opencv_live(error);
  ASSERT_NE(api, nullptr) << error;
  EXPECT_EQ(api->abi, kOpenCvLiveAbi);
  EXPECT_TRUE(opencv_live_loaded());
  EXPECT_TRUE(mapped("libopencv_videoio"));
  EXPECT_TRUE(mapped("libopencv_highgui"));
  EXPECT_EQ(load_opencv_live(error), api);  // loaded once
  LiveCaptureRequest request;
  request.device = "/dev/null";
  EXPECT_EQ(api->open_capture(request, error), nullptr);
  EXPECT_NE(error.find("cannot be opened"), std::string::npos) << error;
}

// In a fresh process (a death test re-executes this binary): a module loaded by another test
// would be returned as it is.
TEST(OpenCvLive, AFileThatIsNotTheModuleIsRefused) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const auto dir = test::make_temp_dir();
  const auto not_a_module = dir / "dlc_opencv_live.so";
  { std::ofstream(not_a_module) << "not a shared object\n"; }
  EXPECT_EXIT(
      {
        setenv("DLC_LIVE_MODULE", not_a_module.c_str(), 1);
        std::string error;
        const auto* api = load_opencv_live(error);
        std::fprintf(stderr, "%s %s\n", api == nullptr && !opencv_live_loaded() ? "refused:" : "loaded", error.c_str());
        std::_Exit(0);
      },
      testing::ExitedWithCode(0), "refused: .*/dlc_opencv_live.so cannot be loaded \\(.*DLC_LIVE_MODULE names it");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dlc::media
