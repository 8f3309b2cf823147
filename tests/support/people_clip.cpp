#include "support/people_clip.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>

#include "support/paths.hpp"

namespace dlc::test {
namespace {

cv::Mat photo_at_height(const char* name, int height) {
  const auto image = cv::imread(source_tree_file(name).string(), cv::IMREAD_COLOR);
  if (image.empty()) return image;
  cv::Mat scaled;
  // The width rounded to even, as ffmpeg's scale=-2:H makes it (the README's example clip).
  const int width = (image.cols * height / image.rows + 1) / 2 * 2;
  cv::resize(image, scaled, {width, height}, 0, 0, cv::INTER_AREA);
  return scaled;
}

std::vector<cv::Mat> people_photos() {
  auto a = photo_at_height(".cache/media/grace_hopper.jpg", 360);
  // The astronaut's face is small in her photo: at 640 px high, her head fills a 360 px square.
  auto b = photo_at_height(".cache/media/astronaut.png", 640);
  if (a.empty() || b.empty()) return {};
  // Skin is red over green over blue: to the fixture recognizer the two photos are one person
  // (cosine 0.9). The astronaut is tinted green, the third person blue: one channel up, the
  // others down (BGR), as ffmpeg's lutrgb does in the README's example.
  cv::Mat green = b(cv::Rect(110, 0, 360, 360)).clone();
  green.forEach<cv::Vec3b>([](cv::Vec3b& p, const int*) {
    p = {static_cast<uchar>(p[0] / 5), static_cast<uchar>(std::min(255, p[1] + 60)), static_cast<uchar>(p[2] * 3 / 10)};
  });
  cv::Mat blue;
  cv::flip(a, blue, 1);
  blue.forEach<cv::Vec3b>([](cv::Vec3b& p, const int*) {
    p = {static_cast<uchar>(std::min(255, p[0] + 60)), static_cast<uchar>(p[1] * 3 / 10), static_cast<uchar>(p[2] / 5)};
  });
  return {a, green, blue};
}

}  // namespace

cv::Mat three_people() {
  const auto photos = people_photos();
  if (photos.empty()) return {};
  cv::Mat all;
  cv::hconcat(photos, all);
  return all;
}

std::vector<std::filesystem::path> write_people(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> paths;
  const char* names[] = {"a.png", "b.png", "c.png"};
  const auto photos = people_photos();
  for (std::size_t i = 0; i < photos.size(); ++i) {
    paths.push_back(dir / names[i]);
    cv::imwrite(paths.back().string(), photos[i]);
  }
  return paths;
}

cv::Mat three_people_frame(const cv::Mat& people, int index) {
  const cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, 2.0 * index, 0, 1, 0);
  cv::Mat frame;
  cv::warpAffine(people, frame, shift, people.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  return frame;
}

cv::Rect person_region(int person) {
  // 308 + 360 + 308 columns; each person's face and what the paste-back touches lie inside.
  static const cv::Rect regions[] = {{0, 0, 308, 360}, {308, 0, 360, 360}, {668, 0, 308, 360}};
  return regions[person];
}

}  // namespace dlc::test
