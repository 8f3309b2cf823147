#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "memory/plan.hpp"

namespace dlc::pipeline {

// A model a job may need, by the file names Deep-Live-Cam and insightface use.
struct ModelRole {
  std::string_view role;                // "detector", "recognizer", "swapper", "enhancer"
  std::vector<std::string_view> files;  // accepted file names, preferred first
  std::string_view serves;              // what needs it, for messages
  std::uint64_t io_bytes;               // one call's input and output tensors (float32)
};

struct JobModel {
  const ModelRole* role = nullptr;
  std::filesystem::path path;
  std::uint64_t file_bytes = 0;
};

// --models-dir alone when given; otherwise ./models, then $DLC_MODELS_DIR (PRODUCT.md §2).
std::vector<std::filesystem::path> models_search_path(const std::optional<std::string>& models_dir,
                                                      const char* models_dir_env);

// The ONNX models a job runs, in pipeline order, for its frame processors.
std::vector<const ModelRole*> roles_for(const std::vector<std::string>& frame_processors);

// Finds each role's file in the search path; throws runtime::ModelError naming the file, where
// it was looked for and what needs it, for the first one that is missing.
std::vector<JobModel> locate_models(const std::vector<const ModelRole*>& roles,
                                    const std::vector<std::filesystem::path>& search_path);

// The job's planned peak: what the process holds now (measured), each model's resident size,
// the largest transient while a session is built, and the frames in flight.
memory::MemoryPlan plan_job(const std::vector<JobModel>& models, std::uint64_t process_rss_bytes,
                            std::uint64_t frame_bytes, int frames_in_flight);

}  // namespace dlc::pipeline
