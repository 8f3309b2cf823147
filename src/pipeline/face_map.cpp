#include "pipeline/face_map.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

#include "face/recognizer.hpp"

#include "face/selection.hpp"
#include "pipeline/image_job.hpp"
#include "pipeline/processor_chain.hpp"

namespace dlc::pipeline {

std::vector<FaceMapping> read_face_map(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw InputError(fmt::format("map-faces file '{}' cannot be opened", file.string()));
  const auto fail = [&](const std::string& problem) {
    return InputError(fmt::format("map-faces file '{}': {}", file.string(), problem));
  };
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw fail(fmt::format("not JSON ({})", e.what()));
  }
  if (!doc.is_object() || !doc.contains("mappings") || !doc["mappings"].is_array() || doc["mappings"].empty()) {
    throw fail("expected {\"mappings\": [{\"source\": ..., \"target_face\": N or \"reference\": ...}, ...]}");
  }
  const auto base = file.parent_path();
  std::vector<FaceMapping> mappings;
  for (std::size_t i = 0; i < doc["mappings"].size(); ++i) {
    const auto& m = doc["mappings"][i];
    if (!m.is_object() || !m.contains("source") || !m["source"].is_string()) {
      throw fail(fmt::format("mapping {} has no \"source\" path", i));
    }
    FaceMapping mapping;
    const auto source = m["source"].get<std::string>();
    if (source.empty()) continue;
    mapping.source = base / source;
    if (m.contains("target_face")) {
      if (!m["target_face"].is_number_unsigned()) throw fail(fmt::format("mapping {}: \"target_face\" must be 0, 1, ...", i));
      mapping.target_face = m["target_face"].get<std::size_t>();
    }
    if (m.contains("reference")) {
      if (!m["reference"].is_string()) throw fail(fmt::format("mapping {}: \"reference\" must be a path", i));
      mapping.reference = base / m["reference"].get<std::string>();
    }
    if (m.contains("centroid")) {
      const auto& c = m["centroid"];
      if (!c.is_array() || c.empty() || !std::ranges::all_of(c, [](const auto& x) { return x.is_number(); })) {
        throw fail(fmt::format("mapping {}: \"centroid\" must be a list of numbers", i));
      }
      mapping.centroid = c.get<std::vector<float>>();
      face::normalize(*mapping.centroid);
    }
    if (m.contains("person") && m["person"].is_number_integer()) mapping.person = m["person"].get<int>();
    const int ways = int{mapping.target_face.has_value()} + int{mapping.reference.has_value()} +
                     int{mapping.centroid.has_value()};
    if (ways != 1) {
      throw fail(fmt::format("mapping {} needs exactly one of \"target_face\", \"reference\" and \"centroid\"", i));
    }
    mappings.push_back(std::move(mapping));
  }
  if (mappings.empty()) throw fail("no mapping has a source (fill in \"source\" for each person to swap)");
  return mappings;
}

std::filesystem::path first_mapped_source(const std::filesystem::path& file) { return read_face_map(file).front().source; }

std::vector<float> photo_embedding(const std::filesystem::path& photo, const char* role, FaceAnalyser& analyser) {
  const auto image = read_image(photo, role);
  auto faces = analyser.detect(image);
  const auto largest = face::select_face(faces, face::Selector::kLargest);
  if (!largest) throw InputError(fmt::format("no face found in the {} '{}'", role, photo.string()));
  analyser.embed(image, faces[*largest]);
  return faces[*largest].embedding;
}

std::optional<std::vector<float>> mapping_identity(const FaceMapping& mapping, FaceAnalyser& analyser) {
  if (mapping.centroid) return mapping.centroid;
  if (mapping.reference) return photo_embedding(*mapping.reference, "reference image", analyser);
  return std::nullopt;
}

}  // namespace dlc::pipeline
