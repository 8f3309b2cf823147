#include "face/nms.hpp"

#include <gtest/gtest.h>

namespace dlc::face {
namespace {

Face face(float x, float y, float size, float score) {
  Face f;
  f.box = cv::Rect2f(x, y, size, size);
  f.score = score;
  return f;
}

TEST(Nms, Iou) {
  EXPECT_FLOAT_EQ(iou({0, 0, 10, 10}, {0, 0, 10, 10}), 1.0f);
  EXPECT_FLOAT_EQ(iou({0, 0, 10, 10}, {5, 0, 10, 10}), 50.0f / 150.0f);
  EXPECT_FLOAT_EQ(iou({0, 0, 10, 10}, {20, 20, 5, 5}), 0.0f);
}

// insightface's +1: two 10 px boxes 6 px apart overlap 40 of 160 without it (0.25) and 5·11 of
// 2·121 − 55 = 187 with it (0.294).
TEST(Nms, InclusiveIouAddsOneToEverySide) {
  EXPECT_FLOAT_EQ(iou_inclusive({0, 0, 10, 10}, {6, 0, 10, 10}), 55.0f / 187.0f);
  EXPECT_FLOAT_EQ(iou_inclusive({0, 0, 10, 10}, {0, 0, 10, 10}), 1.0f);
  EXPECT_FLOAT_EQ(iou_inclusive({0, 0, 10, 10}, {11, 0, 10, 10}), 0.0f);
  // Boxes 10.5 apart do not touch, yet share half a pixel column by insightface's count.
  EXPECT_GT(iou_inclusive({0, 0, 10, 10}, {10.5f, 0, 10, 10}), 0.0f);
}

TEST(Nms, HardUsesTheInclusiveOverlap) {
  // iou 40/160 = 0.25 drops nothing at 0.26; the inclusive 55/187 = 0.294 drops the second.
  const auto kept = hard_nms({face(0, 0, 10, 0.9f), face(6, 0, 10, 0.8f)}, 0.26f);
  EXPECT_EQ(kept.size(), 1u);
}

TEST(Nms, HardKeepsTheBestOfEachCluster) {
  const auto kept = hard_nms({face(0, 0, 10, 0.6f), face(1, 0, 10, 0.9f), face(50, 50, 10, 0.7f)}, 0.4f);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_FLOAT_EQ(kept[0].score, 0.9f);
  EXPECT_FLOAT_EQ(kept[0].box.x, 1.0f);
  EXPECT_FLOAT_EQ(kept[1].score, 0.7f);
}

TEST(Nms, WeightedAveragesTheCluster) {
  auto a = face(0, 0, 10, 0.75f);
  auto b = face(2, 0, 10, 0.25f);
  a.has_kps = b.has_kps = true;
  a.kps[kNose] = {4, 4};
  b.kps[kNose] = {8, 4};
  const auto kept = weighted_nms({b, a, face(100, 100, 10, 0.5f)}, 0.3f);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_FLOAT_EQ(kept[0].score, 0.75f);
  EXPECT_FLOAT_EQ(kept[0].box.x, 0.5f);  // 0.75 * 0 + 0.25 * 2
  EXPECT_FLOAT_EQ(kept[0].box.width, 10.0f);
  EXPECT_FLOAT_EQ(kept[0].kps[kNose].x, 5.0f);
}

// Only the top_k best candidates take part: a better face among them suppresses its neighbours,
// a face below the cut is not kept even where nothing overlaps it; ties keep their given order.
TEST(Nms, HardLooksAtTheTopKCandidatesOnly) {
  std::vector<Face> faces;
  for (int i = 0; i < 50; ++i) faces.push_back(face(static_cast<float>(100 * i), 0, 10, 0.1f + 0.01f * static_cast<float>(i)));
  const auto all = hard_nms(faces, 0.4f, 1000);
  EXPECT_EQ(all.size(), 50u);
  const auto top = hard_nms(faces, 0.4f, 5);
  ASSERT_EQ(top.size(), 5u);
  for (std::size_t i = 0; i < top.size(); ++i) EXPECT_FLOAT_EQ(top[i].box.x, static_cast<float>(100 * (49 - i)));
  // The same faces as the first 5 of a full run: pre-selection does not change what wins.
  for (std::size_t i = 0; i < top.size(); ++i) EXPECT_EQ(top[i].box, all[i].box);
  const auto ties = hard_nms({face(0, 0, 10, 0.5f), face(100, 0, 10, 0.5f), face(200, 0, 10, 0.5f)}, 0.4f, 2);
  ASSERT_EQ(ties.size(), 2u);
  EXPECT_FLOAT_EQ(ties[0].box.x, 0.0f);
  EXPECT_FLOAT_EQ(ties[1].box.x, 100.0f);
}

TEST(Nms, HardPreSelectsAThousandByDefault) {
  std::vector<Face> faces;
  for (int i = 0; i < 4000; ++i) {
    faces.push_back(face(static_cast<float>(20 * (i % 200)), static_cast<float>(20 * (i / 200)), 10,
                         static_cast<float>(i) / 4000.0f));
  }
  const auto kept = hard_nms(std::move(faces), 0.4f);
  ASSERT_EQ(kept.size(), kNmsTopK);  // none overlaps another: every candidate looked at is kept
  EXPECT_FLOAT_EQ(kept.front().score, 3999.0f / 4000.0f);
  EXPECT_FLOAT_EQ(kept.back().score, 3000.0f / 4000.0f);
}

}  // namespace
}  // namespace dlc::face
