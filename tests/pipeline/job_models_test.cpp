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

TEST(JobModels, SearchPathIsTheFlagOrModelsThenEnvironmentThenUserData) {
  using Path = std::vector<std::filesystem::path>;
  EXPECT_EQ(models_search_path(std::string("/m"), "/env", "/xdg", "/home/u"), (Path{"/m"}));
  EXPECT_EQ(models_search_path(std::nullopt, "/env", "/xdg", "/home/u"), (Path{"models", "/env", "/xdg/dlc/models"}));
  EXPECT_EQ(models_search_path(std::nullopt, nullptr, nullptr, "/home/u"),
            (Path{"models", "/home/u/.local/share/dlc/models"}));
  // An empty or relative $XDG_DATA_HOME is ignored, as the XDG Base Directory spec says.
  EXPECT_EQ(models_search_path(std::nullopt, "", "", "/home/u"), (Path{"models", "/home/u/.local/share/dlc/models"}));
  EXPECT_EQ(models_search_path(std::nullopt, "", "rel", "/home/u"), (Path{"models", "/home/u/.local/share/dlc/models"}));
  EXPECT_EQ(models_search_path(std::nullopt, nullptr, nullptr, nullptr), (Path{"models"}));
}

TEST(JobModels, DownloadCommandNamesTheRoleAndTheFolderFlag) {
  EXPECT_EQ(download_command(role_named("swapper"), {"models", "/home/u/.local/share/dlc/models"}),
            "dlc models download swapper");
  EXPECT_EQ(download_command(role_named("face_enhancer_gpen256"), {"/m"}),
            "dlc models download face_enhancer_gpen256 --models-dir /m");
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
    EXPECT_NE(text.find("`dlc models download detector --models-dir /nonexistent-models` fetches it"), std::string::npos)
        << text;
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

// The plan's working memory is an upper bound for every file the catalog accepts: measured for
// the stand-ins' architectures without ONNX Runtime's memory pattern, every call a first call
// (README: det_10g 75 MB at 640, inswapper 158, GFPGAN 688, gfpgan-1024 1234), scaled from GFPGAN's by output pixels for GPEN, the role's largest figure
// for another file of the role's names, and the detector's grown with its input's pixels.
constexpr std::uint64_t kMiB = 1ULL << 20;

memory::ModelFootprint footprint(std::string_view role, const char* file, std::uint64_t bytes, int detector_size = 640) {
  return footprint_of(JobModel{&role_named(role), std::filesystem::path("m") / file, bytes}, detector_size);
}

TEST(JobModels, WorkingMemoryOfTheEnhancers) {
  const auto v14 = footprint("face_enhancer", "GFPGANv1.4.onnx", 340'210'034);
  // Its session runs without a CPU arena: 488 MiB (688 on the shared arena, 1143 with the
  // memory pattern, issue 20).
  EXPECT_TRUE(runs_without_cpu_arena(JobModel{&role_named("face_enhancer"), "m/GFPGANv1.4.onnx", 340'210'034}));
  EXPECT_EQ(v14.arena_bytes, 488 * kMiB);
  EXPECT_EQ(v14.first_call(), 488 * kMiB);
  EXPECT_EQ(v14.load_extra_bytes, 137 * kMiB);
  // gfpgan-1024 (FIELD.md: 365,875,079 bytes), also without a CPU arena: 695 MiB measured so
  // (1234 on the arena, 1821 with the memory pattern; before: 0.1 x the file + 8 x its I/O,
  // 162 MB); its build not measured, 1.4 x the file.
  const auto g1024 = footprint("face_enhancer", "gfpgan-1024.onnx", 365'875'079);
  EXPECT_EQ(g1024.arena_bytes, 695 * kMiB);
  EXPECT_EQ(g1024.first_call(), 695 * kMiB);
  EXPECT_EQ(g1024.load_extra_bytes, 512'225'110u);
  EXPECT_EQ(footprint("face_enhancer_gpen512", "GPEN-BFR-512.onnx", 284'250'449).arena_bytes, 488 * kMiB);
  EXPECT_EQ(footprint("face_enhancer_gpen256", "GPEN-BFR-256.onnx", 75'715'262).arena_bytes, 488 * kMiB / 4);
  EXPECT_EQ(files_without_cpu_arena(), (std::set<std::string>{"GFPGANv1.4.onnx", "gfpgan-1024.onnx",
                                                               "GPEN-BFR-256.onnx", "GPEN-BFR-512.onnx"}));
  EXPECT_FALSE(runs_without_cpu_arena(JobModel{&role_named("swapper"), "m/inswapper_128.onnx", 554'238'733}));
  // Another export under GFPGAN's name (the catalog accepts a 1024 output too): the role's largest.
  EXPECT_EQ(footprint("face_enhancer", "GFPGANv1.4.onnx", 200'000'000).arena_bytes, 1234 * kMiB);
  // The fixture swapper (1 MB): inswapper's measured 158 MiB, not a 16 MiB estimate.
  EXPECT_EQ(footprint("swapper", "inswapper_128.onnx", 1'049'134).arena_bytes, 158 * kMiB);
}

TEST(JobModels, DetectorWorkingMemoryGrowsWithItsInput) {
  EXPECT_EQ(footprint("detector", "det_10g.onnx", 16'920'743).arena_bytes, 75 * kMiB);
  // 1280 x 1280 has 4 x the pixels of 640 x 640.
  const auto big = footprint("detector", "det_10g.onnx", 16'920'743, 1280);
  EXPECT_EQ(big.arena_bytes, 300 * kMiB);
  EXPECT_EQ(big.first_call(), 300 * kMiB);
  EXPECT_EQ(big.load_extra_bytes, 17 * kMiB) << "building does not depend on the input";
  // 960: 2.25 x; smaller inputs keep 640's figure.
  EXPECT_EQ(footprint("detector", "det_10g.onnx", 16'920'743, 960).arena_bytes, 176'947'200u);
  EXPECT_EQ(footprint("detector", "det_10g.onnx", 16'920'743, 320).arena_bytes, 75 * kMiB);
  EXPECT_EQ(footprint("swapper", "inswapper_128.onnx", 554'238'733, 1280).arena_bytes, 158 * kMiB);
}

// A session built from the mapped copy (.dlc-mapped/) does not hold the file twice: the plan takes
// the transient measured that way (det_10g 9 MiB) when the copy can be written and the job does not
// use ONNX Runtime's optimized copies (CUDA, --disable-memory-optimization), without writing it (a
// run the plan refuses leaves nothing behind); on the CPU, where the optimized copy is missing, a
// first run's child writes it (its measured peak, 70 MiB for det_10g) and the job's own build holds
// nothing beyond the weights; none once the copy is there, and no child; and the one measured from
// the file itself (17 MiB) when no copy can be had.
TEST(JobModels, BuildTransientOfTheMappedCopy) {
  const auto standin = test::source_tree_file(".cache/standins/det_10g.onnx");
  if (!std::filesystem::exists(standin)) GTEST_SKIP() << "no stand-ins: run scripts/standins.sh (" << standin << ")";
  const auto dir = test::make_temp_dir();
  const auto model = dir / "det_10g.onnx";
  std::filesystem::copy_file(standin, model);
  const auto bytes = std::filesystem::file_size(model);
  const JobModel det{&role_named("detector"), model, bytes};
  EXPECT_EQ(footprint_of(det, 640, false).load_extra_bytes, 9 * kMiB);
  EXPECT_EQ(footprint_of(det, 640, false).prepare_bytes, 0u);
  EXPECT_EQ(footprint_of(det, 640).load_extra_bytes, 0u);
  EXPECT_EQ(footprint_of(det, 640).prepare_bytes, 70 * kMiB);
  EXPECT_FALSE(std::filesystem::exists(dir / ".dlc-mapped")) << "planning wrote the mapped copy";
  // A session built once leaves ONNX Runtime's optimized copy, from which a build holds nothing
  // beyond the weights.
  { runtime::ModelSession session(model, runtime::SessionPolicy{}); }
  EXPECT_TRUE(runtime::optimized_copy_available(model));
  EXPECT_EQ(footprint_of(det, 640).load_extra_bytes, 0u);
  EXPECT_EQ(footprint_of(det, 640).prepare_bytes, 0u) << "a later run has no child to start";
  EXPECT_EQ(footprint_of(det, 640, false).load_extra_bytes, 9 * kMiB) << "only the CPU sessions load the copy";
  EXPECT_EQ(footprint_of(JobModel{&role_named("detector"), dir / "absent" / "det_10g.onnx", bytes}, 640).load_extra_bytes,
            17 * kMiB);
  std::filesystem::remove_all(dir);
}

// --face-swapper-model: auto takes inswapper_128 when it is there, else the first model whose files
// are all there (simswap_256 needs its converter); a named model must have its files (exit 4).
TEST(JobModels, ChooseSwapperAutoAndNamed) {
  const auto fixtures = test::fixture_model("");
  const auto dir = test::make_temp_dir();
  const auto name_of = [](const std::optional<SwapperChoice>& c) { return c ? std::string(c->model->name) : "none"; };
  EXPECT_EQ(name_of(choose_swapper("auto", {fixtures})), "inswapper_128");
  EXPECT_EQ(name_of(choose_swapper("hyperswap_1c_256", {fixtures})), "hyperswap_1c_256");
  EXPECT_EQ(choose_swapper("hyperswap_1c_256", {fixtures})->file.path, fixtures / "hyperswap_1c_256.onnx");
  EXPECT_EQ(name_of(choose_swapper("auto", {dir})), "none");  // the classic swapper's turn
  std::filesystem::copy_file(fixtures / "simswap_256.onnx", dir / "simswap_256.onnx");
  EXPECT_EQ(name_of(choose_swapper("auto", {dir})), "none") << "simswap without its converter is skipped";
  try {
    choose_swapper("simswap_256", {dir});
    ADD_FAILURE() << "no error";
  } catch (const runtime::ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("crossface_simswap.onnx: not found"), std::string::npos) << e.what();
  }
  std::filesystem::copy_file(fixtures / "crossface_simswap.onnx", dir / "crossface_simswap.onnx");
  const auto simswap = choose_swapper("auto", {dir});
  ASSERT_EQ(name_of(simswap), "simswap_256");
  ASSERT_TRUE(simswap->converter);
  EXPECT_EQ(simswap->converter->path, dir / "crossface_simswap.onnx");
  std::filesystem::copy_file(fixtures / "hyperswap_1b_256.onnx", dir / "hyperswap_1b_256.onnx");
  EXPECT_EQ(name_of(choose_swapper("auto", {dir})), "hyperswap_1b_256") << "hyperswap comes before simswap";
  EXPECT_THROW(choose_swapper("hyperswap_1a_256", {dir}), runtime::ModelError);
  std::filesystem::remove_all(dir);
}

// The 256-pixel swappers' inputs are matched by name: the fixtures declare hyperswap's as source,
// target and simswap's as target, source, and both fit; a file of the wrong swapper does not.
TEST(JobModels, SwapperSignaturesMatchInputsByName) {
  const auto fixtures = test::fixture_model("");
  EXPECT_EQ(signature_problem(swapper_role("hyperswap_1a_256"), runtime::scan_onnx_file(fixtures / "hyperswap_1a_256.onnx")), "");
  EXPECT_EQ(signature_problem(swapper_role("simswap_256"), runtime::scan_onnx_file(fixtures / "simswap_256.onnx")), "");
  EXPECT_EQ(signature_problem(swapper_role("hyperswap_1a_256"), runtime::scan_onnx_file(fixtures / "simswap_256.onnx")),
            "has 1 outputs, expected 2");
  EXPECT_NE(signature_problem(swapper_role("simswap_256"), runtime::scan_onnx_file(fixtures / "inswapper_128.onnx")), "");
  EXPECT_EQ(signature_problem(converter_role(), runtime::scan_onnx_file(fixtures / "crossface_simswap.onnx")), "");
}

}  // namespace
}  // namespace dlc::pipeline
