// The dlc binary end to end: exit codes and what a user sees.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <regex>
#include <sstream>

#include "app/exit_codes.hpp"
#include "support/paths.hpp"
#include "media/subprocess.hpp"

namespace dlc::app {
namespace {

media::ProcessResult dlc(std::vector<std::string> args) {
  args.insert(args.begin(), test::dlc_binary().string());
  return media::run_process(args);
}

TEST(Main, VersionNamesOrtAndItsProviders) {
  const auto r = dlc({"--version"});
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("^dlc \\d+\\.\\d+\\.\\d+\\n"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\\nONNX Runtime 1\\.\\d+\\.\\d+ "))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("execution providers compiled in: .*cpu"))) << r.out;
}

TEST(Main, OutOfRangeFlagsExitTwoNamingTheFlag) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"run", "--gpu-memory-fraction", "1.5", "-s", "a.jpg", "-t", "b.jpg", "-o", "c.jpg"}, "--gpu-memory-fraction"},
      {{"run", "--video-quality", "60"}, "--video-quality"},
      {{"run", "--execution-threads", "0"}, "--execution-threads"},
      {{"run", "--max-memory", "0"}, "--max-memory"},
  };
  for (const auto& [args, flag] : cases) {
    const auto r = dlc(args);
    EXPECT_EQ(r.exit_code, kExitUsage) << flag;
    EXPECT_NE(r.err.find(flag + ": "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("allowed: "), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty());
  }
}

TEST(Main, MissingInputExitsThreeNamingTheFile) {
  const auto r = dlc({"run", "-s", "/nonexistent/face.jpg", "-t", "/nonexistent/video.mp4", "-o", "/tmp/out.mp4"});
  EXPECT_EQ(r.exit_code, kExitBadInput);
  EXPECT_NE(r.err.find("source '/nonexistent/face.jpg'"), std::string::npos) << r.err;
}

TEST(Main, RunWithoutPathsIsAUsageError) {
  const auto r = dlc({"run"});
  EXPECT_EQ(r.exit_code, kExitUsage);
  EXPECT_NE(r.err.find("-s/--source"), std::string::npos) << r.err;
}

std::uint64_t meminfo_total_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::uint64_t kb = 0;
  in >> key >> kb;
  return key == "MemTotal:" ? kb * 1024 : 0;
}

TEST(Main, DiagnoseJsonReportsThisMachine) {
  const auto r = dlc({"diagnose", "--json"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["system"]["total_bytes"].get<std::uint64_t>(), meminfo_total_bytes());
  EXPECT_GT(doc["process"]["rss_bytes"].get<std::uint64_t>(), 0u);
  EXPECT_FALSE(doc["frameworks"]["onnxruntime"]["version"].get<std::string>().empty());
  EXPECT_EQ(doc["frameworks"]["onnxruntime"]["provider_status"]["cpu"], "loads");
}

TEST(Main, DiagnoseShowsMemoryInDeepLiveCamFormat) {
  const auto r = dlc({"diagnose"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\[DLC\.MEMORY\] System Memory: \d+\.\dGB/\d+\.\dGB \(\d+\.\d%\))")))
      << r.out;
}

}  // namespace
}  // namespace dlc::app
