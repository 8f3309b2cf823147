#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "face/face.hpp"

namespace dlc::face {

// --face-selector: which one face a single-face swap takes.
enum class Selector {
  kLeftmost,  // Deep-Live-Cam's rule: the smallest box x
  kLargest,   // the largest box area
  kBest,      // the highest detector score
  kReference, // the face nearest to a reference photo's (--reference-face), within a distance
};

std::optional<Selector> parse_selector(std::string_view name);

// The index of the selected face, or nullopt when there is none (always for kReference, which
// needs the reference's embedding: nearest_face).
std::optional<std::size_t> select_face(const std::vector<Face>& faces, Selector selector);

// Map faces: the index of the face whose embedding is nearest (highest cosine similarity) to
// the reference, or nullopt when no face has an embedding or none reaches min_similarity.
std::optional<std::size_t> nearest_face(const std::vector<Face>& faces, const std::vector<float>& reference,
                                        float min_similarity = -1.0f);

}  // namespace dlc::face
