#include "pipeline/face_scan.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "media/video_writer.hpp"
#include "pipeline/image_job.hpp"
#include "runtime/model_session.hpp"
#include "support/paths.hpp"
#include "support/people_clip.hpp"

namespace dlc::pipeline {
namespace {

class FaceScan : public testing::Test {
 protected:
  void SetUp() override {
    people_ = test::three_people();
    if (people_.empty()) GTEST_SKIP() << ".cache/media's photos are missing (scripts/setup.sh fetches them)";
    dir_ = test::make_temp_dir();
    models_ = dir_ / "models";
    std::filesystem::create_directory(models_);
    std::filesystem::copy_file(test::fixture_model("w600k_r50.onnx"), models_ / "w600k_r50.onnx");
    if (!find_blazeface({models_})) GTEST_SKIP() << "BlazeFace's model is missing (scripts/setup.sh puts it)";
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  // The three people, panned, as an H.264 clip of `frames` frames.
  std::filesystem::path clip(int frames) const {
    media::VideoWriterOptions o;
    o.output = dir_ / "people.mp4";
    o.width = people_.cols;
    o.height = people_.rows;
    o.quality = 12;
    media::VideoWriter writer(o);
    for (int i = 0; i < frames; ++i) writer.write(test::three_people_frame(people_, i));
    writer.finish();
    return o.output;
  }
  FaceScanOptions options() const {
    FaceScanOptions o;
    o.analyser.search_path = {models_};
    return o;
  }
  cv::Mat people_;
  std::filesystem::path dir_, models_;
};

// Three people on every key frame: three clusters of one face per key frame each, in order of
// first appearance, with a unit centroid and a thumbnail.
TEST_F(FaceScan, FindsEachPersonOnceWithAThumbnailAndAUnitCentroid) {
  auto o = options();
  o.detect_every = 3;
  std::vector<FaceScanProgress> progress;
  const auto scan = scan_faces(clip(12), o, [&](const FaceScanProgress& p) { progress.push_back(p); });
  EXPECT_EQ(scan.frames, 12);
  EXPECT_EQ(scan.key_frames, 4);  // 0, 3, 6, 9
  ASSERT_EQ(scan.people.size(), 3u);
  EXPECT_EQ(scan.faces, 12);
  for (const auto& person : scan.people) {
    EXPECT_EQ(person.faces, 4) << "person " << person.id;
    EXPECT_EQ(person.first_frame, 0);
    EXPECT_EQ(person.last_frame, 9);
    ASSERT_EQ(person.centroid.size(), 512u);
    double length = 0;
    for (const float x : person.centroid) length += static_cast<double>(x) * x;
    EXPECT_NEAR(std::sqrt(length), 1.0, 1e-4);
    ASSERT_FALSE(person.thumbnail.empty());
    EXPECT_EQ(person.thumbnail.type(), CV_8UC3);
  }
  ASSERT_EQ(progress.size(), 4u);
  EXPECT_EQ(progress.back().people, 3u);
  EXPECT_EQ(progress.back().frames_total, 12);
}

// An image (the map-faces dialog's target): each face is a person of its own, even where the
// clustering would take them for one (a distance of 2).
TEST_F(FaceScan, AnImagesFacesAreEachAPerson) {
  const auto image = dir_ / "people.png";
  write_image_atomically(people_, image);
  auto o = options();
  o.max_distance = 2.0f;
  EXPECT_EQ(scan_faces(image, o).people.size(), 1u);
  o.each_face_a_person = true;
  const auto scan = scan_faces(image, o);
  EXPECT_EQ(scan.frames, 1);
  ASSERT_EQ(scan.people.size(), 3u);
  for (const auto& person : scan.people) {
    EXPECT_EQ(person.faces, 1) << "person " << person.id;
    EXPECT_FALSE(person.thumbnail.empty());
  }
}

// A distance of 2 takes every face for the same person: the threshold is the clustering's.
TEST_F(FaceScan, TheDistanceDecidesWhoIsTheSame) {
  auto o = options();
  o.max_distance = 2.0f;
  const auto scan = scan_faces(clip(2), o);
  ASSERT_EQ(scan.people.size(), 1u);
  EXPECT_EQ(scan.people[0].faces, 6);
}

// Without the recognizer the scan says which file is missing before it decodes anything.
TEST_F(FaceScan, WithoutTheRecognizerItNamesTheFile) {
  std::filesystem::remove(models_ / "w600k_r50.onnx");
  try {
    scan_faces(dir_ / "not-even-decoded.mp4", options());
    FAIL() << "no error";
  } catch (const runtime::ModelError& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find("w600k_r50.onnx"), std::string::npos) << text;
    EXPECT_NE(text.find("dlc models download recognizer"), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace dlc::pipeline
