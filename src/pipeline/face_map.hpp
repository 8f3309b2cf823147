#pragma once

#include <filesystem>
#include <optional>
#include <vector>

namespace dlc::pipeline {

// One line of a --map-faces file: which source face goes onto which target face, chosen by its
// position (0 = the leftmost face of the target) or by the face nearest to a reference photo.
struct FaceMapping {
  std::filesystem::path source;
  std::optional<std::size_t> target_face;
  std::optional<std::filesystem::path> reference;
};

// Reads a mapping file:
//   {"mappings": [{"source": "alice.jpg", "target_face": 0},
//                 {"source": "bob.jpg", "reference": "bob-in-the-target.jpg"}]}
// Relative paths are relative to the file's folder. Throws InputError naming the file and the
// problem.
std::vector<FaceMapping> read_face_map(const std::filesystem::path& file);

}  // namespace dlc::pipeline
