#include "pipeline/face_analyser.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "face/alignment.hpp"
#include "face/dlib_face.hpp"
#include "face/nms.hpp"
#include "media/subprocess.hpp"
#include "pipeline/video_job.hpp"
#include "runtime/model_session.hpp"
#include "runtime/ort_runtime.hpp"
#include "support/paths.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <mutex>
#include <thread>

namespace dlc::pipeline {
namespace {

cv::Mat photo(const char* name) {
  const auto path = test::source_tree_file(".cache/media") / name;
  return cv::imread(path.string(), cv::IMREAD_COLOR);
}

AnalyserOptions options_for(const std::string& detector, std::vector<std::filesystem::path> search_path = {}) {
  AnalyserOptions options;
  options.detector = detector;
  options.search_path = std::move(search_path);
  return options;
}

bool inside(const cv::Rect2f& box, cv::Point2f p) {
  return p.x >= box.x && p.x <= box.br().x && p.y >= box.y && p.y <= box.br().y;
}

class RealPhotos : public testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    image_ = photo(GetParam());
    if (image_.empty()) GTEST_SKIP() << GetParam() << " missing: run scripts/setup.sh";
  }
  cv::Mat image_;
};

// Every detector that needs no download finds the one face of each photo, with its five points
// inside the box and in image order.
TEST_P(RealPhotos, EachDetectorFindsTheOneFace) {
  for (const char* detector : {"blazeface", "dlib"}) {
    FaceAnalyser analyser(options_for(detector));
    const auto faces = analyser.detect(image_);
    ASSERT_EQ(faces.size(), 1u) << detector;
    const auto& f = faces[0];
    ASSERT_TRUE(f.has_kps) << detector;
    for (const auto& p : f.kps) EXPECT_TRUE(inside(f.box, p)) << detector << " " << p;
    EXPECT_LT(f.kps[face::kLeftEye].x, f.kps[face::kRightEye].x) << detector;
    EXPECT_LT(f.kps[face::kLeftMouth].x, f.kps[face::kRightMouth].x) << detector;
    EXPECT_LT(f.kps[face::kLeftEye].y, f.kps[face::kNose].y) << detector;
    EXPECT_LT(f.kps[face::kNose].y, f.kps[face::kLeftMouth].y) << detector;
  }
}

TEST_P(RealPhotos, BlazeFaceAndDlibAgree) {
  FaceAnalyser blaze(options_for("blazeface"));
  FaceAnalyser hog(options_for("dlib"));
  const auto a = blaze.detect(image_);
  const auto b = hog.detect(image_);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_GE(face::iou(a[0].box, b[0].box), 0.5f) << a[0].box << " vs " << b[0].box;
}

// The aligned crop is centred on the eyes: measured by finding the eyes again in the crop (at
// twice ArcFace's 112 so dlib's 80-pixel detector window fits) and comparing with the template.
TEST_P(RealPhotos, AlignedCropPutsTheEyesOnTheTemplate) {
  FaceAnalyser analyser(options_for("blazeface"));
  const auto faces = analyser.detect(image_);
  ASSERT_EQ(faces.size(), 1u);
  constexpr int kSize = 224;
  const auto target = face::arcface_template(kSize);
  cv::Mat crop;
  face::warp_crop(image_, face::align_to(faces[0].kps, target), kSize, crop);
  const auto found = face::DlibDetector(0).detect(crop);
  ASSERT_EQ(found.size(), 1u);
  const auto eyes = face::keypoints_from_68(face::DlibLandmarks().landmarks(crop, found[0].box));
  // Within 3 px of the template at 112 (6 px here): the eyes sit where ArcFace expects them.
  for (const auto k : {face::kLeftEye, face::kRightEye}) {
    EXPECT_NEAR(eyes[k].x, target[k].x, 6.0) << GetParam();
    EXPECT_NEAR(eyes[k].y, target[k].y, 6.0) << GetParam();
  }
}

INSTANTIATE_TEST_SUITE_P(Debian, RealPhotos, testing::Values("astronaut.png", "grace_hopper.jpg"),
                         [](const testing::TestParamInfo<const char*>& param_info) {
                           return std::string(param_info.param).substr(0, std::string(param_info.param).find('.'));
                         });

TEST(ChooseDetector, AutoPrefersAValidDet10g) {
  EXPECT_EQ(choose_detector(options_for("auto", {test::fixture_model("")})).kind, "scrfd");
  // A det_10g.onnx with the wrong outputs stops the job: BlazeFace stands in only for an absent file.
  EXPECT_THROW(choose_detector(options_for("auto", {test::fixture_model("broken")})), runtime::ModelError);
  EXPECT_NE(choose_detector(options_for("auto", {"/nonexistent-models"})).kind, "scrfd");
  EXPECT_EQ(choose_detector(options_for("dlib", {test::fixture_model("")})).kind, "dlib");
  EXPECT_THROW(choose_detector(options_for("scrfd", {test::fixture_model("broken")})), runtime::ModelError);
}

TEST(FaceAnalyser, LoadsOnlyWhatIsUsed) {
  FaceAnalyser analyser(options_for("scrfd", {test::fixture_model("")}));
  EXPECT_TRUE(analyser.loaded().empty());
  cv::Mat frame(360, 640, CV_8UC3, cv::Scalar::all(0));
  cv::rectangle(frame, cv::Rect(320, 160, 40, 40), cv::Scalar::all(255), cv::FILLED);
  auto faces = analyser.detect(frame);
  EXPECT_EQ(analyser.loaded(), std::vector<std::string>{"detector"});  // SCRFD gives the five points
  ASSERT_FALSE(faces.empty());
  analyser.embed(frame, faces[0]);
  EXPECT_EQ(faces[0].embedding.size(), 512u);
  EXPECT_EQ(analyser.loaded(), (std::vector<std::string>{"detector", "recognizer"}));
  analyser.release_recognizer();
  EXPECT_EQ(analyser.loaded(), std::vector<std::string>{"detector"});
}

TEST(FaceAnalyser, EmbeddingWithoutRecognizerNamesTheFile) {
  FaceAnalyser analyser(options_for("dlib", {"/nonexistent-models"}));
  face::Face f;
  f.has_kps = true;
  cv::Mat frame(200, 200, CV_8UC3, cv::Scalar::all(0));
  try {
    analyser.embed(frame, f);
    FAIL() << "no error";
  } catch (const runtime::ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("w600k_r50.onnx: not found"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dlc::pipeline

namespace dlc::pipeline {
namespace {

// A face too small for BlazeFace's 128 model in a 720p frame: the 256 model finds it.
TEST(FaceAnalyser, SmallFacesInALargeFrame) {
  const auto image = photo("astronaut.png");
  if (image.empty()) GTEST_SKIP() << "astronaut.png missing: run scripts/setup.sh";
  cv::Mat frame(720, 1280, CV_8UC3, cv::Scalar(90, 110, 130));
  image.copyTo(frame(cv::Rect(300, 80, image.cols, image.rows)));  // a ~90 px face
  FaceAnalyser analyser(options_for("blazeface"));
  const auto faces = analyser.detect(frame);
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_TRUE(faces[0].box.contains({300 + 225, 80 + 125})) << faces[0].box;  // the face's middle
}


// Locks guard state, not work: while one worker builds the detector's session, another worker's
// call that does not need the detector (what is loaded, the recognizer's embedding) goes on,
// and a second worker needing the detector waits for that build instead of making its own. The
// slow build is a provider observer (called while the session is being created) that waits until
// the main thread is done; a 20 s bound only ends the wait when the main thread is stuck, which is
// then the failure.
TEST(FaceAnalyser, AWorkerIsNotHeldUpWhileAnotherBuildsASession) {
  const auto image = photo("grace_hopper.jpg");
  if (image.empty()) GTEST_SKIP() << "grace_hopper.jpg missing: run scripts/setup.sh";
  auto options = options_for("scrfd", {test::fixture_model("det_10g.onnx").parent_path()});
  options.policy.providers = {"cuda", "cpu"};  // the observer sees only accelerators; cpu is the fallback
  std::latch building(1);
  std::promise<void> go;
  const auto released = go.get_future().share();
  std::atomic<int> detector_builds{0};
  std::atomic<bool> main_done{false};
  std::atomic<bool> main_done_before_release{false};
  runtime::set_provider_observer([&](const runtime::ProviderRequest& request) {
    if (request.model.filename() != "det_10g.onnx") return;
    if (detector_builds.fetch_add(1) > 0) return;
    building.count_down();
    released.wait_for(std::chrono::seconds(20));
    main_done_before_release = main_done.load();
  });
  FaceAnalyser analyser(options);
  std::thread first([&] { analyser.detect(image); });
  building.wait();
  std::thread second([&] { analyser.detect(image); });
  EXPECT_TRUE(analyser.loaded().empty());
  face::Face face;
  face.box = {100, 100, 200, 200};
  const cv::Point2f points[] = {{150, 160}, {250, 160}, {200, 210}, {160, 250}, {240, 250}};
  for (std::size_t i = 0; i < face.kps.size(); ++i) face.kps[i] = points[i];
  face.has_kps = true;
  analyser.embed(image, face);
  EXPECT_EQ(face.embedding.size(), 512u);
  main_done = true;
  go.set_value();
  first.join();
  second.join();
  runtime::set_provider_observer({});
  EXPECT_TRUE(main_done_before_release) << "the main thread waited for the detector's build";
  EXPECT_EQ(detector_builds.load(), 1) << "two workers built the same session";
  const auto loaded = analyser.loaded();
  EXPECT_NE(std::find(loaded.begin(), loaded.end(), "detector"), loaded.end());
  EXPECT_NE(std::find(loaded.begin(), loaded.end(), "recognizer"), loaded.end());
}

// The job's own release of the recognizer: when the video job builds the swapper for its frames,
// the recognizer's session (which read the source face) is gone; the detector stays for the frames.
TEST(FaceAnalyser, TheJobHoldsNoRecognizerWhenItsFirstFrameIsProcessed) {
  const auto grace = test::source_tree_file(".cache/media/grace_hopper.jpg");
  if (!std::filesystem::exists(grace)) GTEST_SKIP() << "the Debian photos are missing: run scripts/setup.sh";
  const auto dir = test::make_temp_dir();
  const auto models = dir / "models";
  std::filesystem::create_directory(models);
  for (const char* name : {"w600k_r50.onnx", "inswapper_128.onnx"}) {
    std::filesystem::copy_file(test::fixture_model(name), models / name);
  }
  const auto clip = dir / "grace.mp4";
  const auto made = media::run_process({"ffmpeg", "-v", "error", "-loop", "1", "-i", grace.string(), "-frames:v", "3",
                                        "-r", "25", "-c:v", "libx264", "-pix_fmt", "yuv420p", clip.string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  VideoJobOptions o;
  o.source = test::source_tree_file(".cache/media/astronaut.png");
  o.target = clip;
  o.output = dir / "out.mp4";
  o.analyser.search_path = {models};
  o.analyser.detector = "blazeface";
  o.workers = 1;
  // Resident: the swapper's session is built once the source face is read, before the first
  // frame; what is alive at that moment is what the frames run with.
  o.analyser.policy.providers = {"cuda", "cpu"};  // the observer sees accelerators; cpu is the fallback
  std::vector<std::string> at_first_frame;
  runtime::set_provider_observer([&](const runtime::ProviderRequest& request) {
    if (request.model.filename() != "inswapper_128.onnx" || !at_first_frame.empty()) return;
    for (const auto& model : runtime::OrtRuntime::instance().session_models()) {
      at_first_frame.push_back(model.filename().string());
    }
  });
  const auto report = run_video_job(o);
  runtime::set_provider_observer({});
  std::filesystem::remove_all(dir);
  ASSERT_EQ(report.frames, 3);
  ASSERT_FALSE(at_first_frame.empty()) << "the swapper's session was never built";
  EXPECT_EQ(std::count(at_first_frame.begin(), at_first_frame.end(), "w600k_r50.onnx"), 0);
  EXPECT_EQ(std::count(at_first_frame.begin(), at_first_frame.end(), "face_detection_back_256x256_barracuda.onnx"), 1);
}

}  // namespace
}  // namespace dlc::pipeline
