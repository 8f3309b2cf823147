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

}  // namespace
}  // namespace dlc::face
