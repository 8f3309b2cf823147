#include "pipeline/preview_pipe.hpp"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <vector>

namespace dlc::pipeline {
namespace {

TEST(PreviewPipe, HeaderRoundTrips) {
  unsigned char bytes[kPreviewHeaderBytes];
  encode_preview_header({640, 360, 24500, (std::int64_t{1} << 33) + 7}, bytes);
  EXPECT_EQ(bytes[0], 'D');
  EXPECT_EQ(bytes[3], 'F');
  EXPECT_EQ(bytes[4], 640 & 0xff);  // little-endian
  EXPECT_EQ(bytes[5], 640 >> 8);
  const auto header = decode_preview_header(bytes);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->width, 640u);
  EXPECT_EQ(header->height, 360u);
  EXPECT_EQ(header->millifps, 24500u);
  EXPECT_EQ(header->index, (std::int64_t{1} << 33) + 7);
  bytes[0] = 'X';
  EXPECT_FALSE(decode_preview_header(bytes));
}

// A 40x20 frame (left half red, right half green) into an 80x80 pipe: letterboxed, black bars
// above and below, the halves where they were.
TEST(PreviewPipe, WritesAHeaderAndTheLetterboxedFrame) {
  std::array<int, 2> fd{};
  ASSERT_EQ(pipe(fd.data()), 0);
  cv::Mat frame(20, 40, CV_8UC3, cv::Scalar(0, 0, 255));
  frame(cv::Rect(20, 0, 20, 20)).setTo(cv::Scalar(0, 255, 0));
  PreviewPipe out(fd[1], {80, 80});
  ASSERT_TRUE(out.write(frame, 12, 25.0)) << out.problem();
  close(fd[1]);
  std::vector<unsigned char> bytes;
  unsigned char chunk[4096];
  for (ssize_t n; (n = read(fd[0], chunk, sizeof chunk)) > 0;) bytes.insert(bytes.end(), chunk, chunk + n);
  close(fd[0]);
  ASSERT_EQ(bytes.size(), kPreviewHeaderBytes + 80 * 80 * 3);
  const auto header = decode_preview_header(bytes.data());
  ASSERT_TRUE(header);
  EXPECT_EQ(header->width, 80u);
  EXPECT_EQ(header->height, 80u);
  EXPECT_EQ(header->millifps, 25000u);
  EXPECT_EQ(header->index, 12);
  const cv::Mat image(80, 80, CV_8UC3, bytes.data() + kPreviewHeaderBytes);
  EXPECT_EQ(image.at<cv::Vec3b>(5, 40), cv::Vec3b(0, 0, 0));        // the bar above
  EXPECT_EQ(image.at<cv::Vec3b>(40, 10), cv::Vec3b(0, 0, 255));     // red, left
  EXPECT_EQ(image.at<cv::Vec3b>(40, 70), cv::Vec3b(0, 255, 0));     // green, right
  EXPECT_EQ(image.at<cv::Vec3b>(75, 40), cv::Vec3b(0, 0, 0));       // the bar below
}

// A reader that has gone: write() says so (EPIPE), and the process lives on (no SIGPIPE).
TEST(PreviewPipe, AClosedReaderFailsTheWriteWithoutASignal) {
  std::array<int, 2> fd{};
  ASSERT_EQ(pipe(fd.data()), 0);
  close(fd[0]);
  PreviewPipe out(fd[1], {32, 32});
  EXPECT_FALSE(out.write(cv::Mat(32, 32, CV_8UC3, cv::Scalar::all(9)), 0, 0));
  EXPECT_NE(out.problem().find("pipe"), std::string::npos) << out.problem();
  close(fd[1]);
}

}  // namespace
}  // namespace dlc::pipeline
