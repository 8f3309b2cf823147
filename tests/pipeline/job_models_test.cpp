#include "pipeline/job_models.hpp"

#include <gtest/gtest.h>

#include "runtime/model_session.hpp"
#include "support/paths.hpp"

namespace dlc::pipeline {
namespace {

std::vector<std::string> role_names(const std::vector<const ModelRole*>& roles) {
  std::vector<std::string> names;
  for (const auto* r : roles) names.emplace_back(r->role);
  return names;
}

TEST(JobModels, RolesFollowTheFrameProcessors) {
  EXPECT_EQ(role_names(roles_for({"face_swapper"})), (std::vector<std::string>{"detector", "recognizer", "swapper"}));
  EXPECT_EQ(role_names(roles_for({"face_swapper", "face_enhancer"})),
            (std::vector<std::string>{"detector", "recognizer", "swapper", "enhancer"}));
  EXPECT_EQ(role_names(roles_for({"face_enhancer_gpen512"})), (std::vector<std::string>{"detector", "enhancer"}));
}

TEST(JobModels, SearchPathIsTheFlagOrModelsThenEnvironment) {
  EXPECT_EQ(models_search_path(std::string("/m"), "/env"), (std::vector<std::filesystem::path>{"/m"}));
  EXPECT_EQ(models_search_path(std::nullopt, "/env"), (std::vector<std::filesystem::path>{"models", "/env"}));
  EXPECT_EQ(models_search_path(std::nullopt, nullptr), (std::vector<std::filesystem::path>{"models"}));
  EXPECT_EQ(models_search_path(std::nullopt, ""), (std::vector<std::filesystem::path>{"models"}));
}

TEST(JobModels, LocatesFilesWithTheirSizes) {
  const auto dir = test::fixture_model("");
  const auto models = locate_models(roles_for({"face_swapper", "face_enhancer"}), {"/nonexistent", dir});
  ASSERT_EQ(models.size(), 4u);
  EXPECT_EQ(models[2].path, dir / "inswapper_128.onnx");
  EXPECT_EQ(models[2].file_bytes, std::filesystem::file_size(dir / "inswapper_128.onnx"));
  EXPECT_EQ(models[3].path.filename(), "GFPGANv1.4.onnx");
}

TEST(JobModels, MissingModelNamesFileFolderAndPurpose) {
  try {
    locate_models(roles_for({"face_swapper"}), {"/nonexistent-models"});
    FAIL() << "no error";
  } catch (const runtime::ModelError& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find("/nonexistent-models/det_10g.onnx: not found (looked in: /nonexistent-models)"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("face detection"), std::string::npos) << text;
  }
}

TEST(JobModels, PlanCountsProcessModelsLoadAndFrames) {
  const auto dir = test::fixture_model("");
  const auto models = locate_models(roles_for({"face_swapper"}), {dir});
  const auto plan = plan_job(models, 100 << 20, 1000, 4);
  // process, three models, the largest session build, frames in flight
  ASSERT_EQ(plan.items().size(), 6u);
  EXPECT_EQ(plan.items().front().bytes, 100u << 20);
  EXPECT_EQ(plan.items().back().bytes, 4000u);
  EXPECT_NE(plan.items()[4].what.find("inswapper_128.onnx"), std::string::npos);  // the largest file
  std::uint64_t sum = 0;
  for (const auto& item : plan.items()) sum += item.bytes;
  EXPECT_EQ(plan.peak_bytes(), sum);
}

}  // namespace
}  // namespace dlc::pipeline
