// `dlc models list|verify`, and what run, live and bench do with a model file that is present but
// invalid, through the binary: the lines a user sees and the exit codes.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string_view>

#include "app/exit_codes.hpp"
#include "media/subprocess.hpp"
#include "memory/units.hpp"
#include "support/paths.hpp"

namespace dlc::app {
namespace {

media::ProcessResult dlc(std::vector<std::string> args) {
  args.insert(args.begin(), test::dlc_binary().string());
  return media::run_process(args);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The line after the one that equals first (what a role's detail line follows).
std::string line_after(const std::vector<std::string>& lines, const std::string& first) {
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    if (lines[i] == first) return lines[i + 1];
  }
  return "(no line '" + first + "')";
}

std::string sha256sum(const std::filesystem::path& file) {
  const auto r = media::run_process({"sha256sum", file.string()});
  return r.exit_code == 0 ? r.out.substr(0, 64) : std::string();
}

void write_file(const std::filesystem::path& file, std::string_view bytes) {
  std::ofstream(file, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The 11 bytes of issue 19: a field whose length runs 2^64 − 11 bytes past its start (it hung dlc).
constexpr std::string_view kWrappingLength = "\x1a\xf5\xff\xff\xff\xff\xff\xff\xff\xff\x01";

class ModelsCommand : public testing::Test {
 protected:
  void SetUp() override { dir_ = test::make_temp_dir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(ModelsCommand, ListNamesEachRolesFileOrItsFallback) {
  // A folder with some of the roles' files, so that the others are missing.
  const auto fixtures = test::copy_fixture_models(dir_, {"det_10g.onnx", "inswapper_128.onnx", "inswapper_128_fp16.onnx"});
  const auto r = dlc({"models", "list", "--models-dir", fixtures.string()});
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], "models looked up in: " + fixtures.string());
  const auto det = fixtures / "det_10g.onnx";
  const auto size_of = [](const std::filesystem::path& f) {
    return memory::format_size(std::filesystem::file_size(f));
  };
  EXPECT_NE(std::ranges::find(lines, "detector: " + det.string() + " (" + size_of(det) + ")"), lines.end()) << r.out;
  const auto swapper = fixtures / "inswapper_128.onnx";
  EXPECT_NE(std::ranges::find(lines, "swapper: " + swapper.string() + " (" + size_of(swapper) + ")"), lines.end())
      << r.out;
  // The fp16 file in the same folder is found too, after the preferred one.
  EXPECT_NE(std::ranges::find(lines, "    also present, not used: " + (fixtures / "inswapper_128_fp16.onnx").string() +
                                         " (" + size_of(fixtures / "inswapper_128_fp16.onnx") + ")"),
            lines.end())
      << r.out;
  EXPECT_EQ(line_after(lines, "enhancer (face_enhancer_gpen256): missing GPEN-BFR-256.onnx"),
            "    no fallback: face_enhancer_gpen256 refuses to run without it");
  // Each file named by its content: the fixtures are none of the published files.
  EXPECT_EQ(line_after(lines, "swapper: " + swapper.string() + " (" + size_of(swapper) + ")"),
            "    sha256 " + sha256sum(swapper) + ": not the published inswapper_128.onnx (another export, or damaged)");
  EXPECT_NE(r.out.find("    `dlc models download face_enhancer_gpen256 --models-dir " + fixtures.string() + "` fetches it\n"),
            std::string::npos)
      << r.out;
}

// `dlc models prepare FILE` writes the file's mapped and optimized copies (what a first run's
// child does) and ends with its own peak; without files, every model present that lacks them, each
// in a child; a file that is not a model is one line naming it, exit 1, nothing left behind.
TEST_F(ModelsCommand, PrepareWritesTheOptimizedCopies) {
  const auto fixtures = test::copy_fixture_models(dir_, {"inswapper_128.onnx", "w600k_r50.onnx"});
  const auto swapper = fixtures / "inswapper_128.onnx";
  auto r = dlc({"models", "prepare", swapper.string(), "--execution-threads", "1"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\\npeak RSS [0-9]+\\.[0-9] MB \\(VmHWM [1-9][0-9]* kB\\)\\n$"))) << r.out;
  std::size_t optimized = 0;
  for (const auto& entry : std::filesystem::directory_iterator(fixtures / ".dlc-mapped")) {
    optimized += entry.path().filename().string().find(".ort-") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(optimized, 1u) << "inswapper's optimized copy";
  std::filesystem::remove_all(fixtures / ".dlc-mapped");
  r = dlc({"models", "prepare", "--models-dir", fixtures.string(), "--execution-threads", "1"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_NE(r.out.find(swapper.string() + ": optimized copy written (peak RSS "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("every model present has its optimized copy\n"), std::string::npos) << r.out;
  r = dlc({"models", "prepare", "--models-dir", fixtures.string()});
  EXPECT_EQ(r.out.find("optimized copy written"), std::string::npos) << "written again: " << r.out;
  const auto bad = dir_ / "bad.onnx";
  write_file(bad, "not a model");
  r = dlc({"models", "prepare", bad.string()});
  EXPECT_EQ(r.exit_code, kExitFailure);
  EXPECT_EQ(std::ranges::count(r.err, '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(bad.string()), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / ".dlc-mapped")) << "a copy of a file that is not a model";
}

// --json: the same roles as one object, the present ones with their file, the missing ones with
// what stands in (or null) and the name `dlc models download` takes.
TEST_F(ModelsCommand, ListJsonGivesEachRolesFileOrItsFallback) {
  const auto fixtures = test::copy_fixture_models(dir_, {"inswapper_128.onnx"});
  const auto r = dlc({"models", "list", "--json", "--models-dir", fixtures.string()});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["search_path"], nlohmann::json::array({fixtures.string()}));
  const auto role = [&](const std::string& label) {
    for (const auto& x : doc["roles"]) {
      if (x["label"] == label) return x;
    }
    return nlohmann::json();
  };
  const auto swapper = role("swapper");
  ASSERT_FALSE(swapper.is_null()) << r.out;
  EXPECT_TRUE(swapper["present"].get<bool>());
  EXPECT_EQ(swapper["path"], (fixtures / "inswapper_128.onnx").string());
  EXPECT_EQ(swapper["bytes"], std::filesystem::file_size(fixtures / "inswapper_128.onnx"));
  EXPECT_EQ(swapper["problem"], "");
  EXPECT_EQ(swapper["download"], "swapper");
  const auto gpen = role("enhancer (face_enhancer_gpen256)");
  ASSERT_FALSE(gpen.is_null()) << r.out;
  EXPECT_FALSE(gpen["present"].get<bool>());
  EXPECT_EQ(gpen["file"], "GPEN-BFR-256.onnx");
  EXPECT_TRUE(gpen["fallback"].is_null());
  EXPECT_EQ(gpen["download"], "face_enhancer_gpen256");
  const auto detector = role("detector");
  EXPECT_FALSE(detector["present"].get<bool>());
  EXPECT_TRUE(detector["fallback"].is_string()) << r.out;
}

// A manifest that knows the fixture fp16 swapper by its sha256: found by content under the fp32's name.
TEST_F(ModelsCommand, ListNamesAFileByItsContentWhateverItsName) {
  const auto models = dir_ / "models";
  std::filesystem::create_directory(models);
  std::filesystem::copy_file(test::fixture_model("inswapper_128_fp16.onnx"), models / "inswapper_128.onnx");
  const auto manifest = dir_ / "manifest.json";
  write_file(manifest, R"({"format": 1, "files": [{"file": "inswapper_128_fp16.onnx", "role": "swapper",
      "variant": "fp16", "sha256": ")" + sha256sum(models / "inswapper_128.onnx") + R"("}]})");
  const auto r = dlc({"models", "list", "--models-dir", models.string(), "--manifest", manifest.string()});
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_NE(r.out.find(": is inswapper_128_fp16.onnx (fp16) by content (the published sha256), under another name\n"),
            std::string::npos)
      << r.out;
}

TEST_F(ModelsCommand, VerifyFlagsAKnownBadFile) {
  // The manifest's known-bad list has the empty file (a failed download kept under the name).
  write_file(dir_ / "inswapper_128.onnx", "");
  const auto r = dlc({"models", "verify", "--models-dir", dir_.string()});
  EXPECT_EQ(r.exit_code, kExitModel) << r.out << r.err;
  EXPECT_NE(r.out.find("    KNOWN BAD: an empty file: a download that failed and was kept under the model's name; "
                       "delete it and run `dlc models download inswapper_128.onnx`\n"),
            std::string::npos)
      << r.out;
}

TEST_F(ModelsCommand, VerifyPrintsEachFilesSha256) {
  const auto fixtures = test::fixture_model("").parent_path();
  const auto r = dlc({"models", "verify", "--models-dir", fixtures.string()});
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  const auto lines = lines_of(r.out);
  for (const char* name : {"det_10g.onnx", "2d106det.onnx", "w600k_r50.onnx", "inswapper_128.onnx", "GFPGANv1.4.onnx"}) {
    const auto file = fixtures / name;
    const auto expected = sha256sum(file);
    if (expected.empty()) GTEST_SKIP() << "no sha256sum here";
    const auto listed = file.string() + " (";
    bool seen = false;
    for (std::size_t i = 0; i + 2 < lines.size(); ++i) {
      if (lines[i].find(listed) == std::string::npos) continue;
      seen = true;
      EXPECT_EQ(lines[i + 1], "    signature ok; sha256 " + expected) << name;
      EXPECT_EQ(lines[i + 2].rfind("    ", 0), 0u) << "what the manifest knows of it: " << lines[i + 2];
    }
    EXPECT_TRUE(seen) << name << " not listed:\n" << r.out;
  }
}

// build/fixtures/broken/det_10g.onnx: det_10g.onnx whose stride-32 keypoint output is [n,5].
TEST_F(ModelsCommand, VerifyExitsFourOnAWrongSignature) {
  const auto broken = test::fixture_model("broken");
  const auto r = dlc({"models", "verify", "--models-dir", broken.string()});
  EXPECT_EQ(r.exit_code, kExitModel) << r.out << r.err;
  const auto lines = lines_of(r.out);
  const auto file = broken / "det_10g.onnx";
  const std::regex first("detector: INVALID " + file.string() +
                         R"( \([0-9.]+ [KM]B\): wrong signature for the detector \(output 8 '[^']+' has shape \[\?,5\], expected \[\?,10\]\))");
  std::size_t at = lines.size();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (std::regex_match(lines[i], first)) at = i;
  }
  ASSERT_LT(at + 2, lines.size()) << r.out;
  EXPECT_EQ(lines[at + 1], "    run, live and bench stop at this file (exit 4): delete it or download it again (the "
                           "fallback is only for a file that is absent)");
  EXPECT_EQ(lines[at + 2].rfind("      expected signature of det_10g.onnx: inputs [1,3,?,?]; outputs ", 0), 0u)
      << lines[at + 2];
  EXPECT_EQ(r.out.find("sha256 "), std::string::npos) << "an invalid file is not hashed as if it were ok";
  EXPECT_EQ(line_after(lines, "swapper: missing inswapper_128.onnx"),
            "    in use instead: the classic swapper (landmark mesh warp, colour transfer, seamless clone)");
}

// Damaged files: the 11 bytes that hung dlc, and a text file saved under a model's name.
TEST_F(ModelsCommand, VerifyExitsFourOnDamagedFiles) {
  write_file(dir_ / "det_10g.onnx", kWrappingLength);
  write_file(dir_ / "inswapper_128.onnx", "garbage\n");
  const auto r = dlc({"models", "verify", "--models-dir", dir_.string()});
  EXPECT_EQ(r.exit_code, kExitModel) << r.out << r.err;
  const auto lines = lines_of(r.out);
  EXPECT_NE(std::ranges::find(lines, "detector: INVALID " + (dir_ / "det_10g.onnx").string() +
                                         " (11 B): not a valid ONNX model (a field at byte 1 claims "
                                         "18446744073709551605 bytes where 0 are left)"),
            lines.end())
      << r.out;
  EXPECT_NE(std::ranges::find(lines, "swapper: INVALID " + (dir_ / "inswapper_128.onnx").string() +
                                         " (8 B): not a valid ONNX model (unsupported wire type 7 at byte 1)"),
            lines.end())
      << r.out;
  // The other roles are still listed: missing, with what stands in.
  EXPECT_EQ(line_after(lines, "recognizer: missing w600k_r50.onnx"), "    in use instead: none needed by the classic swapper");
  // list reports the same files, and leaves the exit code to verify.
  const auto listed = dlc({"models", "list", "--models-dir", dir_.string()});
  EXPECT_EQ(listed.exit_code, kExitOk) << listed.err;
  EXPECT_NE(listed.out.find("swapper: INVALID "), std::string::npos) << listed.out;
}

// A model file present but invalid stops every command that would use it with exit 4, naming the
// file, what is wrong and what to do: the fallback is only for an absent file (issue 19.6).
class InvalidModelFile : public ModelsCommand {
 protected:
  void SetUp() override {
    ModelsCommand::SetUp();
    astronaut_ = test::astronaut_photo();
    grace_ = test::grace_hopper_photo();
    if (const auto why = test::missing_inputs(test::Dlib68::kNotNeeded); !why.empty()) GTEST_SKIP() << why;
  }

  // dlc's exit code, after checking its one error line names the file and says what to do.
  int expect_refusal(std::vector<std::string> args, const std::filesystem::path& file, const std::string& problem) {
    args.insert(args.end(), {"--models-dir", dir_.string(), "--memory-monitor-interval", "0"});
    const auto r = dlc(args);
    EXPECT_NE(r.err.find("[dlc] error: model " + file.string() + ": " + problem), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("delete it or download it again"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
    return r.exit_code;
  }

  std::filesystem::path astronaut_;
  std::filesystem::path grace_;
};

TEST_F(InvalidModelFile, RunStopsInsteadOfTheClassicSwapper) {
  write_file(dir_ / "inswapper_128.onnx", "garbage\n");
  const auto out = dir_ / "out.png";
  EXPECT_EQ(expect_refusal({"run", "-s", astronaut_.string(), "-t", grace_.string(), "-o", out.string()},
                           dir_ / "inswapper_128.onnx", "not a valid ONNX model (unsupported wire type 7 at byte 1)"),
            kExitModel);
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST_F(InvalidModelFile, AutoDetectorStopsInsteadOfBlazeFace) {
  write_file(dir_ / "det_10g.onnx", kWrappingLength);
  const auto out = dir_ / "out.png";
  EXPECT_EQ(expect_refusal({"run", "-s", astronaut_.string(), "-t", grace_.string(), "-o", out.string(),
                            "--face-detector", "auto"},
                           dir_ / "det_10g.onnx", "not a valid ONNX model (a field at byte 1 claims"),
            kExitModel);
  EXPECT_FALSE(std::filesystem::exists(out));
  std::filesystem::copy_file(test::fixture_model("broken/det_10g.onnx"), dir_ / "det_10g.onnx",
                             std::filesystem::copy_options::overwrite_existing);
  EXPECT_EQ(expect_refusal({"run", "-s", astronaut_.string(), "-t", grace_.string(), "-o", out.string()},
                           dir_ / "det_10g.onnx", "wrong signature for the detector"),
            kExitModel);
}

TEST_F(InvalidModelFile, EveryRoleInRunLiveAndBench) {
  const auto camera = test::make_test_clip(dir_, "camera.mp4", false);
  const auto out = dir_ / "out.png";
  const std::vector<std::string> run{"run", "-s", astronaut_.string(), "-t", grace_.string(), "-o", out.string()};
  const std::vector<std::string> live{"live", "-s", astronaut_.string(), "--camera", camera.string(), "--headless"};
  const std::vector<std::string> bench{"bench", "-s", astronaut_.string(), "-t", camera.string(), "--frames", "2"};
  struct Case {
    const char* file;
    std::vector<std::string> processors;
  };
  for (const Case& c : {Case{"det_10g.onnx", {"face_swapper"}}, Case{"2d106det.onnx", {"face_swapper"}},
                        Case{"w600k_r50.onnx", {"face_swapper"}}, Case{"inswapper_128_fp16.onnx", {"face_swapper"}},
                        Case{"GFPGANv1.4.onnx", {"face_enhancer"}}, Case{"GPEN-BFR-512.onnx", {"face_enhancer_gpen512"}}}) {
    std::filesystem::remove(dir_ / "inswapper_128.onnx");
    // The swapper role needs its partner for the recognizer's turn to come.
    if (std::string_view(c.file) == "w600k_r50.onnx") {
      std::filesystem::copy_file(test::fixture_model("inswapper_128.onnx"), dir_ / "inswapper_128.onnx");
    }
    write_file(dir_ / c.file, "garbage\n");
    for (auto args : {run, live, bench}) {
      args.push_back("--frame-processor");
      args.insert(args.end(), c.processors.begin(), c.processors.end());
      EXPECT_EQ(expect_refusal(args, dir_ / c.file, "not a valid ONNX model"), kExitModel) << args[0] << " " << c.file;
    }
    std::filesystem::remove(dir_ / c.file);
  }
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace dlc::app
