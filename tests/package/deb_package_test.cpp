// cmake/Packaging.cmake: the .deb cpack makes from this build, inspected (dpkg-deb -I / -c) and
// unpacked into a temporary folder (never installed: that needs root), where its dlc must start
// with its own ONNX Runtime and find its module, from a prefix that is not the build tree.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <vector>

#include "media/subprocess.hpp"
#include "support/paths.hpp"

namespace dlc::test {
namespace {

namespace fs = std::filesystem;

// One test: CTest runs each test in a process of its own, and cpack takes a while.
TEST(DebPackage, DependsOnDebianHoldsDlcAndStartsFromItsOwnPrefix) {
  const auto dir = make_temp_dir();
  struct Cleanup {
    fs::path dir;
    ~Cleanup() { fs::remove_all(dir); }
  } cleanup{dir};
  const auto made = media::run_process({DLC_CPACK, "-G", "DEB", "--config", DLC_CPACK_CONFIG, "-B", dir.string()});
  ASSERT_EQ(made.exit_code, 0) << made.out << made.err;
  fs::path deb;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".deb") deb = e.path();
  }
  ASSERT_FALSE(deb.empty()) << made.out;

  const auto info = media::run_process({"dpkg-deb", "-I", deb.string()});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  std::smatch depends;
  ASSERT_TRUE(std::regex_search(info.out, depends, std::regex(" Depends: ([^\n]*)"))) << info.out;
  for (const char* package : {"libopencv-core", "libdlib19", "libcurl4", "libssl3", "ffmpeg", "libdlib-data"}) {
    EXPECT_NE(depends[1].str().find(package), std::string::npos) << package << " not in " << depends[1];
  }
  // ONNX Runtime is dlc's own copy, never a dependency.
  EXPECT_EQ(depends[1].str().find("onnxruntime"), std::string::npos) << depends[1];

  const auto list = media::run_process({"dpkg-deb", "-c", deb.string()});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  for (const char* file : {"./usr/bin/dlc", "./usr/lib/dlc/dlc_opencv_live.so", "./usr/lib/dlc/dlc_dlib_face.so",
                           "./usr/lib/dlc/dlc-decode", "./usr/lib/dlc/libonnxruntime.so.1",
                           "./usr/share/dlc/blazeface/face_detection_front_128x128_barracuda.onnx",
                           "./usr/share/dlc/manifest.json"}) {
    EXPECT_NE(list.out.find(std::string(file) + "\n"), std::string::npos) << file << " not in\n" << list.out;
  }
  EXPECT_EQ(list.out.find("inswapper"), std::string::npos) << "models are never packaged";
#ifdef DLC_PACKAGE_HAS_GUI
  // The window beside dlc, with Qt 6 from Debian.
  EXPECT_NE(list.out.find("./usr/bin/dlc-gui\n"), std::string::npos) << list.out;
  EXPECT_NE(depends[1].str().find("libqt6widgets6"), std::string::npos) << depends[1];
#endif

  const auto root = dir / "root";
  ASSERT_EQ(media::run_process({"dpkg-deb", "-x", deb.string(), root.string()}).exit_code, 0);
  const auto dynamic = media::run_process({"readelf", "-d", (root / "usr/bin/dlc").string()});
  EXPECT_NE(dynamic.out.find("[$ORIGIN/../lib/dlc]"), std::string::npos) << dynamic.out;
  // What does not link ONNX Runtime has no RUNPATH at all: none names the build machine's folders.
  std::vector<fs::path> unlinked{root / "usr/lib/dlc/dlc_opencv_live.so", root / "usr/lib/dlc/dlc_dlib_face.so",
                                 root / "usr/lib/dlc/dlc-decode"};
#ifdef DLC_PACKAGE_HAS_GUI
  unlinked.push_back(root / "usr/bin/dlc-gui");
#endif
  for (const auto& file : unlinked) {
    const auto elf = media::run_process({"readelf", "-d", file.string()});
    ASSERT_EQ(elf.exit_code, 0) << file << ": " << elf.err;
    EXPECT_EQ(elf.out.find("RUNPATH"), std::string::npos) << file << ":\n" << elf.out;
  }
  const auto version = media::run_process({(root / "usr/bin/dlc").string(), "--version"});
  EXPECT_EQ(version.exit_code, 0) << version.err;
  // The ONNX Runtime it loaded is the packaged one, not the build tree's.
  std::smatch ort;
  ASSERT_TRUE(std::regex_search(version.out, ort, std::regex("ONNX Runtime [0-9.]+ \\(([^)]*)\\)"))) << version.out;
  EXPECT_EQ(fs::canonical(ort[1].str()), fs::canonical(root / "usr/lib/dlc")) << version.out;
  // Its decoder child is found in its own lib/dlc: the plan of a video job names it.
  test::make_test_clip(dir, "clip.mp4", false);
  const auto plan = media::run_process({(root / "usr/bin/dlc").string(), "plan", "-s", test::astronaut_photo().string(),
                                        "-t", (dir / "clip.mp4").string(), "--models-dir", dir.string(), "--json"});
  EXPECT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find("\"what\": \"dlc-decode decoder 320x240"), std::string::npos) << plan.out;
}

}  // namespace
}  // namespace dlc::test
