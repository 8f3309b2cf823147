#include "face/identity_clusters.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "face/recognizer.hpp"

namespace dlc::face {
namespace {

// A unit vector near `axis` (0..7 of 8 dimensions): noise of this size keeps its cosine with the
// axis above 0.9, and below 0.3 with any other axis.
std::vector<float> near_axis(int axis, std::mt19937& rng, float noise = 0.1f) {
  std::normal_distribution<float> n(0.0f, noise);
  std::vector<float> v(8);
  for (auto& x : v) x = n(rng);
  v[static_cast<std::size_t>(axis)] += 1.0f;
  normalize(v);
  return v;
}

TEST(IdentityClusters, EachPersonOneClusterWhateverTheOrder) {
  std::mt19937 rng(7);
  IdentityClusters clusters(0.5f);
  std::vector<std::size_t> of_person(3, 99);
  for (int i = 0; i < 300; ++i) {
    const int person = (i * 7) % 3;
    const auto joined = clusters.add(near_axis(person, rng));
    ASSERT_TRUE(joined);
    if (of_person[person] == 99) of_person[person] = *joined;
    EXPECT_EQ(*joined, of_person[person]) << "face " << i;
  }
  ASSERT_EQ(clusters.size(), 3u);
  for (int p = 0; p < 3; ++p) {
    EXPECT_EQ(clusters.members(of_person[p]), 100u);
    // The running mean of the noisy members sits on the person's axis.
    EXPECT_GT(clusters.centroid(of_person[p])[static_cast<std::size_t>(p)], 0.98f);
    float length = 0;
    for (const float x : clusters.centroid(of_person[p])) length += x * x;
    EXPECT_NEAR(std::sqrt(length), 1.0f, 1e-5f);
  }
}

TEST(IdentityClusters, ThresholdDecidesAndEmptyIsRefused) {
  IdentityClusters clusters(0.9f);
  EXPECT_FALSE(clusters.add({}));
  std::vector<float> a{1, 0}, b{0.8f, 0.6f};  // cosine 0.8: below 0.9, a new person
  EXPECT_EQ(clusters.add(a), 0u);
  EXPECT_FALSE(clusters.nearest(b));
  EXPECT_EQ(clusters.add(b), 1u);
  EXPECT_EQ(clusters.nearest(a), 0u);
  EXPECT_EQ(clusters.size(), 2u);
}

TEST(IdentityClusters, NearestCentroidWithinTheThreshold) {
  const std::vector<std::vector<float>> centroids{{1, 0}, {}, {0, 1}};
  EXPECT_EQ(nearest_centroid(centroids, {0.6f, 0.8f}, 0.5f), 2u);
  EXPECT_EQ(nearest_centroid(centroids, {0.8f, 0.6f}, 0.5f), 0u);
  EXPECT_FALSE(nearest_centroid(centroids, {0.8f, 0.6f}, 0.9f));
  EXPECT_FALSE(nearest_centroid({}, {1, 0}, -1.0f));
}

}  // namespace
}  // namespace dlc::face
