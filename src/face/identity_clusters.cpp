#include "face/identity_clusters.hpp"

#include <cmath>

#include "face/recognizer.hpp"

namespace dlc::face {

std::optional<std::size_t> nearest_centroid(const std::vector<std::vector<float>>& centroids,
                                            const std::vector<float>& embedding, float min_similarity) {
  std::optional<std::size_t> best;
  float best_similarity = min_similarity;
  for (std::size_t i = 0; i < centroids.size(); ++i) {
    if (centroids[i].empty() || centroids[i].size() != embedding.size()) continue;
    const float s = similarity(centroids[i], embedding);
    if (s >= best_similarity && (!best || s > best_similarity)) {
      best = i;
      best_similarity = s;
    }
  }
  return best;
}

std::optional<std::size_t> IdentityClusters::nearest(const std::vector<float>& embedding) const {
  return nearest_centroid(centroids_, embedding, min_similarity_);
}

std::optional<std::size_t> IdentityClusters::add(const std::vector<float>& embedding) {
  if (embedding.empty()) return std::nullopt;
  auto joined = nearest(embedding);
  if (!joined) {
    sums_.emplace_back(embedding.size(), 0.0);
    centroids_.emplace_back();
    members_.push_back(0);
    joined = centroids_.size() - 1;
  }
  auto& sum = sums_[*joined];
  for (std::size_t k = 0; k < embedding.size(); ++k) sum[k] += embedding[k];
  ++members_[*joined];
  centroids_[*joined].assign(sum.begin(), sum.end());
  normalize(centroids_[*joined]);
  return joined;
}

}  // namespace dlc::face
