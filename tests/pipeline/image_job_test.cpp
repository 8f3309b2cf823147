#include "pipeline/image_job.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fstream>

#include "face/alignment.hpp"
#include "processors/inswapper.hpp"
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
