#include "face/selection.hpp"

#include <gtest/gtest.h>

namespace dlc::face {
namespace {

Face face(float x, float size, float score, std::vector<float> embedding = {}) {
  Face f;
  f.box = cv::Rect2f(x, 0, size, size);
  f.score = score;
  f.embedding = std::move(embedding);
  return f;
}

TEST(Selection, LeftmostLargestBest) {
  const std::vector<Face> faces{face(300, 50, 0.7f), face(100, 20, 0.6f), face(500, 90, 0.9f), face(200, 30, 0.95f)};
  EXPECT_EQ(select_face(faces, Selector::kLeftmost), 1u);
  EXPECT_EQ(select_face(faces, Selector::kLargest), 2u);
  EXPECT_EQ(select_face(faces, Selector::kBest), 3u);
  EXPECT_FALSE(select_face({}, Selector::kLeftmost));
  EXPECT_FALSE(select_face(faces, Selector::kReference));  // needs an embedding: nearest_face
}

TEST(Selection, ParseNames) {
  EXPECT_EQ(parse_selector("leftmost"), Selector::kLeftmost);
  EXPECT_EQ(parse_selector("largest"), Selector::kLargest);
  EXPECT_EQ(parse_selector("best"), Selector::kBest);
  EXPECT_EQ(parse_selector("reference"), Selector::kReference);
  EXPECT_FALSE(parse_selector("random"));
}

TEST(Selection, NearestEmbedding) {
  const std::vector<Face> faces{face(0, 10, 1, {1, 0}), face(0, 10, 1, {0.6f, 0.8f}), face(0, 10, 1)};
  EXPECT_EQ(nearest_face(faces, {0, 1}), 1u);
  EXPECT_EQ(nearest_face(faces, {1, 0}), 0u);
  EXPECT_FALSE(nearest_face(faces, {0, 1}, 0.9f));  // none is that close
  EXPECT_FALSE(nearest_face({face(0, 10, 1)}, {0, 1}));
}

}  // namespace
}  // namespace dlc::face
