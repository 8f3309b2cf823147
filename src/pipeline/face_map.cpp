#include "pipeline/face_map.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>

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
    mapping.source = base / m["source"].get<std::string>();
    if (m.contains("target_face")) {
      if (!m["target_face"].is_number_unsigned()) throw fail(fmt::format("mapping {}: \"target_face\" must be 0, 1, ...", i));
      mapping.target_face = m["target_face"].get<std::size_t>();
    }
    if (m.contains("reference")) {
      if (!m["reference"].is_string()) throw fail(fmt::format("mapping {}: \"reference\" must be a path", i));
      mapping.reference = base / m["reference"].get<std::string>();
    }
    if (mapping.target_face.has_value() == mapping.reference.has_value()) {
      throw fail(fmt::format("mapping {} needs exactly one of \"target_face\" and \"reference\"", i));
    }
    mappings.push_back(std::move(mapping));
  }
  return mappings;
}

}  // namespace dlc::pipeline
