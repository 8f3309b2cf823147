#include "pipeline/job_models.hpp"

#include <gtest/gtest.h>

#include <fstream>

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

std::string model_error(const ModelRole& role, const std::vector<std::filesystem::path>& search_path) {
  try {
    find_role_file(role, search_path);
  } catch (const runtime::ModelError& e) {
    return e.what();
  }
  return "no error";
}

// A file present with a model's name is the user's (usually a broken download): it is an error,
// never silently replaced by the fallback, which stands in only for an absent file.
TEST(JobModels, AnInvalidFileIsAnErrorNotAFallback) {
  const auto dir = test::make_temp_dir();
  EXPECT_FALSE(find_role_file(role_named("swapper"), {dir}));  // absent: the fallback's turn
  std::ofstream(dir / "inswapper_128.onnx") << "garbage\n";
  EXPECT_EQ(model_error(role_named("swapper"), {dir}),
            (dir / "inswapper_128.onnx").string() +
                ": not a valid ONNX model (unsupported wire type 7 at byte 1); it cannot serve as the swapper: "
                "delete it or download it again (the fallback is only for a file that is absent)");
  // Every role, those without a fallback too.
  for (const auto* role : all_roles()) {
    const auto file = dir / role->files.front();
    std::ofstream(file) << "garbage\n";
    EXPECT_NE(model_error(*role, {dir}).find(file.string() + ": not a valid ONNX model"), std::string::npos)
        << role->files.front();
  }
  std::filesystem::remove_all(dir);
}

TEST(JobModels, AWrongSignatureIsAnErrorNamingWhatIsWrong) {
  const auto broken = test::fixture_model("broken");
  const auto text = model_error(role_named("detector"), {broken});
  EXPECT_EQ(text.rfind((broken / "det_10g.onnx").string() + ": wrong signature for the detector (output ", 0), 0u) << text;
  EXPECT_NE(text.find("delete it or download it again"), std::string::npos) << text;
  EXPECT_THROW(locate_models(roles_for({"face_swapper"}), {broken, test::fixture_model("")}), runtime::ModelError);
}

// The first file in search order is the one used; dlc models lists the others.
TEST(JobModels, TheFirstFilePresentIsTheOneUsed) {
  const auto dir = test::make_temp_dir();
  std::filesystem::copy_file(test::fixture_model("inswapper_128_fp16.onnx"), dir / "inswapper_128_fp16.onnx");
  const auto found = find_role_file(role_named("swapper"), {dir, test::fixture_model("")});
  ASSERT_TRUE(found);
  EXPECT_EQ(found->path, dir / "inswapper_128_fp16.onnx");
  std::ofstream(dir / "inswapper_128.onnx") << "garbage\n";  // now first in this folder
  EXPECT_NE(model_error(role_named("swapper"), {dir}).find("inswapper_128.onnx: not a valid"), std::string::npos);
  const auto present = role_files_present(role_named("swapper"), {dir, test::fixture_model("")});
  ASSERT_EQ(present.size(), 4u);
  EXPECT_EQ(present[0].path, dir / "inswapper_128.onnx");
  EXPECT_EQ(present[0].problem, "not a valid ONNX model (unsupported wire type 7 at byte 1)");
  EXPECT_EQ(present[0].file_bytes, 8u);
  EXPECT_EQ(present[1].path, dir / "inswapper_128_fp16.onnx");
  EXPECT_EQ(present[1].problem, "");
  EXPECT_EQ(present[2].path, test::fixture_model("inswapper_128.onnx"));
  std::filesystem::remove_all(dir);
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
