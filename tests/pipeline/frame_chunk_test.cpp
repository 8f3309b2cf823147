#include "pipeline/frame_chunk.hpp"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "support/paths.hpp"

namespace dlc::pipeline {
namespace {

cv::Mat frame_of(int value) { return cv::Mat(6, 8, CV_8UC3, cv::Scalar(value, value + 1, value + 2)); }

// Frames go to disk and come back bit for bit; a changed frame stays changed; take() removes the
// file; the folder goes with the chunk.
TEST(SpilledChunk, FramesComeBackLosslessAndLeaveNoFiles) {
  const auto dir = test::make_temp_dir();
  const auto folder = dir / "chunk";
  {
    SpilledChunk chunk(folder, {8, 6}, false);
    chunk.reset(64);
    for (int i = 0; i < 3; ++i) chunk.append(frame_of(10 * i));
    EXPECT_EQ(chunk.size(), 3u);
    auto& second = chunk.open(1);
    EXPECT_EQ(cv::norm(second, frame_of(10), cv::NORM_INF), 0);
    second.setTo(cv::Scalar(200, 100, 50));
    chunk.close(1, true);
    EXPECT_EQ(cv::norm(chunk.open(0), frame_of(0), cv::NORM_INF), 0);
    chunk.close(0, false);
    EXPECT_EQ(cv::norm(chunk.take(1), cv::Mat(6, 8, CV_8UC3, cv::Scalar(200, 100, 50)), cv::NORM_INF), 0);
    EXPECT_FALSE(std::filesystem::exists(folder / "00000065.bgr"));
    EXPECT_TRUE(std::filesystem::exists(folder / "00000066.bgr"));
    EXPECT_THROW(chunk.append(cv::Mat(4, 4, CV_8UC3)), std::invalid_argument);
  }
  EXPECT_FALSE(std::filesystem::exists(folder));
  std::filesystem::remove_all(dir);
}

TEST(SpilledChunk, KeptFramesStay) {
  const auto dir = test::make_temp_dir();
  {
    SpilledChunk chunk(dir / "kept", {8, 6}, true);
    chunk.reset(0);
    chunk.append(frame_of(1));
    chunk.take(0);
  }
  EXPECT_TRUE(std::filesystem::exists(dir / "kept" / "00000000.bgr"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dlc::pipeline
