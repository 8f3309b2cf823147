#include "pipeline/frame_swapper.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include <fmt/format.h>

#include <fstream>

#include "support/paths.hpp"
#include "support/people_clip.hpp"

namespace dlc::pipeline {
namespace {

face::Face face_at(float x, float y = 0, float size = 100) {
  face::Face f;
  f.box = {x, y, size, size};
  f.score = 0.9f;
  f.has_kps = true;
  for (std::size_t k = 0; k < 5; ++k) f.kps[k] = {x + 20.0f * static_cast<float>(k), y + 50};
  return f;
}

FaceTracks::Choose all() {
  return [](const std::vector<face::TrackedFace>& faces) {
    std::vector<std::size_t> v(faces.size());
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = i;
    return v;
  };
}

face::TrackerOptions no_smoothing(int hold = 0) {
  face::TrackerOptions o;
  o.hold_frames = hold;
  return o;
}

TEST(FaceTracks, EveryFrameDetectsWhenNIsOne) {
  FaceTracks tracks(1, no_smoothing());
  const cv::Mat frame(200, 300, CV_8UC3, cv::Scalar::all(0));
  int calls = 0;
  for (int i = 0; i < 5; ++i) {
    const auto f = tracks.faces(i, i / 25.0, frame, [&] { return ++calls, std::vector{face_at(4.0f * i)}; }, all());
    EXPECT_EQ(f.faces.at(0).face.box.x, 4.0f * i);
  }
  EXPECT_EQ(calls, 5);
}

// Frames 0..29 of a face moving 4 px a frame, from three threads in scrambled order: only the key
// frames (every 3rd) detect, and every frame between is carried along the track's motion — the
// tracker saw the frames in order, or the carried boxes would not follow the motion.
TEST(FaceTracks, ThreadsInAnyOrderTrackInFrameOrderAndCarryBetweenKeys) {
  constexpr int kEvery = 3;
  constexpr int kFrames = 30;
  FaceTracks tracks(kEvery, no_smoothing());
  const cv::Mat frame(200, 300, CV_8UC3, cv::Scalar::all(0));
  std::atomic<int> calls{0};
  std::vector<float> seen(kFrames, -1);
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 random(static_cast<unsigned>(t));
      for (int i = next++; i < kFrames; i = next++) {
        std::this_thread::sleep_for(std::chrono::microseconds(random() % 500));
        const auto f = tracks.faces(
            i, i / 25.0, frame, [&] { return ++calls, std::vector{face_at(4.0f * static_cast<float>(i))}; }, all());
        seen[static_cast<std::size_t>(i)] = f.faces.at(0).face.box.x;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(calls.load(), kFrames / kEvery);
  // Once the speed estimate has settled (a few key frames), each frame within 1.5 px of its true
  // place; held still, the frames between would be 4 and 8 px off.
  for (int i = 4 * kEvery; i < kFrames; ++i) EXPECT_NEAR(seen[static_cast<std::size_t>(i)], 4.0f * i, 1.5f) << i;
  for (int i = kEvery + 1; i < kFrames; ++i) EXPECT_GT(seen[static_cast<std::size_t>(i)], seen[static_cast<std::size_t>(i - 1)]) << i;
}

// A key frame whose detection fails lets the frames after it go on.
TEST(FaceTracks, AFailedKeyFrameLetsTheNextFramesGoOn) {
  FaceTracks tracks(2, no_smoothing());
  const cv::Mat frame(200, 300, CV_8UC3, cv::Scalar::all(0));
  EXPECT_THROW(tracks.faces(0, 0.0, frame, []() -> std::vector<face::Face> { throw std::runtime_error("x"); }, all()),
               std::runtime_error);
  EXPECT_TRUE(tracks.faces(1, 0.04, frame, [] { return std::vector{face_at(1)}; }, all()).faces.empty());
  EXPECT_EQ(tracks.faces(2, 0.08, frame, [] { return std::vector{face_at(1)}; }, all()).faces.size(), 1u);
}

// --face-hold on the real portrait: a frame blurred so hard that the detector misses the face
// keeps the face (gap fill); a cut to another picture drops it at once.
TEST(FaceTracks, AHeldFaceSurvivesABlurButNotACut) {
  const auto photo = cv::imread(test::source_tree_file(".cache/media/grace_hopper.jpg").string());
  if (photo.empty()) GTEST_SKIP() << ".cache/media/grace_hopper.jpg is missing (scripts/setup.sh fetches it)";
  const auto face = face_at(150, 120, 220);
  cv::Mat blurred;
  cv::blur(photo, blurred, {31, 31});
  const cv::Mat other(photo.size(), CV_8UC3, cv::Scalar(40, 160, 90));
  const auto detect_face = [&] { return std::vector{face}; };
  const auto detect_none = [] { return std::vector<face::Face>{}; };
  FaceTracks tracks(1, no_smoothing(3));
  ASSERT_EQ(tracks.faces(0, 0.0, photo, detect_face, all()).faces.size(), 1u);
  const auto held = tracks.faces(1, 0.04, blurred, detect_none, all());
  ASSERT_EQ(held.faces.size(), 1u);
  EXPECT_TRUE(held.faces[0].predicted);
  ASSERT_EQ(tracks.faces(2, 0.08, photo, detect_face, all()).faces.size(), 1u);
  EXPECT_TRUE(tracks.faces(3, 0.12, other, detect_none, all()).faces.empty());
  EXPECT_TRUE(tracks.faces(4, 0.16, photo(cv::Rect(0, 0, 100, 100)).clone(), detect_none, all()).faces.empty());
}

std::vector<face::TrackedFace> tracked(std::vector<std::pair<std::uint64_t, float>> id_x) {
  std::vector<face::TrackedFace> v;
  for (const auto& [id, x] : id_x) v.push_back({id, 1, false, face_at(x)});
  return v;
}

TEST(ChooseFaces, SingleFaceModeStaysOnItsTrack) {
  FaceJobOptions job;
  std::optional<std::uint64_t> chosen;
  EXPECT_EQ(choose_faces(tracked({{1, 300}, {2, 100}}), job, chosen), std::vector<std::size_t>{1});  // leftmost
  EXPECT_EQ(chosen, 2u);
  // Another face comes in further left: the chosen one keeps being swapped.
  EXPECT_EQ(choose_faces(tracked({{3, 10}, {1, 300}, {2, 110}}), job, chosen), std::vector<std::size_t>{2});
  // Its track gone: the selector picks again.
  EXPECT_EQ(choose_faces(tracked({{3, 10}, {1, 300}}), job, chosen), std::vector<std::size_t>{0});
  EXPECT_EQ(chosen, 3u);
  EXPECT_TRUE(choose_faces({}, job, chosen).empty());
  EXPECT_FALSE(chosen);
  job.many_faces = true;
  EXPECT_EQ(choose_faces(tracked({{3, 10}, {1, 300}}), job, chosen).size(), 2u);
}

// --face-selector reference: only the face near the reference is swapped, on every frame, and no
// face at all when none is near enough (never a fallback to another person).
TEST(ChooseFaces, ReferenceModeTakesOnlyTheReferencePerson) {
  FaceJobOptions job;
  job.target_selector = face::Selector::kReference;
  job.reference_distance = 0.4f;
  job.many_faces = true;  // the reference wins over --many-faces
  std::optional<std::uint64_t> chosen;
  auto faces = tracked({{1, 10}, {2, 300}});
  faces[0].face.embedding = {1, 0};
  faces[1].face.embedding = {0.9f, 0.4359f};  // similarity 0.44 with the reference: 0.56 away
  const std::vector<float> reference{0, 1};
  EXPECT_TRUE(choose_faces(faces, job, chosen, reference).empty());  // none within 0.4
  faces[1].face.embedding = {0.6f, 0.8f};  // 0.2 away
  EXPECT_EQ(choose_faces(faces, job, chosen, reference), std::vector<std::size_t>{1});
  faces[0].face.embedding = {0.0f, 1.0f};  // now the other one is nearer
  EXPECT_EQ(choose_faces(faces, job, chosen, reference), std::vector<std::size_t>{0});
}

// The three people of support/people_clip through the frame swapper with the fixture recognizer
// and swapper (BlazeFace finds the faces), smoothing off so that every run tracks alike.
class PeopleClip : public testing::Test {
 protected:
  void SetUp() override {
    people_ = test::three_people();
    if (people_.empty()) GTEST_SKIP() << ".cache/media's photos are missing (scripts/setup.sh fetches them)";
    dir_ = test::make_temp_dir();
    photos_ = test::write_people(dir_);
    models_ = dir_ / "models";
    std::filesystem::create_directory(models_);
    for (const char* name : {"w600k_r50.onnx", "inswapper_128.onnx"}) {
      std::filesystem::copy_file(test::fixture_model(name), models_ / name);
    }
    if (!find_blazeface({models_})) GTEST_SKIP() << "BlazeFace's model is missing (scripts/setup.sh puts it)";
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  FaceJobOptions job(const std::filesystem::path& source) const {
    FaceJobOptions o;
    o.source = source;
    o.analyser.search_path = {models_};
    return o;
  }
  // Frames 0..kFrames-1 of the panned clip through a swapper built from `o`.
  std::vector<cv::Mat> run(const FaceJobOptions& o) const {
    SwapperOptions swapper;
    swapper.frames_in_flight = 1;
    FrameSwapper frames(o, swapper);
    std::vector<cv::Mat> out;
    for (int i = 0; i < kFrames; ++i) {
      auto frame = test::three_people_frame(people_, i);
      frames.process(frame, i);
      out.push_back(frame);
    }
    return out;
  }
  static double differing(const cv::Mat& a, const cv::Mat& b, int person) {
    cv::Mat diff;
    cv::absdiff(a(test::person_region(person)), b(test::person_region(person)), diff);
    return cv::countNonZero(diff.reshape(1));
  }
  static constexpr int kFrames = 6;
  cv::Mat people_;
  std::filesystem::path dir_, models_;
  std::vector<std::filesystem::path> photos_;
};

// --map-faces on a video: A gets the astronaut's face and B Grace Hopper's on every frame, each
// exactly what `-s` with that source and --many-faces gives that face; C, in no mapping, is left
// as it was. The mappings name their people by reference photos, C's tinted look is nobody's.
TEST_F(PeopleClip, MapFacesSwapsEachPersonWithTheirOwnSourceAndLeavesTheThirdAlone) {
  const auto astronaut = test::source_tree_file(".cache/media/astronaut.png");
  const auto grace = test::source_tree_file(".cache/media/grace_hopper.jpg");
  auto mapped = job({});
  mapped.map_faces = dir_ / "map.json";
  std::ofstream(mapped.map_faces) << fmt::format(
      R"({{"mappings": [{{"source": "{}", "reference": "{}"}}, {{"source": "{}", "reference": "{}"}}]}})",
      astronaut.string(), photos_[0].string(), grace.string(), photos_[1].string());
  auto all_astronaut = job(astronaut);
  all_astronaut.many_faces = true;
  auto all_grace = job(grace);
  all_grace.many_faces = true;
  const auto out = run(mapped);
  const auto a = run(all_astronaut);
  const auto b = run(all_grace);
  for (int i = 0; i < kFrames; ++i) {
    const auto original = test::three_people_frame(people_, i);
    EXPECT_GT(differing(out[i], original, 0), 1000) << "frame " << i << ": A not swapped";
    EXPECT_GT(differing(out[i], original, 1), 1000) << "frame " << i << ": B not swapped";
    EXPECT_EQ(differing(out[i], a[i], 0), 0) << "frame " << i << ": A did not get the astronaut's face";
    EXPECT_EQ(differing(out[i], b[i], 1), 0) << "frame " << i << ": B did not get Grace Hopper's face";
    EXPECT_EQ(differing(out[i], original, 2), 0) << "frame " << i << ": C, unmapped, was changed";
    // The two sources give these faces different pixels: the check above tells them apart.
    EXPECT_GT(differing(a[i], b[i], 0), 1000);
  }
}

// A mapping of a face by position means nothing on a video: refused, naming the file.
TEST_F(PeopleClip, MapFacesByPositionIsRefusedOnAVideo) {
  auto mapped = job({});
  mapped.map_faces = dir_ / "map.json";
  std::ofstream(mapped.map_faces) << fmt::format(R"({{"mappings": [{{"source": "{}", "target_face": 0}}]}})",
                                                 photos_[0].string());
  try {
    FrameSwapper swapper(mapped, {});
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("map.json': a face by its position"), std::string::npos) << e.what();
  }
}

// --face-selector reference on the clip: only B (the reference photo's person) changes, on every
// frame; A and C stay as they were.
TEST_F(PeopleClip, ReferenceModeSwapsOnlyTheReferencePersonOnEveryFrame) {
  auto o = job(test::source_tree_file(".cache/media/grace_hopper.jpg"));
  o.target_selector = face::Selector::kReference;
  o.reference_face = photos_[1];
  const auto out = run(o);
  for (int i = 0; i < kFrames; ++i) {
    const auto original = test::three_people_frame(people_, i);
    EXPECT_EQ(differing(out[i], original, 0), 0) << "frame " << i;
    EXPECT_GT(differing(out[i], original, 1), 1000) << "frame " << i;
    EXPECT_EQ(differing(out[i], original, 2), 0) << "frame " << i;
  }
}

}  // namespace
}  // namespace dlc::pipeline
