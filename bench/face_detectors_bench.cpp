// Each face detector on 720p and 1080p frames holding one of the Debian face photos (never a
// pass/fail test). Run: build/bench/dlc_face_bench [--benchmark_filter=...]
// The fixture det_10g (tests' build/fixtures) has SCRFD's input size but not its weights, so its
// figure is the preprocessing and decode cost plus a trivial network; the real det_10g costs
// 13.3 GMAC more (see dlc bench with the stand-in models).
#include <benchmark/benchmark.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <memory>

#include "face/blazeface_detector.hpp"
#include "face/dlib_face.hpp"
#include "face/scrfd_detector.hpp"

namespace {

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

#define DLC_FRAME_SIZES ->Args({1280, 720})->Args({1920, 1080})->Unit(benchmark::kMillisecond)
BENCHMARK(BM_BlazeFace) DLC_FRAME_SIZES;
BENCHMARK(BM_BlazeFaceBack256) DLC_FRAME_SIZES;
BENCHMARK(BM_DlibHog) DLC_FRAME_SIZES;
BENCHMARK(BM_ScrfdFixture640) DLC_FRAME_SIZES;

}  // namespace

BENCHMARK_MAIN();
