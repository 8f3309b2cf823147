// Paste-back on 720p and 1080p frames (goal: ≤ 2 ms per face on this machine), the classic
// swapper on one face 200, 400 and 800 px wide, and the whole image job on the Debian photos.
// Never pass/fail. Run: build/bench/dlc_processors_bench
#include <stdlib.h>

#include <benchmark/benchmark.h>
#include <opencv2/core.hpp>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>

#include "face/dlib_face.hpp"
#include "pipeline/image_job.hpp"
#include "processors/classic_swapper.hpp"
#include "processors/paste_back.hpp"

namespace {

// dlib runs in dlc_dlib_face.so, which sits beside dlc, not beside this benchmark.
[[maybe_unused]] const bool dlib_module_named = setenv("DLC_DLIB_MODULE", DLC_DLIB_MODULE_PATH, 0) == 0;

using namespace dlc;

// A face about 220 px wide in the frame: the 128 crop scaled by 0.58 (ArcFace's template puts
// the eyes 35 px apart in 128, a 220 px face has them ~60 px apart).
cv::Matx23d face_transform(int width, int height) {
  const double s = 0.58;
  return {s, 0, 64 - s * width / 2.0, 0, s, 64 - s * height / 2.0};
}

void BM_PasteBack(benchmark::State& state) {
  const int w = static_cast<int>(state.range(0));
  const int h = static_cast<int>(state.range(1));
  cv::Mat frame(h, w, CV_8UC3);
  cv::randu(frame, 0, 255);
  cv::Mat crop(128, 128, CV_8UC3);
  cv::randu(crop, 0, 255);
  const auto transform = face_transform(w, h);
  const bool legacy = state.range(2) != 0;
  for (auto _ : state) {
    const auto region = legacy ? processors::paste_back_legacy(frame, crop, transform)
                               : processors::paste_back(frame, crop, processors::inswapper_soft_mask(), transform);
    benchmark::DoNotOptimize(region);
  }
  state.SetLabel(legacy ? "legacy mask" : "Deep-Live-Cam soft mask");
}
BENCHMARK(BM_PasteBack)->Args({1280, 720, 0})->Args({1920, 1080, 0})->Args({1280, 720, 1})->Args({1920, 1080, 1})
    ->Unit(benchmark::kMillisecond);

// One photo's face with dlib's 68 points, as `dlc run` finds it without a downloaded model.
struct Photo {
  cv::Mat image;
  face::Face face;
};

Photo photo(const char* name) {
  Photo p{cv::imread((std::filesystem::path(DLC_SOURCE_DIR) / ".cache/media" / name).string(), cv::IMREAD_COLOR), {}};
  if (p.image.empty()) return p;
  const auto faces = face::DlibDetector(0).detect(p.image);
  if (faces.empty()) return {};
  p.face = faces[0];
  face::complete_keypoints(p.face, face::DlibLandmarks().landmarks(p.image, p.face.box));
  return p;
}

// The classic swapper on one target face range(0) px wide (Grace Hopper's photo scaled so its
// landmarks span that), the astronaut as the source: its cost should not follow the face's size.
void BM_ClassicSwap(benchmark::State& state) {
  static const Photo source = photo("astronaut.png");
  static const Photo target = photo("grace_hopper.jpg");
  if (source.image.empty() || target.image.empty()) {
    state.SkipWithError("the Debian photos are missing (scripts/setup.sh)");
    return;
  }
  const double scale = static_cast<double>(state.range(0)) / cv::boundingRect(target.face.landmarks).width;
  cv::Mat frame;
  cv::resize(target.image, frame, cv::Size(), scale, scale, cv::INTER_LINEAR);
  face::Face face = target.face;
  for (auto& p : face.landmarks) p *= static_cast<float>(scale);
  processors::ClassicSwapper swapper(source.image, source.face, static_cast<int>(state.range(1)));
  cv::Mat work = frame.clone();
  for (auto _ : state) {
    frame.copyTo(work);
    swapper.process(work, face);
    benchmark::DoNotOptimize(work.data);
  }
}
// Face width in px, and the clone's factor (1: solved at the work size, images and videos; 2: at
// half of it, dlc live), alternating so that both see the same load.
BENCHMARK(BM_ClassicSwap)
    ->Args({200, 1})
    ->Args({200, 2})
    ->Args({400, 1})
    ->Args({400, 2})
    ->Args({800, 1})
    ->Args({800, 2})
    ->ArgNames({"face", "clone_factor"})
    ->Unit(benchmark::kMillisecond);

// The whole job as `dlc run` does it, with no downloaded model: read both photos, BlazeFace,
// dlib's 68 points, the classic swapper, PNG written atomically. Models load on every run, as
// they do for one `dlc run`.
void BM_ImageJob(benchmark::State& state) {
  const auto media = std::filesystem::path(DLC_SOURCE_DIR) / ".cache/media";
  const auto out = std::filesystem::temp_directory_path() / "dlc-bench-image-job.png";
  pipeline::ImageJobOptions options;
  options.source = media / "astronaut.png";
  options.target = media / "grace_hopper.jpg";
  options.output = out;
  options.analyser.search_path = {"/nonexistent-models"};
  for (auto _ : state) benchmark::DoNotOptimize(pipeline::run_image_job(options));
  std::filesystem::remove(out);
}
BENCHMARK(BM_ImageJob)->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace

BENCHMARK_MAIN();
