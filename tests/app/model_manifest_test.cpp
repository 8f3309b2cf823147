#include "app/model_manifest.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "pipeline/job_models.hpp"

namespace dlc::app {
namespace {

std::vector<std::string> files_of(const std::vector<const ManifestEntry*>& entries) {
  std::vector<std::string> files;
  for (const auto* e : entries) files.push_back(e->file);
  return files;
}

TEST(ModelManifest, BuiltInManifestHasThePublishedFigures) {
  const auto& m = builtin_manifest();
  const auto* fp32 = m.by_file("inswapper_128.onnx");
  ASSERT_NE(fp32, nullptr);
  EXPECT_EQ(fp32->size, 554'253'681u);
  EXPECT_EQ(fp32->sha256, "e4a3f08c753cb72d04e10aa0f7dbe3deebbf39567d4ead6dce08e98aa49e16af");
  EXPECT_EQ(fp32->urls.front(), "https://huggingface.co/hacksider/deep-live-cam/resolve/main/inswapper_128.onnx");
  EXPECT_EQ(m.by_file("inswapper_128_fp16.onnx")->sha256,
            "6d51a9278a1f650cffefc18ba53f38bf2769bf4bbff89267822cf72945f8a38b");
  const auto* buffalo = m.by_file("buffalo_l.zip");
  ASSERT_NE(buffalo, nullptr);
  EXPECT_EQ(buffalo->size, 288'621'354u);
  EXPECT_EQ(buffalo->sha256, "80ffe37d8a5940d59a7384c201a2a38d4741f2f3c51eef46ebb28218a7b0ca2f");
  EXPECT_EQ(buffalo->members, (std::vector<std::string>{"det_10g.onnx", "w600k_r50.onnx", "2d106det.onnx"}));
  EXPECT_EQ(m.by_file("gfpgan-1024.onnx")->size, 365'875'079u);
  EXPECT_EQ(m.by_file("gfpgan-1024.onnx")->sha256, "ee8dd6415e388b3a410689d5d9395a2bf50b5973b588421ebfa57bc266f19e24");
  // No full hash published: said so, checked by size and the published digits.
  for (const char* gpen : {"GPEN-BFR-256.onnx", "GPEN-BFR-512.onnx"}) {
    const auto* e = m.by_file(gpen);
    ASSERT_NE(e, nullptr) << gpen;
    EXPECT_FALSE(e->sha256) << gpen;
    EXPECT_TRUE(e->size && e->sha256_partial) << gpen;
  }
}

TEST(ModelManifest, EveryFileHasARoleUrlLicenceAndHashSource) {
  const auto& m = builtin_manifest();
  for (const char* file : {"inswapper_128.onnx", "inswapper_128_fp16.onnx", "hyperswap_1a_256.onnx", "hyperswap_1b_256.onnx",
                           "hyperswap_1c_256.onnx", "simswap_256.onnx", "arcface_converter_w600k_r50_simswap.onnx",
                           "buffalo_l.zip", "det_10g.onnx", "w600k_r50.onnx", "2d106det.onnx", "gfpgan-1024.onnx",
                           "GFPGANv1.4.onnx", "GPEN-BFR-256.onnx", "GPEN-BFR-512.onnx", "open_nsfw.onnx"}) {
    const auto* e = m.by_file(file);
    ASSERT_NE(e, nullptr) << file;
    EXPECT_FALSE(e->urls.empty() && e->in_archive.empty()) << file;
    EXPECT_FALSE(e->licence.empty()) << file;
    EXPECT_FALSE(e->hash_source.empty()) << file;
    EXPECT_FALSE(e->replaces.empty()) << file;
  }
  for (const char* swapper : {"inswapper_128.onnx", "inswapper_128_fp16.onnx", "hyperswap_1a_256.onnx",
                              "hyperswap_1b_256.onnx", "hyperswap_1c_256.onnx", "simswap_256.onnx"}) {
    EXPECT_EQ(m.by_file(swapper)->role, "swapper") << swapper;
  }
  EXPECT_EQ(m.by_file("open_nsfw.onnx")->role, "nsfw");
}

TEST(ModelManifest, EveryRoleDlcRunsHasADefaultDownload) {
  // The command a missing role's message names must work.
  const auto& m = builtin_manifest();
  for (const auto* role : pipeline::all_roles()) {
    const auto command = pipeline::download_command(*role, {});
    const auto key = command.substr(std::string_view("dlc models download ").size());
    const auto entries = entries_to_download(m, {key}, false);
    ASSERT_FALSE(entries.empty()) << key;
    // It brings the role's own file (or the archive holding it), never another model of the role.
    const bool brings_it = std::ranges::any_of(entries, [&](const auto& e) {
      return std::ranges::find(role->files, e->file) != role->files.end() || e->file == "buffalo_l.zip";
    });
    EXPECT_TRUE(brings_it) << key;
  }
}

TEST(ModelManifest, NamesRolesAndSetsChooseTheDownloads) {
  const auto& m = builtin_manifest();
  EXPECT_EQ(files_of(entries_to_download(m, {"inswapper"}, false)), (std::vector<std::string>{"inswapper_128.onnx"}));
  EXPECT_EQ(files_of(entries_to_download(m, {"swapper"}, false)), (std::vector<std::string>{"inswapper_128.onnx"}));
  EXPECT_EQ(files_of(entries_to_download(m, {"inswapper_128_fp16.onnx"}, false)),
            (std::vector<std::string>{"inswapper_128_fp16.onnx"}));
  // The three analysis roles are one archive.
  EXPECT_EQ(files_of(entries_to_download(m, {"detector", "recognizer", "landmarks"}, false)),
            (std::vector<std::string>{"buffalo_l.zip"}));
  EXPECT_EQ(files_of(entries_to_download(m, {"simswap_256"}, false)),
            (std::vector<std::string>{"simswap_256.onnx", "arcface_converter_w600k_r50_simswap.onnx"}));
  EXPECT_EQ(files_of(entries_to_download(m, {"deep-live-cam"}, false)),
            (std::vector<std::string>{"inswapper_128.onnx", "buffalo_l.zip", "gfpgan-1024.onnx", "GPEN-BFR-256.onnx",
                                      "GPEN-BFR-512.onnx"}));
  EXPECT_EQ(entries_to_download(m, {}, true).size(), 13u);  // every file with a URL (members come in their archive)
  EXPECT_THROW(entries_to_download(m, {"nothing"}, false), std::invalid_argument);
}

TEST(ModelManifest, FilesAreKnownByContent) {
  const auto& m = builtin_manifest();
  const auto* fp16 = m.by_content("6d51a9278a1f650cffefc18ba53f38bf2769bf4bbff89267822cf72945f8a38b", 1);
  ASSERT_NE(fp16, nullptr);
  EXPECT_EQ(fp16->file, "inswapper_128_fp16.onnx");
  // The published digits, and the size where one is published.
  const std::string gpen = "aa5bd3ab" + std::string(64 - 8 - 7, '0') + "e833271";
  EXPECT_EQ(m.by_content(gpen, 75'715'262)->file, "GPEN-BFR-256.onnx");
  EXPECT_EQ(m.by_content(gpen, 75'715'263), nullptr);
  EXPECT_EQ(m.by_content(std::string(64, '0'), 0), nullptr);
  EXPECT_NE(m.known_bad_file("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), nullptr);
}

TEST(ModelManifest, BadManifestIsNamed) {
  try {
    parse_manifest(R"({"format": 1, "files": [{"file": "a.onnx", "role": "swapper", "sha256": "xyz"}]})", "m.json");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "m.json: not a valid model manifest: a.onnx: sha256 is not 64 lowercase hex digits");
  }
  EXPECT_THROW(parse_manifest("{", "m.json"), std::runtime_error);
  EXPECT_THROW(parse_manifest(R"({"format": 1, "files": [{"file": "d.onnx", "role": "detector", "in_archive": "z.zip"}]})",
                              "m.json"),
               std::runtime_error);
}

}  // namespace
}  // namespace dlc::app
