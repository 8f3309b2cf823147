// `dlc bench` on the pipeline, `dlc run` with a memory strategy, and `dlc live` from a file camera,
// end to end through the binary.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <regex>

#include "app/exit_codes.hpp"
#include "media/subprocess.hpp"
#include "media/video_probe.hpp"
#include "support/paths.hpp"

namespace dlc::app {
namespace {

class EndToEnd : public testing::Test {
 protected:
  void SetUp() override {
    grace_ = test::source_tree_file(".cache/media/grace_hopper.jpg");
    astronaut_ = test::source_tree_file(".cache/media/astronaut.png");
    if (!std::filesystem::exists(grace_)) GTEST_SKIP() << "the Debian photos are missing: run scripts/setup.sh";
    dir_ = test::make_temp_dir();
    // The swapper's path with fixture models; BlazeFace finds the faces.
    models_ = dir_ / "models";
    std::filesystem::create_directory(models_);
    for (const char* name : {"w600k_r50.onnx", "inswapper_128.onnx"}) {
      std::filesystem::copy_file(test::fixture_model(name), models_ / name);
    }
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  media::ProcessResult dlc(std::vector<std::string> args) {
    args.insert(args.begin(), test::dlc_binary().string());
    args.insert(args.end(), {"--models-dir", models_.string(), "--memory-monitor-interval", "0"});
    return media::run_process(args);
  }

  // Grace Hopper's photo as a 25 fps clip.
  std::filesystem::path grace_clip(int frames) {
    const auto path = dir_ / "grace.mp4";
    const auto r = media::run_process({"ffmpeg", "-v", "error", "-loop", "1", "-i", grace_.string(), "-frames:v",
                                       std::to_string(frames), "-r", "25", "-c:v", "libx264", "-preset", "ultrafast",
                                       "-pix_fmt", "yuv420p", path.string()});
    if (r.exit_code != 0) throw std::runtime_error("ffmpeg: " + r.err);
    return path;
  }

  std::filesystem::path grace_;
  std::filesystem::path astronaut_;
  std::filesystem::path dir_;
  std::filesystem::path models_;
};

TEST_F(EndToEnd, BenchTimesEachStageOfThePipeline) {
  const auto r = dlc({"bench", "-s", astronaut_.string(), "-t", grace_clip(8).string(), "--frames", "6", "--json"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["frames"].get<int>(), 6);
  EXPECT_GT(doc["fps"].get<double>(), 0);
  EXPECT_EQ(doc["strategy"].get<std::string>(), "resident");
  std::vector<std::string> stages;
  for (const auto& s : doc["stages"]) {
    stages.push_back(s["stage"].get<std::string>());
    EXPECT_LE(s["p50_ms"].get<double>(), s["p95_ms"].get<double>()) << stages.back();
  }
  for (const char* expected : {"decode", "detect", "align", "swap inference", "paste-back", "encode"}) {
    EXPECT_NE(std::ranges::find(stages, expected), stages.end()) << expected;
  }
  const auto& memory = doc["memory"];
  EXPECT_LE(memory["base_rss_bytes"].get<std::uint64_t>(), memory["rss_after_load_bytes"].get<std::uint64_t>());
  EXPECT_LE(memory["rss_after_load_bytes"].get<std::uint64_t>(), memory["peak_rss_bytes"].get<std::uint64_t>());
}

TEST_F(EndToEnd, BenchComparesMemoryOptimizationInTwoProcesses) {
  const auto r = dlc({"bench", "-s", astronaut_.string(), "-t", grace_clip(5).string(), "--frames", "3", "--json",
                      "--compare-memory-optimization"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_TRUE(doc["on"]["memory_optimization"].get<bool>());
  EXPECT_FALSE(doc["off"]["memory_optimization"].get<bool>());
  EXPECT_EQ(doc["on"]["frames"].get<int>(), 3);
  EXPECT_EQ(doc["off"]["frames"].get<int>(), 3);
}

TEST_F(EndToEnd, RunSaysWhichMemoryStrategyItTook) {
  const auto r = dlc({"run", "-s", astronaut_.string(), "-t", grace_clip(6).string(), "-o",
                      (dir_ / "staged.mp4").string(), "--memory-strategy", "stage"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("memory strategy stage"), std::string::npos) << r.out;
  EXPECT_EQ(media::probe_video(dir_ / "staged.mp4").frame_count, 6);
}

// A file played as a camera, headless, recorded: the figures are printed and the recording has
// every processed frame.
TEST_F(EndToEnd, LiveFromAFileCameraRecordsWhatItProcessed) {
  const auto record = dir_ / "live.mp4";
  const auto r = dlc({"live", "-s", astronaut_.string(), "--camera", grace_clip(40).string(), "--headless", "--record",
                      record.string()});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"((\d+) frames captured at [\d.]+ fps, (\d+) processed)")))
      << r.out;
  EXPECT_EQ(std::stoi(m[1]), 40) << "a file camera gives every frame, at its pace";
  const auto processed = std::stoi(m[2]);
  EXPECT_GT(processed, 0);
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(latency capture->display p50 \d+ ms, p95 \d+ ms)"))) << r.out;
  EXPECT_EQ(media::probe_video(record).frame_count, processed);
}

TEST_F(EndToEnd, LiveChecksTheSourceFaceBeforeTheCamera) {
  const auto blank = dir_ / "blank.png";
  cv::imwrite(blank.string(), cv::Mat(240, 320, CV_8UC3, cv::Scalar(40, 80, 120)));
  const auto r = dlc({"live", "-s", blank.string(), "--camera", "/dev/video99", "--headless"});
  EXPECT_EQ(r.exit_code, kExitBadInput);
  EXPECT_NE(r.err.find("no face found in the source image"), std::string::npos) << r.err;
}

TEST_F(EndToEnd, LiveWithoutTheCameraExitsThreeNamingIt) {
  const auto r = dlc({"live", "-s", astronaut_.string(), "--camera", "/dev/video99", "--headless"});
  EXPECT_EQ(r.exit_code, kExitBadInput);
  EXPECT_NE(r.err.find("/dev/video99"), std::string::npos) << r.err;
}

TEST_F(EndToEnd, LiveNamesTheSmallestBudgetThatWorks) {
  const auto r = dlc({"live", "-s", astronaut_.string(), "--camera", grace_clip(5).string(), "--headless",
                      "--max-memory", "0.1"});
  EXPECT_EQ(r.exit_code, kExitMemoryBudget);
  EXPECT_NE(r.err.find("the smallest budget that works is"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace dlc::app
