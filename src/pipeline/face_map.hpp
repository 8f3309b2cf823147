#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "pipeline/face_analyser.hpp"

namespace dlc::pipeline {

// One line of a --map-faces file: which source face goes onto which target face, chosen by its
// position (0 = the leftmost face of the target, images only), by the face nearest to a reference
// photo, or by the face nearest to a person's centroid (`dlc faces scan` writes them).
struct FaceMapping {
  std::filesystem::path source;
  std::optional<std::size_t> target_face;
  std::optional<std::filesystem::path> reference;
  std::optional<std::vector<float>> centroid;  // unit length
  std::optional<int> person;                   // `dlc faces scan`'s id, for messages
};

// Reads a mapping file:
//   {"mappings": [{"source": "alice.jpg", "target_face": 0},
//                 {"source": "bob.jpg", "reference": "bob-in-the-target.jpg"},
//                 {"person": 3, "source": "carol.jpg", "centroid": [0.01, ...]}]}
// Relative paths are relative to the file's folder. A mapping whose "source" is "" (a scan's
// template not filled in for that person) is left out: that person is not swapped. Throws
// InputError naming the file and the problem, also when no mapping has a source.
std::vector<FaceMapping> read_face_map(const std::filesystem::path& file);

// The first mapped source of a file (what names an output folder's file and begins the chain).
std::filesystem::path first_mapped_source(const std::filesystem::path& file);

// The embedding of a photo's largest face (a reference photo). InputError naming the photo (its
// role in the message) when it cannot be read or holds no face; ModelError without the recognizer.
std::vector<float> photo_embedding(const std::filesystem::path& photo, const char* role, FaceAnalyser& analyser);

// Who a mapping looks for: its centroid, or its reference photo's face; nullopt for a position
// (target_face).
std::optional<std::vector<float>> mapping_identity(const FaceMapping& mapping, FaceAnalyser& analyser);

}  // namespace dlc::pipeline
