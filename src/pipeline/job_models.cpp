#include "pipeline/job_models.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <system_error>

#include "runtime/model_session.hpp"

namespace dlc::pipeline {
namespace {

constexpr std::uint64_t kFloat = 4;

// I/O sizes from the models' signatures (MODEL-ARCHITECTURES.md; PRODUCT.md §3).
const ModelRole kDetector{"detector", {"det_10g.onnx"}, "face detection",
                          kFloat * (3 * 640 * 640 + 16800 * (1 + 4 + 10))};
const ModelRole kRecognizer{"recognizer", {"w600k_r50.onnx"}, "the source face's embedding",
                            kFloat * (3 * 112 * 112 + 512)};
const ModelRole kSwapper{"swapper", {"inswapper_128.onnx", "inswapper_128_fp16.onnx"}, "face_swapper",
                         kFloat * (2 * 3 * 128 * 128 + 512)};
const ModelRole kGfpgan{"enhancer", {"GFPGANv1.4.onnx", "gfpgan-1024.onnx"}, "face_enhancer",
                        kFloat * (3 * 512 * 512 + 3 * 1024 * 1024)};
const ModelRole kGpen256{"enhancer", {"GPEN-BFR-256.onnx"}, "face_enhancer_gpen256", kFloat * 2 * 3 * 256 * 256};
const ModelRole kGpen512{"enhancer", {"GPEN-BFR-512.onnx"}, "face_enhancer_gpen512", kFloat * 2 * 3 * 512 * 512};

std::string join(const std::vector<std::filesystem::path>& paths) {
  std::string text;
  for (const auto& p : paths) text += (text.empty() ? "" : ", ") + p.string();
  return text;
}

}  // namespace

std::vector<std::filesystem::path> models_search_path(const std::optional<std::string>& models_dir,
                                                      const char* models_dir_env) {
  if (models_dir) return {*models_dir};
  std::vector<std::filesystem::path> path{"models"};
  if (models_dir_env != nullptr && *models_dir_env != '\0') path.emplace_back(models_dir_env);
  return path;
}

std::vector<const ModelRole*> roles_for(const std::vector<std::string>& frame_processors) {
  std::vector<const ModelRole*> roles{&kDetector};
  const auto wants = [&](std::string_view name) {
    return std::ranges::find(frame_processors, name) != frame_processors.end();
  };
  if (wants("face_swapper")) roles.insert(roles.end(), {&kRecognizer, &kSwapper});
  for (const auto& processor : frame_processors) {
    if (processor == "face_enhancer") roles.push_back(&kGfpgan);
    if (processor == "face_enhancer_gpen256") roles.push_back(&kGpen256);
    if (processor == "face_enhancer_gpen512") roles.push_back(&kGpen512);
  }
  return roles;
}

std::vector<JobModel> locate_models(const std::vector<const ModelRole*>& roles,
                                    const std::vector<std::filesystem::path>& search_path) {
  std::vector<JobModel> models;
  for (const auto* role : roles) {
    std::optional<JobModel> found;
    for (const auto& dir : search_path) {
      for (const auto& file : role->files) {
        std::error_code ec;
        const auto candidate = dir / file;
        if (!found && std::filesystem::is_regular_file(candidate, ec)) {
          found = JobModel{role, candidate, std::filesystem::file_size(candidate, ec)};
        }
      }
    }
    if (!found) {
      const auto where = search_path.empty() ? std::filesystem::path(role->files.front())
                                             : search_path.front() / role->files.front();
      throw runtime::ModelError(where, fmt::format("not found (looked in: {}); it is needed for {}: put the file "
                                                   "there or pass --models-dir",
                                                   join(search_path), role->serves));
    }
    models.push_back(*found);
  }
  return models;
}

memory::MemoryPlan plan_job(const std::vector<JobModel>& models, std::uint64_t process_rss_bytes,
                            std::uint64_t frame_bytes, int frames_in_flight) {
  memory::MemoryPlan plan;
  plan.add("dlc process now", process_rss_bytes, "measured RSS");
  std::uint64_t largest_load = 0;
  const JobModel* largest = nullptr;
  for (const auto& model : models) {
    const auto footprint = memory::estimate_model(model.file_bytes, model.role->io_bytes);
    plan.add(fmt::format("{} {}", model.role->role, model.path.filename().string()), footprint.resident_bytes,
             "weights: file size x 1.05, arena: estimate");
    if (footprint.load_extra_bytes >= largest_load) {
      largest_load = footprint.load_extra_bytes;
      largest = &model;
    }
  }
  if (largest != nullptr) {
    plan.add(fmt::format("building the session of {}", largest->path.filename().string()), largest_load,
             "transient: file size x 1.4");
  }
  plan.add(fmt::format("{} frames in flight", frames_in_flight), frame_bytes * static_cast<std::uint64_t>(frames_in_flight),
           "frame size x queue depth");
  return plan;
}

}  // namespace dlc::pipeline
