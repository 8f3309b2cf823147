#pragma once

#include <cstddef>
#include <optional>
#include <vector>

namespace dlc::face {

// People found by online clustering of unit embeddings (one pass, no second look at a face): an
// embedding joins the cluster whose centroid is the most similar, when that similarity reaches
// min_similarity, else it begins a new cluster. A centroid is the normalised running mean of its
// members (their sum kept, so the order they came in does not bias it). Memory: one sum and one
// centroid per cluster, whatever the number of faces added.
class IdentityClusters {
 public:
  explicit IdentityClusters(float min_similarity) : min_similarity_(min_similarity) {}

  // The cluster the embedding joined (or began). An empty embedding is refused (nullopt).
  std::optional<std::size_t> add(const std::vector<float>& embedding);
  // The cluster the embedding would join, without adding it; nullopt when it would begin one.
  std::optional<std::size_t> nearest(const std::vector<float>& embedding) const;

  std::size_t size() const { return centroids_.size(); }
  const std::vector<float>& centroid(std::size_t cluster) const { return centroids_[cluster]; }
  std::size_t members(std::size_t cluster) const { return members_[cluster]; }

 private:
  float min_similarity_;
  std::vector<std::vector<double>> sums_;
  std::vector<std::vector<float>> centroids_;
  std::vector<std::size_t> members_;
};

// The index of the centroid nearest (highest cosine similarity) to a unit embedding, when it
// reaches min_similarity; nullopt otherwise or when there is none. Centroids may be empty (skipped).
std::optional<std::size_t> nearest_centroid(const std::vector<std::vector<float>>& centroids,
                                            const std::vector<float>& embedding, float min_similarity);

}  // namespace dlc::face
