// Each face detector on 720p and 1080p frames holding one of the Debian face photos (never a
// pass/fail test). Run: build/bench/dlc_face_bench [--benchmark_filter=...]
// The fixture det_10g (tests' build/fixtures) has SCRFD's input size but not its weights, so its
// figure is the preprocessing and decode cost plus a trivial network; the real det_10g costs
// 13.3 GMAC more (see dlc bench with the stand-in models).
// BM_DlibLandmarks: dlib's 68 points on Grace Hopper's face scaled to N px wide in a 1280x960
// frame (the box from dlib's own detector on the unscaled photo, scaled alike), one call per face;
// its CPU time is per call and thread.
// BM_HardNms: SCRFD's NMS on N random candidates (a low --face-detector-score), all of them looked
// at (top_k 0 = every candidate) or the kNmsTopK best.
#include <stdlib.h>

#include <benchmark/benchmark.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <limits>
#include <memory>
#include <random>

#include "face/blazeface_detector.hpp"
#include "face/dlib_face.hpp"
#include "face/nms.hpp"
#include "face/scrfd_detector.hpp"

namespace {

// dlib runs in dlc_dlib_face.so, which sits beside dlc, not beside this benchmark.
[[maybe_unused]] const bool dlib_module_named = setenv("DLC_DLIB_MODULE", DLC_DLIB_MODULE_PATH, 0) == 0;

using namespace dlc;

cv::Mat frame_with_face(int width, int height) {
  cv::Mat frame(height, width, CV_8UC3, cv::Scalar(90, 110, 130));
  const auto photo = cv::imread(DLC_SOURCE_DIR "/.cache/media/grace_hopper.jpg", cv::IMREAD_COLOR);
  if (!photo.empty()) photo.copyTo(frame(cv::Rect((width - photo.cols) / 2, (height - photo.rows) / 2, photo.cols, photo.rows)));
  return frame;
}

void run(benchmark::State& state, face::FaceDetector& detector) {
  const auto frame = frame_with_face(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  std::size_t faces = 0;
  for (auto _ : state) {
    faces = detector.detect(frame).size();
    benchmark::DoNotOptimize(faces);
  }
  state.counters["faces"] = static_cast<double>(faces);
}

void BM_BlazeFace(benchmark::State& state) {
  static face::BlazeFaceDetector detector(DLC_SOURCE_DIR "/third_party/blazeface/face_detection_front_128x128_barracuda.onnx",
                                          runtime::SessionPolicy{});
  run(state, detector);
}

void BM_BlazeFaceBack256(benchmark::State& state) {
  static face::BlazeFaceDetector detector(DLC_SOURCE_DIR "/third_party/blazeface/face_detection_back_256x256_barracuda.onnx",
                                          runtime::SessionPolicy{});
  run(state, detector);
}

void BM_DlibHog(benchmark::State& state) {
  static face::DlibDetector detector(0);
  run(state, detector);
}

void BM_ScrfdFixture640(benchmark::State& state) {
  static face::ScrfdDetector detector(DLC_FIXTURE_DIR "/det_10g.onnx", runtime::SessionPolicy{});
  run(state, detector);
}

// The photo scaled so its face is `face_px` wide, centred in a 1280x960 frame, and that face's box.
std::pair<cv::Mat, cv::Rect2f> frame_with_face_of(int face_px) {
  auto photo = cv::imread(DLC_SOURCE_DIR "/.cache/media/grace_hopper.jpg", cv::IMREAD_COLOR);
  cv::Mat frame(960, 1280, CV_8UC3, cv::Scalar(90, 110, 130));
  if (photo.empty()) return {frame, {}};
  static const auto found = face::DlibDetector(0).detect(photo);
  if (found.empty()) return {frame, {}};
  const auto& box = found.front().box;
  const double scale = face_px / static_cast<double>(box.width);
  cv::resize(photo, photo, cv::Size(), scale, scale, cv::INTER_AREA);
  const cv::Rect into = cv::Rect((frame.cols - photo.cols) / 2, (frame.rows - photo.rows) / 2, photo.cols, photo.rows) &
                        cv::Rect(0, 0, frame.cols, frame.rows);
  const cv::Point offset = into.tl() - cv::Point((frame.cols - photo.cols) / 2, (frame.rows - photo.rows) / 2);
  photo(cv::Rect(offset, into.size())).copyTo(frame(into));
  const auto s = static_cast<float>(scale);
  const cv::Point2f tl(static_cast<float>(into.x - offset.x), static_cast<float>(into.y - offset.y));
  return {frame, cv::Rect2f(tl + box.tl() * s, box.size() * s)};
}

void BM_DlibLandmarks(benchmark::State& state) {
  static const face::DlibLandmarks landmarks;
  const auto [frame, box] = frame_with_face_of(static_cast<int>(state.range(0)));
  if (box.empty()) {
    state.SkipWithError("no face in the Debian photo (run scripts/setup.sh)");
    return;
  }
  landmarks.landmarks(frame, box);  // the model is read on the first call
  for (auto _ : state) benchmark::DoNotOptimize(landmarks.landmarks(frame, box));
}

// Candidates as a detector gives them at a low threshold: boxes of 16 to 64 px anywhere in a
// 640x640 input, in clusters of 8 around each centre (neighbouring anchors), random scores.
std::vector<face::Face> candidates(std::size_t count) {
  std::mt19937 rng(20);
  std::uniform_real_distribution<float> where(0, 600);
  std::uniform_real_distribution<float> size(16, 64);
  std::uniform_real_distribution<float> jitter(-3, 3);
  std::uniform_real_distribution<float> score(0.05f, 1.0f);
  std::vector<face::Face> faces;
  while (faces.size() < count) {
    const cv::Point2f centre(where(rng), where(rng));
    const float side = size(rng);
    for (int k = 0; k < 8 && faces.size() < count; ++k) {
      face::Face f;
      f.box = cv::Rect2f(centre.x + jitter(rng), centre.y + jitter(rng), side, side);
      f.score = score(rng);
      faces.push_back(f);
    }
  }
  return faces;
}

void BM_HardNms(benchmark::State& state) {
  const auto faces = candidates(static_cast<std::size_t>(state.range(0)));
  const auto top_k = state.range(1) == 0 ? std::numeric_limits<std::size_t>::max() : face::kNmsTopK;
  std::size_t kept = 0;
  for (auto _ : state) {
    kept = face::hard_nms(faces, 0.4f, top_k).size();
    benchmark::DoNotOptimize(kept);
  }
  state.counters["kept"] = static_cast<double>(kept);
}
BENCHMARK(BM_DlibLandmarks)->Arg(80)->Arg(200)->Arg(400)->Arg(800)->Unit(benchmark::kMillisecond);
// Two threads at once, as dlc bench's two workers run it: the calls share the memory bus.
BENCHMARK(BM_DlibLandmarks)->Arg(400)->Threads(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HardNms)->ArgsProduct({{100, 1000, 4000, 16000}, {0, 1}})->Unit(benchmark::kMicrosecond);

#define DLC_FRAME_SIZES ->Args({1280, 720})->Args({1920, 1080})->Unit(benchmark::kMillisecond)
BENCHMARK(BM_BlazeFace) DLC_FRAME_SIZES;
BENCHMARK(BM_BlazeFaceBack256) DLC_FRAME_SIZES;
BENCHMARK(BM_DlibHog) DLC_FRAME_SIZES;
BENCHMARK(BM_ScrfdFixture640) DLC_FRAME_SIZES;

}  // namespace

BENCHMARK_MAIN();
