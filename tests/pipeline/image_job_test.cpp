#include "pipeline/image_job.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <limits>
#include <sstream>
#include <tuple>

#include "face/alignment.hpp"
#include "processors/classic_swapper.hpp"
#include "processors/face_enhancer.hpp"
#include "processors/face_swapper.hpp"
#include "processors/inswapper.hpp"
#include "processors/nsfw_filter.hpp"
#include "support/paths.hpp"

namespace dlc::pipeline {
namespace {

std::filesystem::path media(const char* name) { return test::source_tree_file(".cache/media") / name; }

class ImageJob : public testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(media("astronaut.png")) || !std::filesystem::exists(media("grace_hopper.jpg"))) {
      GTEST_SKIP() << "the Debian photos are missing: run scripts/setup.sh";
    }
    dir_ = test::make_temp_dir();
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  ImageJobOptions options(const char* source, const char* target, const char* output,
                          std::vector<std::filesystem::path> models = {}) {
    ImageJobOptions o;
    o.source = media(source);
    o.target = media(target);
    o.output = dir_ / output;
    o.analyser.search_path = models.empty() ? std::vector<std::filesystem::path>{dir_ / "no-models"} : models;
    return o;
  }

  std::size_t files_in_dir() const {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir_), {}));
  }

  std::filesystem::path dir_;
};

// No downloaded model: BlazeFace finds the faces, dlib's 68 points guide the classic swapper.
// The result has the target's size; outside the target face (its box grown by a fifth) not one
// pixel differs, inside it the face changed.
// inswapper's soft mask covers the whole 128 crop's ellipse, which reaches past the detector's
// box (forehead, chin): there the bound is the projected crop (paste_region).
enum class Bound { kFaceBox, kSwapCrop };

void expect_face_swapped(const ImageJobReport& report, const std::filesystem::path& target,
                         Bound bound = Bound::kFaceBox) {
  const auto before = cv::imread(target.string(), cv::IMREAD_COLOR);
  const auto after = cv::imread(report.output.string(), cv::IMREAD_COLOR);
  ASSERT_EQ(after.size(), before.size());
  EXPECT_EQ(report.processed_faces, 1u);

  AnalyserOptions analyser;
  analyser.detector = "blazeface";
  const auto faces = FaceAnalyser(analyser).detect(before);
  ASSERT_EQ(faces.size(), 1u);
  const auto box = faces[0].box;
  const cv::Rect grown =
      bound == Bound::kSwapCrop
          ? processors::paste_region(before.size(), processors::kInswapperSize,
                                     face::align_to(faces[0].kps, face::arcface_template(processors::kInswapperSize)))
          : cv::Rect(cv::Rect2f(box.x - box.width * 0.1f, box.y - box.height * 0.1f, box.width * 1.2f,
                                box.height * 1.2f)) &
                cv::Rect(0, 0, before.cols, before.rows);
  cv::Mat diff;
  cv::absdiff(after, before, diff);
  cv::Mat outside = diff.clone();
  outside(grown).setTo(0);
  EXPECT_EQ(cv::countNonZero(outside.reshape(1)), 0) << "pixels changed outside the face";
  EXPECT_GT(cv::mean(diff(cv::Rect(box)))[0] + cv::mean(diff(cv::Rect(box)))[1], 8.0) << "the face did not change";
}

TEST_F(ImageJob, AstronautOntoGraceHopperWithoutModels) {
  // PNG output: lossless, so "unchanged" can be checked pixel by pixel.
  const auto report = run_image_job(options("astronaut.png", "grace_hopper.jpg", "a2g.png"));
  EXPECT_EQ(report.processors, std::vector<std::string>{"face_swapper (classic: no inswapper_128.onnx)"});
  EXPECT_EQ(report.detector, "blazeface");
  expect_face_swapped(report, media("grace_hopper.jpg"));
}

TEST_F(ImageJob, GraceHopperOntoAstronautWithoutModels) {
  const auto report = run_image_job(options("grace_hopper.jpg", "astronaut.png", "g2a.png"));
  expect_face_swapped(report, media("astronaut.png"));
  EXPECT_EQ(files_in_dir(), 1u) << "no temporary file left behind";
}

// With the fixture models in the models folder the neural path runs end to end: recognizer,
// emap latent, inswapper, soft-mask paste-back (the fixture swapper inverts the crop's colours).
TEST_F(ImageJob, NeuralPathWithFixtureModels) {
  // Only the recognizer and the swapper: the fixture detector and landmark model find no faces.
  const auto models = dir_ / "models";
  std::filesystem::create_directory(models);
  for (const char* name : {"w600k_r50.onnx", "inswapper_128.onnx"}) {
    std::filesystem::copy_file(test::fixture_model(name), models / name);
  }
  auto o = options("astronaut.png", "grace_hopper.jpg", "neural.png", {models});
  const auto report = run_image_job(o);
  EXPECT_EQ(report.processors, std::vector<std::string>{"face_swapper (inswapper_128.onnx)"});
  expect_face_swapped(report, media("grace_hopper.jpg"), Bound::kSwapCrop);
}

TEST_F(ImageJob, OutputFolderGetsDeepLiveCamsName) {
  auto o = options("astronaut.png", "grace_hopper.jpg", "");
  o.output = dir_;
  const auto report = run_image_job(o);
  EXPECT_EQ(report.output, dir_ / "astronaut-grace_hopper.jpg");
  EXPECT_TRUE(std::filesystem::exists(report.output));
}

TEST_F(ImageJob, TargetWithoutAFaceIsWrittenUnchanged) {
  const auto blank = dir_ / "blank.png";
  cv::imwrite(blank.string(), cv::Mat(240, 320, CV_8UC3, cv::Scalar(30, 60, 90)));
  auto o = options("astronaut.png", "grace_hopper.jpg", "out.png");
  o.target = blank;
  const auto report = run_image_job(o);
  EXPECT_EQ(report.processed_faces, 0u);
  cv::Mat diff;
  cv::absdiff(cv::imread(report.output.string()), cv::imread(blank.string()), diff);
  EXPECT_EQ(cv::countNonZero(diff.reshape(1)), 0);
}

TEST_F(ImageJob, SourceWithoutAFaceIsAnInputError) {
  const auto blank = dir_ / "blank.png";
  cv::imwrite(blank.string(), cv::Mat(240, 320, CV_8UC3, cv::Scalar(30, 60, 90)));
  auto o = options("astronaut.png", "grace_hopper.jpg", "out.png");
  o.source = blank;
  try {
    run_image_job(o);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no face found in the source image"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out.png"));
}

TEST_F(ImageJob, UnreadableInputsAndUnwritableOutputs) {
  auto o = options("astronaut.png", "grace_hopper.jpg", "out.png");
  o.target = dir_ / "missing.jpg";
  EXPECT_THROW(run_image_job(o), InputError);
  const auto text = dir_ / "not-an-image.jpg";
  std::ofstream(text) << "hello";
  o.target = text;
  EXPECT_THROW(run_image_job(o), InputError);
  o = options("astronaut.png", "grace_hopper.jpg", "out.unknown-format");
  EXPECT_THROW(run_image_job(o), InputError);
  EXPECT_EQ(files_in_dir(), 1u) << "only not-an-image.jpg: no partial output left";
}

TEST_F(ImageJob, EnhancerWithoutItsModelNamesTheFile) {
  auto o = options("astronaut.png", "grace_hopper.jpg", "out.png");
  o.chain.frame_processors = {"face_swapper", "face_enhancer"};
  try {
    run_image_job(o);
    FAIL() << "no error";
  } catch (const runtime::ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("GFPGANv1.4.onnx: not found"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dlc::pipeline

namespace dlc::pipeline {
namespace {

// Both photos side by side (grace cut to 512×512): a target with two faces, astronaut on the left.
std::filesystem::path two_faces(const std::filesystem::path& dir) {
  const auto left = cv::imread(media("astronaut.png").string(), cv::IMREAD_COLOR);
  const auto right = cv::imread(media("grace_hopper.jpg").string(), cv::IMREAD_COLOR)(cv::Rect(0, 0, 512, 512));
  cv::Mat both;
  cv::hconcat(left, right, both);
  const auto path = dir / "two.png";
  cv::imwrite(path.string(), both);
  return path;
}

int changed_pixels(const cv::Mat& a, const cv::Mat& b, const cv::Rect& where) {
  cv::Mat diff;
  cv::absdiff(a(where), b(where), diff);
  return cv::countNonZero(diff.reshape(1));
}

TEST_F(ImageJob, ManyFacesSwapsEveryFace) {
  auto o = options("grace_hopper.jpg", "astronaut.png", "many.png");
  o.target = two_faces(dir_);
  o.many_faces = true;
  const auto report = run_image_job(o);
  EXPECT_EQ(report.target_faces, 2u);
  EXPECT_EQ(report.processed_faces, 2u);
  const auto before = cv::imread(o.target.string());
  const auto after = cv::imread(report.output.string());
  EXPECT_GT(changed_pixels(before, after, {0, 0, 512, 512}), 1000);
  EXPECT_GT(changed_pixels(before, after, {512, 0, 512, 512}), 1000);
}

TEST_F(ImageJob, OneFaceByDefaultIsTheLeftmost) {
  auto o = options("grace_hopper.jpg", "astronaut.png", "one.png");
  o.target = two_faces(dir_);
  const auto report = run_image_job(o);
  EXPECT_EQ(report.processed_faces, 1u);
  const auto before = cv::imread(o.target.string());
  const auto after = cv::imread(report.output.string());
  EXPECT_GT(changed_pixels(before, after, {0, 0, 512, 512}), 1000);
  EXPECT_EQ(changed_pixels(before, after, {512, 0, 512, 512}), 0);
}

TEST_F(ImageJob, MapFacesPutsEachSourceOnItsFace) {
  auto o = options("astronaut.png", "astronaut.png", "mapped.png");
  o.target = two_faces(dir_);
  // Only the right face (position 1) gets a source: the left one stays as it was.
  std::ofstream(dir_ / "map.json") << R"({"mappings": [{"source": ")" << media("astronaut.png").string()
                                  << R"(", "target_face": 1}]})";
  o.map_faces = dir_ / "map.json";
  const auto report = run_image_job(o);
  EXPECT_EQ(report.processed_faces, 1u);
  const auto before = cv::imread(o.target.string());
  const auto after = cv::imread(report.output.string());
  EXPECT_EQ(changed_pixels(before, after, {0, 0, 512, 512}), 0);
  EXPECT_GT(changed_pixels(before, after, {512, 0, 512, 512}), 1000);
}

// --mouth-mask: the target's own mouth comes back after the swap.
TEST_F(ImageJob, MouthMaskKeepsTheTargetsMouth) {
  auto plain = options("astronaut.png", "grace_hopper.jpg", "plain.png");
  auto masked = options("astronaut.png", "grace_hopper.jpg", "masked.png");
  masked.mouth_mask = true;
  const auto a = cv::imread(run_image_job(plain).output.string());
  const auto b = cv::imread(run_image_job(masked).output.string());
  const auto original = cv::imread(media("grace_hopper.jpg").string());
  // Grace Hopper's mouth, from dlib's 68 points on the original photo.
  AnalyserOptions analyser;
  analyser.detector = "dlib";
  FaceAnalyser lookup(analyser);
  auto faces = lookup.detect(original);
  ASSERT_EQ(faces.size(), 1u);
  lookup.add_landmarks(original, faces[0]);
  const auto mouth = cv::boundingRect(std::vector<cv::Point2f>(faces[0].landmarks.begin() + 60, faces[0].landmarks.begin() + 68));
  cv::Mat plain_diff, masked_diff;
  cv::absdiff(a(mouth), original(mouth), plain_diff);
  cv::absdiff(b(mouth), original(mouth), masked_diff);
  EXPECT_LT(cv::mean(masked_diff)[1] * 3, cv::mean(plain_diff)[1]) << "the inner mouth is the target's again";
}

TEST_F(ImageJob, EnhancerRunsAfterTheSwap) {
  const auto models = dir_ / "models";
  std::filesystem::create_directory(models);
  std::filesystem::copy_file(test::fixture_model("GFPGANv1.4.onnx"), models / "GFPGANv1.4.onnx");
  auto o = options("astronaut.png", "grace_hopper.jpg", "enhanced.png", {models});
  o.chain.frame_processors = {"face_swapper", "face_enhancer"};
  const auto report = run_image_job(o);
  EXPECT_EQ(report.processors, (std::vector<std::string>{"face_swapper (classic: no inswapper_128.onnx)",
                                                         "face_enhancer (GFPGANv1.4.onnx)"}));
  EXPECT_EQ(report.processed_faces, 1u);
}

}  // namespace
}  // namespace dlc::pipeline

// --- the flag table's promises, through the image job ---

namespace dlc::pipeline {
namespace {

// A models folder holding the given fixtures, each under the name the job looks for.
std::filesystem::path models_folder(const std::filesystem::path& dir,
                                    std::initializer_list<std::pair<const char*, const char*>> fixtures) {
  const auto models = dir / "models";
  std::filesystem::create_directories(models);
  for (const auto& [fixture, name] : fixtures) {
    std::filesystem::copy_file(test::fixture_model(fixture), models / name,
                               std::filesystem::copy_options::overwrite_existing);
  }
  return models;
}

std::filesystem::path side_by_side(const std::filesystem::path& dir, const char* left, const char* right,
                                   const char* name) {
  const auto a = cv::imread(media(left).string(), cv::IMREAD_COLOR)(cv::Rect(0, 0, 512, 512));
  const auto b = cv::imread(media(right).string(), cv::IMREAD_COLOR)(cv::Rect(0, 0, 512, 512));
  cv::Mat both;
  cv::hconcat(a, b, both);
  const auto path = dir / name;
  cv::imwrite(path.string(), both);
  return path;
}

std::filesystem::path write_map(const std::filesystem::path& dir, const std::string& mappings) {
  const auto path = dir / "map.json";
  std::ofstream(path) << R"({"mappings": [)" << mappings << "]}";
  return path;
}

std::string index_mapping(const char* source, int face) {
  return fmt::format(R"({{"source": "{}", "target_face": {}}})", media(source).string(), face);
}

std::string reference_mapping(const char* source, const char* reference) {
  return fmt::format(R"({{"source": "{}", "reference": "{}"}})", media(source).string(), media(reference).string());
}

const cv::Rect kLeft(0, 0, 512, 512);
const cv::Rect kRight(512, 0, 512, 512);

// --map-faces with three mappings builds one inswapper session, and each mapping gets its own
// source's latent: the face mapped from the astronaut is exactly what `-s astronaut` gives it.
TEST_F(ImageJob, MapFacesBuildsOneSwapperSessionForEveryMapping) {
  const auto models = models_folder(dir_, {{"w600k_r50.onnx", "w600k_r50.onnx"}, {"inswapper_128.onnx", "inswapper_128.onnx"}});
  const auto target = side_by_side(dir_, "astronaut.png", "grace_hopper.jpg", "two.png");
  auto mapped = options("grace_hopper.jpg", "astronaut.png", "mapped.png", {models});
  mapped.target = target;
  mapped.map_faces = write_map(dir_, index_mapping("astronaut.png", 0) + ", " + index_mapping("grace_hopper.jpg", 1) +
                                         ", " + index_mapping("astronaut.png", 1));
  const auto built = processors::FaceSwapper::sessions_built();
  const auto report = run_image_job(mapped);
  EXPECT_EQ(processors::FaceSwapper::sessions_built() - built, 1u);
  EXPECT_EQ(report.processed_faces, 3u);

  auto plain = options("astronaut.png", "astronaut.png", "plain.png", {models});
  plain.target = target;
  run_image_job(plain);  // the leftmost face, from the astronaut
  const auto a = cv::imread((dir_ / "mapped.png").string());
  const auto b = cv::imread((dir_ / "plain.png").string());
  const auto before = cv::imread(target.string());
  EXPECT_GT(changed_pixels(before, a, kLeft), 1000);
  EXPECT_EQ(changed_pixels(a, b, kLeft), 0) << "face 0 did not get the astronaut's latent";
}

// By reference photo: the target face nearest to Grace Hopper's own photo is the right one.
TEST_F(ImageJob, MapFacesByReferencePhoto) {
  const auto models = models_folder(dir_, {{"w600k_r50.onnx", "w600k_r50.onnx"}, {"inswapper_128.onnx", "inswapper_128.onnx"}});
  auto o = options("astronaut.png", "astronaut.png", "ref.png", {models});
  o.target = side_by_side(dir_, "astronaut.png", "grace_hopper.jpg", "two.png");
  o.map_faces = write_map(dir_, reference_mapping("astronaut.png", "grace_hopper.jpg"));
  const auto report = run_image_job(o);
  EXPECT_EQ(report.processed_faces, 1u);
  const auto before = cv::imread(o.target.string());
  const auto after = cv::imread(report.output.string());
  EXPECT_EQ(changed_pixels(before, after, kLeft), 0);
  EXPECT_GT(changed_pixels(before, after, kRight), 1000);
}

// Every mapping is matched on the target as it was (c0e8613): the first mapping swaps Grace
// Hopper's face (the fixture swapper inverts its colours), and the second, by her reference photo,
// still finds her face, not the astronaut's that now looks more like her.
TEST_F(ImageJob, MapFacesMatchesEveryMappingOnTheUnswappedTarget) {
  const auto models = models_folder(dir_, {{"w600k_r50.onnx", "w600k_r50.onnx"}, {"inswapper_128.onnx", "inswapper_128.onnx"}});
  auto o = options("astronaut.png", "astronaut.png", "order.png", {models});
  o.target = side_by_side(dir_, "astronaut.png", "grace_hopper.jpg", "two.png");
  o.map_faces = write_map(dir_, index_mapping("astronaut.png", 1) + ", " + reference_mapping("astronaut.png", "grace_hopper.jpg"));
  const auto report = run_image_job(o);
  EXPECT_EQ(report.processed_faces, 2u);
  const auto before = cv::imread(o.target.string());
  const auto after = cv::imread(report.output.string());
  EXPECT_EQ(changed_pixels(before, after, kLeft), 0) << "the reference was matched on the swapped target";
  EXPECT_GT(changed_pixels(before, after, kRight), 1000);
}

double worst_difference(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  double worst = 0;
  cv::minMaxLoc(diff.reshape(1), nullptr, &worst);
  return worst;
}

// --opacity shapes the made face once, after the swapper and the enhancer: 0.5 leaves half of the
// original at every pixel (with the non-identity fixture enhancer, applying it to each step would
// leave a quarter and tint the rest).
TEST_F(ImageJob, OpacityComposesOnceAfterEveryStep) {
  const auto models = models_folder(dir_, {{"w600k_r50.onnx", "w600k_r50.onnx"},
                                           {"inswapper_128.onnx", "inswapper_128.onnx"},
                                           {"GFPGANv1.4.onnx", "GFPGANv1.4.onnx"}});
  auto full = options("astronaut.png", "grace_hopper.jpg", "full.png", {models});
  full.chain.frame_processors = {"face_swapper", "face_enhancer"};
  auto half = full;
  half.output = dir_ / "half.png";
  half.chain.paste.opacity = 0.5;
  run_image_job(full);
  EXPECT_EQ(run_image_job(half).processed_faces, 1u);
  const auto original = cv::imread(media("grace_hopper.jpg").string());
  const auto made = cv::imread((dir_ / "full.png").string());
  const auto result = cv::imread((dir_ / "half.png").string());
  EXPECT_GT(changed_pixels(original, made, cv::Rect(0, 0, original.cols, original.rows)), 10000);
  cv::Mat expected;
  cv::addWeighted(original, 0.5, made, 0.5, 0.0, expected);
  EXPECT_LE(worst_difference(result, expected), 1.0);
}

// --sharpness: the swapped face is sharper (more local contrast), nothing outside it changes.
TEST_F(ImageJob, SharpnessSharpensTheSwappedFace) {
  const auto models = models_folder(dir_, {{"w600k_r50.onnx", "w600k_r50.onnx"}, {"inswapper_128.onnx", "inswapper_128.onnx"}});
  auto plain = options("astronaut.png", "grace_hopper.jpg", "plain.png", {models});
  auto sharp = plain;
  sharp.output = dir_ / "sharp.png";
  sharp.chain.paste.sharpness = 3.0;
  run_image_job(plain);
  run_image_job(sharp);
  const auto original = cv::imread(media("grace_hopper.jpg").string());
  const auto a = cv::imread((dir_ / "plain.png").string());
  const auto b = cv::imread((dir_ / "sharp.png").string());
  FaceAnalyser analyser(plain.analyser);
  const auto faces = analyser.detect(original);
  ASSERT_EQ(faces.size(), 1u);
  const auto footprint = processors::FaceSwapper::footprint(*processors::swapper_model_named("inswapper_128"), original.size(), faces[0], true);
  const auto contrast = [&](const cv::Mat& m) {
    cv::Mat lap;
    cv::Laplacian(m(cv::Rect(faces[0].box) & footprint.region), lap, CV_32F);
    cv::Scalar mean, dev;
    cv::meanStdDev(lap, mean, dev);
    return dev[0];
  };
  EXPECT_GT(contrast(b), 1.3 * contrast(a));
  cv::Mat outside = cv::Mat::ones(original.size(), CV_8U);
  outside(footprint.region).setTo(0);
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  cv::Mat gray;
  cv::cvtColor(diff, gray, cv::COLOR_BGR2GRAY);
  EXPECT_EQ(cv::countNonZero(gray.mul(outside)), 0);
}

// --face-selector largest | best: of two faces, the one that rule picks, even when it is not the
// leftmost (the photos are placed so that it is on the right).
TEST_F(ImageJob, FaceSelectorLargestAndBest) {
  for (const auto selector : {face::Selector::kLargest, face::Selector::kBest}) {
    SCOPED_TRACE(static_cast<int>(selector));
    std::filesystem::path target;
    for (const auto& [left, right] : {std::pair{"astronaut.png", "grace_hopper.jpg"}, std::pair{"grace_hopper.jpg", "astronaut.png"}}) {
      const auto candidate = side_by_side(dir_, left, right, "pair.png");
      const auto image = cv::imread(candidate.string());
      auto faces = FaceAnalyser(options("astronaut.png", "astronaut.png", "x.png").analyser).detect(image);
      ASSERT_EQ(faces.size(), 2u);
      const auto chosen = face::select_face(faces, selector);
      ASSERT_TRUE(chosen);
      if (faces[*chosen].box.x > 512) {
        target = dir_ / "selected.png";
        std::filesystem::rename(candidate, target);
        break;
      }
    }
    ASSERT_FALSE(target.empty()) << "no arrangement puts the selected face on the right";
    auto o = options("astronaut.png", "astronaut.png", "selector.png");
    o.target = target;
    o.target_selector = selector;
    EXPECT_EQ(run_image_job(o).processed_faces, 1u);
    const auto before = cv::imread(target.string());
    const auto after = cv::imread((dir_ / "selector.png").string());
    EXPECT_EQ(changed_pixels(before, after, kLeft), 0);
    EXPECT_GT(changed_pixels(before, after, kRight), 1000);
  }
}

// --paste-back legacy: insightface's eroded mask, not the soft ellipse: another result, still only
// inside the crop's box.
TEST_F(ImageJob, PasteBackLegacyIsInsightfacesMask) {
  const auto models = models_folder(dir_, {{"w600k_r50.onnx", "w600k_r50.onnx"}, {"inswapper_128.onnx", "inswapper_128.onnx"}});
  auto soft = options("astronaut.png", "grace_hopper.jpg", "soft.png", {models});
  auto legacy = soft;
  legacy.output = dir_ / "legacy.png";
  legacy.chain.paste_mode = processors::PasteMode::kLegacy;
  run_image_job(soft);
  const auto report = run_image_job(legacy);
  expect_face_swapped(report, media("grace_hopper.jpg"), Bound::kSwapCrop);
  const auto a = cv::imread((dir_ / "soft.png").string());
  const auto b = cv::imread((dir_ / "legacy.png").string());
  EXPECT_GT(changed_pixels(a, b, cv::Rect(0, 0, a.cols, a.rows)), 1000) << "--paste-back legacy changed nothing";
}

// GPEN-BFR-256/512 and gfpgan-1024 through the job: the face comes back in the fixture's known
// colours ((B, G, R) → (0.8R, 0.8B, 0.8G) + 12.75) where the feathered square is full, pasted at
// the model's own resolution, and nothing outside the crop changes.
TEST_F(ImageJob, EnhancersGpenAndGfpgan1024) {
  // Mean error allowed: the bilinear round trip through the crop (GPEN-256 samples Grace Hopper's
  // face coarser than the photo, 3.5 levels measured); a BGR or x/255 mistake costs tens of levels.
  const std::tuple<const char*, const char*, double> cases[] = {
      {"face_enhancer_gpen256", "GPEN-BFR-256.onnx", 5.0},
      {"face_enhancer_gpen512", "GPEN-BFR-512.onnx", 2.5},
      {"face_enhancer", "gfpgan-1024.onnx", 2.5},
  };
  for (const auto& [processor, model, tolerance] : cases) {
    SCOPED_TRACE(model);
    const auto folder = dir_ / model;
    std::filesystem::create_directories(folder);
    std::filesystem::copy_file(test::fixture_model(model), folder / model);
    auto o = options("astronaut.png", "grace_hopper.jpg", "enhanced.png", {folder});
    o.chain.frame_processors = {processor};
    const auto report = run_image_job(o);
    EXPECT_EQ(report.processors, std::vector<std::string>{fmt::format("{} ({})", processor, model)});
    const auto before = cv::imread(media("grace_hopper.jpg").string());
    const auto after = cv::imread(report.output.string());
    FaceAnalyser analyser(o.analyser);
    const auto faces = analyser.detect(before);
    ASSERT_EQ(faces.size(), 1u);
    // GPEN is aligned and feathered as Deep-Live-Cam's GPEN path, GFPGAN as its GFPGAN path.
    const bool gpen = std::string_view(processor) != "face_enhancer";
    const auto footprint = gpen ? processors::FaceEnhancer::gpen_footprint(before.size(), faces[0], true)
                                : processors::FaceEnhancer::footprint(before.size(), faces[0], true);
    double error = 0;
    double effect = 0;
    int inside = 0;
    int changed_outside = 0;
    for (int y = 0; y < before.rows; ++y) {
      for (int x = 0; x < before.cols; ++x) {
        const cv::Point p(x, y);
        const auto b = before.at<cv::Vec3b>(p);
        const auto a = after.at<cv::Vec3b>(p);
        if (!footprint.region.contains(p)) {
          changed_outside += a != b ? 1 : 0;
          continue;
        }
        if (footprint.mask.at<std::uint8_t>(p - footprint.region.tl()) < 255) continue;
        const cv::Vec3d expected(0.8 * b[2] + 12.75, 0.8 * b[0] + 12.75, 0.8 * b[1] + 12.75);
        for (int c = 0; c < 3; ++c) {
          error += std::abs(a[c] - expected[c]);
          effect += std::abs(a[c] - b[c]);
        }
        ++inside;
      }
    }
    ASSERT_GT(inside, 10000);
    EXPECT_LT(error / (3.0 * inside), tolerance);
    EXPECT_GT(effect / (3.0 * inside), 10.0);
    EXPECT_EQ(changed_outside, 0);
  }
}

// A swapper whose output is NaN: reported once for the run (not once per face), faces unchanged.
TEST_F(ImageJob, NanSwapperOutputIsReportedOnce) {
  const auto models = models_folder(dir_, {{"w600k_r50.onnx", "w600k_r50.onnx"}, {"nan/inswapper_128.onnx", "inswapper_128.onnx"}});
  auto o = options("astronaut.png", "astronaut.png", "nan.png", {models});
  o.target = side_by_side(dir_, "astronaut.png", "grace_hopper.jpg", "two.png");
  o.many_faces = true;
  std::ostringstream log;
  const auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log)));
  const auto report = run_image_job(o);
  spdlog::set_default_logger(previous);
  EXPECT_EQ(report.processed_faces, 2u);
  const auto text = log.str();
  std::size_t reports = 0;
  for (auto at = text.find("output is NaN"); at != std::string::npos; at = text.find("output is NaN", at + 1)) ++reports;
  EXPECT_EQ(reports, 1u) << text;
  EXPECT_NE(text.find("inswapper_128.onnx"), std::string::npos) << text;
  const auto before = cv::imread(o.target.string());
  const auto after = cv::imread(report.output.string());
  EXPECT_EQ(changed_pixels(before, after, cv::Rect(0, 0, before.cols, before.rows)), 0);
}

// The chain's classic_clone_factor (dlc live sets kLiveCloneFactor) reaches the classic swapper of
// the -s face and of every --map-faces source; images keep the full solve.
TEST_F(ImageJob, ClassicCloneFactorReachesTheSwapper) {
  const auto source = cv::imread(media("astronaut.png").string());
  for (const int factor : {processors::ClassicSwapper::kCloneFactor, processors::ClassicSwapper::kLiveCloneFactor}) {
    auto o = options("astronaut.png", "grace_hopper.jpg", "x.png", std::vector<std::filesystem::path>{});
    if (factor != processors::ClassicSwapper::kCloneFactor) o.chain.classic_clone_factor = factor;
    FaceAnalyser analyser(o.analyser);
    ProcessorChain chain(source, "astronaut.png", analyser, o.chain);
    const auto processor = chain.step(0).processor();
    const auto* classic = dynamic_cast<const processors::ClassicSwapper*>(processor.get());
    ASSERT_NE(classic, nullptr);
    EXPECT_EQ(classic->clone_factor(), factor);
  }
  EXPECT_EQ(processors::ClassicSwapper::kCloneFactor, 1);
  EXPECT_EQ(processors::ClassicSwapper::kLiveCloneFactor, 2);
}

// A face whose keypoints or landmarks cannot place a crop (NaN, or far outside any frame) is
// skipped: the chain says so and the frame keeps every pixel, with or without composition.
TEST_F(ImageJob, UnplaceableFacesAreSkipped) {
  const auto models = models_folder(dir_, {{"w600k_r50.onnx", "w600k_r50.onnx"}, {"inswapper_128.onnx", "inswapper_128.onnx"},
                                           {"GFPGANv1.4.onnx", "GFPGANv1.4.onnx"}});
  const auto source = cv::imread(media("astronaut.png").string());
  const auto frame = cv::imread(media("grace_hopper.jpg").string());
  for (const bool neural : {true, false}) {
    for (const double opacity : {1.0, 0.5}) {
      SCOPED_TRACE(fmt::format("{} opacity {}", neural ? "inswapper" : "classic", opacity));
      auto o = options("astronaut.png", "grace_hopper.jpg", "x.png", neural ? std::vector{models} : std::vector<std::filesystem::path>{});
      o.chain.frame_processors = neural ? std::vector<std::string>{"face_swapper", "face_enhancer"}
                                        : std::vector<std::string>{"face_swapper"};
      o.chain.paste.opacity = opacity;
      FaceAnalyser analyser(o.analyser);
      const ProcessorChain chain(source, "astronaut.png", analyser, o.chain);
      auto faces = analyser.detect(frame);
      ASSERT_EQ(faces.size(), 1u);
      analyser.add_landmarks(frame, faces[0]);
      for (const float bad : {std::numeric_limits<float>::quiet_NaN(), 1e30f}) {
        auto face = faces[0];
        face.kps[1].x = bad;
        if (!face.landmarks.empty()) face.landmarks[10].y = bad;
        auto work = frame.clone();
        EXPECT_FALSE(chain.process(work, face));
        EXPECT_EQ(changed_pixels(frame, work, cv::Rect(0, 0, frame.cols, frame.rows)), 0);
      }
      auto work = frame.clone();
      EXPECT_TRUE(chain.process(work, faces[0]));
      EXPECT_GT(changed_pixels(frame, work, cv::Rect(0, 0, frame.cols, frame.rows)), 1000);
    }
  }
}

// --nsfw-filter on an image: the fixture open_nsfw.onnx scores a mean pixel value above 141.6 over
// Deep-Live-Cam's 0.85. A grey 200 target is refused before anything is written (no output, no
// temporary); a grey 100 target passes and is written.
TEST_F(ImageJob, NsfwFilterRefusesOrPassesTheWholeImage) {
  for (const int grey : {200, 100}) {
    const auto target = dir_ / ("grey" + std::to_string(grey) + ".png");
    cv::imwrite(target.string(), cv::Mat(240, 320, CV_8UC3, cv::Scalar::all(grey)));
    auto o = options("astronaut.png", "grace_hopper.jpg", grey == 200 ? "refused.png" : "passed.png");
    o.target = target;
    o.nsfw_model = test::fixture_model("open_nsfw.onnx");
    const auto before = files_in_dir();
    if (grey == 200) {
      EXPECT_THROW(run_image_job(o), processors::NsfwRefused);
      EXPECT_FALSE(std::filesystem::exists(o.output));
      EXPECT_EQ(files_in_dir(), before) << "nothing written, not even a temporary";
    } else {
      run_image_job(o);
      EXPECT_TRUE(std::filesystem::exists(o.output));
    }
  }
}

}  // namespace
}  // namespace dlc::pipeline
