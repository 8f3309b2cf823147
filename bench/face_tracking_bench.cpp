// Faces across frames, measured (never a pass/fail test). A clip with known smooth motion is
// made in memory from Grace Hopper's portrait: each frame is the photo under a known similarity
// (a slow pan, zoom and tilt; bilinear, so sub-pixel) plus sensor noise. The detector (dlc's own
// analysis: --face-detector auto) runs on every frame once; the tracker then runs with each
// --face-smoothing preset. Printed per preset:
//   rms     the five points' RMS deviation from their true path (px);
//   jitter  what is left of it once the lag's share (lag x the true velocity) is taken out (px);
//   f2f     the jitter that changes from frame to frame: RMS of the deviation's change from one
//           frame to the next, over sqrt 2 (px; equal to rms for white noise, blind to a slow bias);
//   lag     how far the output trails the motion, in frames (least squares along the true velocity);
//   step    the mean frame-to-frame move of the face box's corners (px), next to the truth's;
//   box     the output's frame-to-frame change inside the true face box (mean |difference| of
//           the pixels, 0..255) when a stand-in swapped face (the photo mirrored, its colours
//           inverted) is pasted where the tracked five points say; printed next to the target's
//           own change in the same box, which a face that sits still on the head does not exceed
//           by much;
//   cost    the tracker's time per frame per face (µs).
// The true path: the photo-space points that best explain every frame's detection (the mean of
// the detections mapped back through each frame's inverse transform) mapped forward again, so
// the detector's constant bias is not counted as jitter.
//
// Run: build/bench/dlc_face_tracking_bench [FRAMES] [WIDTHxHEIGHT] [NOISE_SIGMA]
#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numbers>
#include <string>
#include <vector>

#include "face/alignment.hpp"
#include "face/face_tracker.hpp"
#include "pipeline/face_analyser.hpp"

namespace {

using namespace dlc;
constexpr double kFps = 25.0;

// The frame's transform, photo pixels to frame pixels: the zoom swings 1.0..1.3 over 4 s, the
// view drifts ±12% of the width over 6 s and tilts ±4° over 5 s.
cv::Matx23d motion(int frame, cv::Size photo, cv::Size out) {
  const double t = frame / kFps;
  const double zoom = 1.15 + 0.15 * std::sin(2 * std::numbers::pi * t / 4.0);
  const double scale = zoom * 0.8 * out.height / photo.height;
  const double angle = 4.0 * std::numbers::pi / 180.0 * std::sin(2 * std::numbers::pi * t / 5.0);
  const double cx = out.width / 2.0 + 0.12 * out.width * std::sin(2 * std::numbers::pi * t / 6.0);
  const double cy = out.height / 2.0;
  const double c = scale * std::cos(angle), s = scale * std::sin(angle);
  const double px = photo.width / 2.0, py = photo.height / 2.0;
  return {c, -s, cx - (c * px - s * py), s, c, cy - (s * px + c * py)};
}

struct Figures {
  double jitter = 0, lag = 0, step = 0;
};

std::vector<cv::Point2f> points(const face::Face& f) {
  std::vector<cv::Point2f> v(f.kps.begin(), f.kps.end());
  v.emplace_back(f.box.x, f.box.y);
  v.emplace_back(f.box.x + f.box.width, f.box.y + f.box.height);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  const int frames = argc > 1 ? std::stoi(argv[1]) : 250;
  cv::Size size(960, 540);
  if (argc > 2) std::sscanf(argv[2], "%dx%d", &size.width, &size.height);
  const double sigma = argc > 3 ? std::stod(argv[3]) : 3.0;
  const auto photo = cv::imread(DLC_SOURCE_DIR "/.cache/media/grace_hopper.jpg", cv::IMREAD_COLOR);
  if (photo.empty()) {
    fmt::print(stderr, "dlc_face_tracking_bench: .cache/media/grace_hopper.jpg is missing; run scripts/setup.sh\n");
    return 1;
  }
  pipeline::AnalyserOptions analyser_options;
  analyser_options.search_path = {DLC_SOURCE_DIR "/models"};
  pipeline::FaceAnalyser analyser(analyser_options);

  // Detections, one face per frame (the largest), and each frame's transform.
  std::vector<std::optional<face::Face>> detected(static_cast<std::size_t>(frames));
  std::vector<cv::Matx23d> transforms;
  for (int i = 0; i < frames; ++i) transforms.push_back(motion(i, photo.size(), size));
  // Frame i, the same every time it is made (its noise seeded by its index).
  const auto render = [&](int i) {
    cv::Mat frame, noise(size, CV_16SC3), noisy;
    cv::warpAffine(photo, frame, cv::Mat(transforms[static_cast<std::size_t>(i)]), size, cv::INTER_LINEAR,
                   cv::BORDER_CONSTANT, cv::Scalar(128, 128, 128));
    cv::RNG rng(12345 + static_cast<std::uint64_t>(i));
    rng.fill(noise, cv::RNG::NORMAL, 0, sigma);
    cv::add(frame, noise, noisy, cv::noArray(), CV_8UC3);
    return noisy;
  };
  for (int i = 0; i < frames; ++i) {
    auto faces = analyser.detect(render(i));
    if (faces.empty()) continue;
    std::ranges::sort(faces, [](const auto& a, const auto& b) { return a.box.area() > b.box.area(); });
    detected[static_cast<std::size_t>(i)] = faces.front();
  }
  // The true path: photo-space points, the mean of every detection mapped back.
  std::vector<cv::Point2d> photo_points(7);
  int found = 0;
  for (int i = 0; i < frames; ++i) {
    if (!detected[static_cast<std::size_t>(i)]) continue;
    const auto inverse = face::invert(transforms[static_cast<std::size_t>(i)]);
    const auto p = points(*detected[static_cast<std::size_t>(i)]);
    for (std::size_t k = 0; k < p.size(); ++k) {
      const auto q = face::apply(inverse, p[k]);
      photo_points[k] += cv::Point2d(q.x, q.y);
    }
    ++found;
  }
  for (auto& p : photo_points) p *= 1.0 / std::max(1, found);
  const auto truth = [&](int i, std::size_t k) {
    const auto q = face::apply(transforms[static_cast<std::size_t>(i)],
                               cv::Point2f(static_cast<float>(photo_points[k].x), static_cast<float>(photo_points[k].y)));
    return cv::Point2d(q.x, q.y);
  };
  fmt::print("clip: {} frames {}x{} at {} fps, noise sigma {}, detector {}: a face on {} frames\n", frames, size.width,
             size.height, kFps, sigma, analyser.detector_choice().kind, found);
  // The stand-in swapped face and where it goes: photo space, inside the five points' box grown by half.
  cv::Mat stand_in;
  cv::flip(photo, stand_in, 1);
  cv::bitwise_not(stand_in, stand_in);
  cv::Mat stand_in_mask(photo.size(), CV_8U, cv::Scalar(0));
  {
    cv::Rect2d around(photo_points[0], photo_points[0]);
    for (std::size_t k = 0; k < 5; ++k) around |= cv::Rect2d(photo_points[k], cv::Size2d(1, 1));
    const double grow = around.width / 2;
    cv::ellipse(stand_in_mask, cv::RotatedRect((around.tl() + around.br()) / 2, cv::Size2f(static_cast<float>(around.width + 2 * grow), static_cast<float>(around.height + 3 * grow)), 0), cv::Scalar(255), cv::FILLED);
  }
  std::array<cv::Point2f, 5> photo_kps;
  for (std::size_t k = 0; k < 5; ++k) photo_kps[k] = cv::Point2f(static_cast<float>(photo_points[k].x), static_cast<float>(photo_points[k].y));
  const auto true_box = [&](int i) {
    return cv::Rect(cv::Point(truth(i, 5)), cv::Point(truth(i, 6))) & cv::Rect(0, 0, size.width, size.height);
  };
  const auto box_change = [&](const cv::Mat& now, const cv::Mat& before, int i) {
    const auto box = true_box(i);
    cv::Mat diff;
    cv::absdiff(now(box), before(box), diff);
    return cv::mean(cv::mean(diff))[0];
  };
  // The target's own change, frame to frame, in the same box.
  double own = 0;
  for (int i = 1; i < frames; ++i) own += box_change(render(i), render(i - 1), i);
  own /= std::max(1, frames - 1);
  fmt::print("the target's own frame-to-frame change inside the true face box: {:.3f} (mean |difference|, 0..255)\n", own);
  fmt::print("{:<16} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", "smoothing", "rms px", "jitter px", "f2f px",
             "lag fr", "step px", "true px", "box chg", "us/face");
  std::vector<std::string> names{"off", "light", "default", "strong"};
  // Other parameters to try: DLC_TRACKING_TRY="min_cutoff,beta,d_cutoff[,lead];..."
  if (const char* extra = std::getenv("DLC_TRACKING_TRY")) {
    std::string rest = extra;
    for (std::size_t at = 0; at < rest.size();) {
      const auto end = std::min(rest.find(';', at), rest.size());
      names.push_back(rest.substr(at, end - at));
      at = end + 1;
    }
  }
  for (const auto& name : names) {
    face::TrackerOptions options;
    if (const auto preset = face::smoothing_preset(name)) {
      options.smoothing = *preset;
    } else {
      face::OneEuroParams p;
      std::sscanf(name.c_str(), "%lf,%lf,%lf,%lf", &p.min_cutoff, &p.beta, &p.d_cutoff, &p.lead);
      options.smoothing = p;
    }
    face::FaceTracker tracker(options);
    double squared = 0, hf = 0, along = 0, velocity = 0, step = 0, true_step = 0, seconds = 0;
    std::size_t samples = 0, hf_samples = 0, steps = 0, updates = 0;
    std::vector<cv::Point2d> last_error(5);
    std::vector<std::pair<cv::Point2d, cv::Point2d>> errors;  // error, true velocity (px/frame)
    bool have_error = false;
    std::optional<std::vector<cv::Point2f>> previous;
    cv::Mat previous_out;
    double box_changes = 0;
    int changes = 0;
    for (int i = 0; i < frames; ++i) {
      std::vector<face::Face> in;
      if (detected[static_cast<std::size_t>(i)]) in.push_back(*detected[static_cast<std::size_t>(i)]);
      const auto start = std::chrono::steady_clock::now();
      const auto out = tracker.update(in, i / kFps);
      seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      updates += out.size();
      if (out.empty()) {
        previous.reset();
        previous_out.release();
        have_error = false;
        continue;
      }
      const auto p = points(out.front().face);
      {
        auto frame = render(i);
        const auto m = face::similarity_transform(photo_kps, out.front().face.kps);
        cv::Mat pasted, mask;
        cv::warpAffine(stand_in, pasted, cv::Mat(m), size, cv::INTER_LINEAR);
        cv::warpAffine(stand_in_mask, mask, cv::Mat(m), size, cv::INTER_LINEAR);
        pasted.copyTo(frame, mask > 127);
        if (!previous_out.empty()) {
          box_changes += box_change(frame, previous_out, i);
          ++changes;
        }
        previous_out = frame;
      }
      for (std::size_t k = 0; k < 5; ++k) {
        const auto error = cv::Point2d(p[k].x, p[k].y) - truth(i, k);
        squared += error.dot(error);
        ++samples;
        if (have_error) {
          const auto change = error - last_error[k];
          hf += change.dot(change) / 2;
          ++hf_samples;
        }
        last_error[k] = error;
        if (i > 0) {
          const auto v = truth(i, k) - truth(i - 1, k);
          along += -error.dot(v);
          velocity += v.dot(v);
          errors.emplace_back(error, v);
        }
      }
      if (previous && i > 0) {
        for (std::size_t k = 5; k < 7; ++k) {
          step += cv::norm(p[k] - (*previous)[k]);
          true_step += cv::norm(truth(i, k) - truth(i - 1, k));
          ++steps;
        }
      }
      previous = p;
      have_error = true;
    }
    const double lag = along / std::max(1e-9, velocity);
    double residual = 0;
    for (const auto& [e, v] : errors) {
      const auto r = e + lag * v;
      residual += r.dot(r);
    }
    fmt::print("{:<16} {:>8.3f} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.2f}\n", name,
               std::sqrt(squared / static_cast<double>(std::max<std::size_t>(1, samples))),
               std::sqrt(residual / static_cast<double>(std::max<std::size_t>(1, errors.size()))),
               std::sqrt(hf / static_cast<double>(std::max<std::size_t>(1, hf_samples))), lag, step / static_cast<double>(std::max<std::size_t>(1, steps)),
               true_step / static_cast<double>(std::max<std::size_t>(1, steps)), box_changes / std::max(1, changes),
               seconds * 1e6 / static_cast<double>(std::max<std::size_t>(1, updates)));
  }
  return 0;
}
