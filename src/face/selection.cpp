#include "face/selection.hpp"

#include "face/recognizer.hpp"

namespace dlc::face {

std::optional<Selector> parse_selector(std::string_view name) {
  if (name == "leftmost") return Selector::kLeftmost;
  if (name == "largest") return Selector::kLargest;
  if (name == "best") return Selector::kBest;
  if (name == "reference") return Selector::kReference;
  return std::nullopt;
}

std::optional<std::size_t> select_face(const std::vector<Face>& faces, Selector selector) {
  if (faces.empty() || selector == Selector::kReference) return std::nullopt;
  const auto better = [selector](const Face& a, const Face& b) {
    switch (selector) {
      case Selector::kLeftmost: return a.box.x < b.box.x;
      case Selector::kLargest: return a.box.area() > b.box.area();
      case Selector::kBest: return a.score > b.score;
      case Selector::kReference: return false;  // by embedding: nearest_face
    }
    return false;
  };
  std::size_t chosen = 0;
  for (std::size_t i = 1; i < faces.size(); ++i) {
    if (better(faces[i], faces[chosen])) chosen = i;
  }
  return chosen;
}

std::optional<std::size_t> nearest_face(const std::vector<Face>& faces, const std::vector<float>& reference,
                                        float min_similarity) {
  std::optional<std::size_t> nearest;
  float best = min_similarity;
  for (std::size_t i = 0; i < faces.size(); ++i) {
    if (faces[i].embedding.size() != reference.size() || reference.empty()) continue;
    const float s = similarity(faces[i].embedding, reference);
    if (!nearest || s > best) {
      if (s < min_similarity) continue;
      best = s;
      nearest = i;
    }
  }
  return nearest;
}

}  // namespace dlc::face
