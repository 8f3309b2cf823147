#pragma once

#include <opencv2/core/mat.hpp>

#include <filesystem>
#include <vector>

namespace dlc::test {

// Three people side by side for the identity tests, each in a third of a 976×360 frame (308,
// 360, 308 columns): Grace Hopper, the astronaut tinted green, and Grace Hopper mirrored and
// tinted blue. The fixture recognizer embeds a face's mean colour per channel, so the three are
// three people to it. Empty when the Debian
// photos are missing.
cv::Mat three_people();
// The three people's own photos (A: Grace Hopper, B: the green astronaut, C: the blue Grace), written
// into dir as a.png, b.png, c.png; returns their paths.
std::vector<std::filesystem::path> write_people(const std::filesystem::path& dir);
// Frame `index` of a clip of the three, panned `index` × 2 px to the right (the edge repeated).
cv::Mat three_people_frame(const cv::Mat& people, int index);
// The third of the frame each person is in (0, 1, 2), a margin left out at the sides.
cv::Rect person_region(int person);

}  // namespace dlc::test
