#include "face/dlib_face.hpp"

#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/image_transforms/interpolation.h>
#include <dlib/opencv/cv_image.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

namespace dlc::face {
namespace {

constexpr std::size_t kLandmarkCount = 68;

void check_bgr(const cv::Mat& bgr, const char* who) {
  if (bgr.empty() || bgr.type() != CV_8UC3)
    throw std::invalid_argument(std::string(who) + ": expected a non-empty 8-bit, 3-channel BGR image");
}

float logistic_score(double confidence) {
  return static_cast<float>(1.0 / (1.0 + std::exp(-DlibDetector::kScoreSlope * confidence)));
}

// dlib's rectangles are inclusive of their right and bottom pixels; a cv::Rect2f is not.
dlib::drectangle exclusive_corners(const dlib::rectangle& r) {
  return {static_cast<double>(r.left()), static_cast<double>(r.top()), static_cast<double>(r.right() + 1),
          static_cast<double>(r.bottom() + 1)};
}

cv::Rect2f clamped_box(const dlib::drectangle& r, int cols, int rows) {
  const auto x0 = static_cast<float>(std::clamp(r.left(), 0.0, static_cast<double>(cols)));
  const auto y0 = static_cast<float>(std::clamp(r.top(), 0.0, static_cast<double>(rows)));
  const auto x1 = static_cast<float>(std::clamp(r.right(), 0.0, static_cast<double>(cols)));
  const auto y1 = static_cast<float>(std::clamp(r.bottom(), 0.0, static_cast<double>(rows)));
  return {x0, y0, x1 - x0, y1 - y0};
}

std::runtime_error model_error(const std::filesystem::path& path, const std::string& problem) {
  return std::runtime_error(path.string() + ": " + problem +
                            " (the 68-point landmark model; the Debian package libdlib-data provides it as " +
                            DlibLandmarks::kDefaultModel + ")");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// DlibDetector

namespace {

// get_frontal_face_detector() decodes dlib's embedded model, ~0.35 s each time, so every
// DlibDetector shares one. It is never run, only copied, which dlib documents as safe from
// several threads at once.
const dlib::frontal_face_detector& shared_prototype() {
  static const dlib::frontal_face_detector prototype = dlib::get_frontal_face_detector();
  return prototype;
}

}  // namespace

DlibDetector::DlibDetector(int upsample) : upsample_(upsample) {
  if (upsample < 0) throw std::invalid_argument("DlibDetector: upsample must be 0 or more");
  shared_prototype();  // the decoding cost belongs to construction, not to the first frame
}

std::vector<Face> DlibDetector::detect(const cv::Mat& bgr) {
  check_bgr(bgr, "DlibDetector::detect");
  dlib::frontal_face_detector detector = shared_prototype();
  const dlib::cv_image<dlib::bgr_pixel> view(bgr);
  std::vector<dlib::rect_detection> found;
  // pyramid_up and rect_down share this pyramid so a box maps back exactly through its offsets.
  const dlib::pyramid_down<2> pyramid;
  if (upsample_ == 0) {
    detector(view, found);
  } else {
    dlib::array2d<dlib::bgr_pixel> upsampled;
    dlib::pyramid_up(view, upsampled, pyramid);
    for (int i = 1; i < upsample_; ++i) dlib::pyramid_up(upsampled, pyramid);
    detector(upsampled, found);
  }

  std::vector<Face> faces;
  faces.reserve(found.size());
  for (const auto& d : found) {
    auto corners = exclusive_corners(d.rect);
    if (upsample_ > 0) corners = pyramid.rect_down(corners, static_cast<unsigned>(upsample_));
    Face face;
    face.box = clamped_box(corners, bgr.cols, bgr.rows);
    if (face.box.width <= 0 || face.box.height <= 0) continue;
    face.score = logistic_score(d.detection_confidence);
    faces.push_back(std::move(face));
  }
  // dlib sorts only when its detector has several filters; the order is part of our contract.
  std::stable_sort(faces.begin(), faces.end(), [](const Face& a, const Face& b) { return a.score > b.score; });
  return faces;
}

// ---------------------------------------------------------------------------------------------
// DlibLandmarks

struct DlibLandmarks::Impl {
  std::once_flag loaded;
  dlib::shape_predictor predictor;
};

DlibLandmarks::DlibLandmarks(std::filesystem::path model)
    : model_(std::move(model)), impl_(std::make_unique<Impl>()) {}

DlibLandmarks::~DlibLandmarks() = default;
DlibLandmarks::DlibLandmarks(DlibLandmarks&&) noexcept = default;
DlibLandmarks& DlibLandmarks::operator=(DlibLandmarks&&) noexcept = default;

std::vector<cv::Point2f> DlibLandmarks::landmarks(const cv::Mat& bgr, const cv::Rect2f& box) const {
  check_bgr(bgr, "DlibLandmarks::landmarks");
  // An exception leaves the flag unset, so a model that appears later is picked up.
  std::call_once(impl_->loaded, [this] {
    std::ifstream in(model_, std::ios::binary);
    if (!in) throw model_error(model_, "cannot open");
    try {
      dlib::deserialize(impl_->predictor, in);
    } catch (const std::exception& e) {
      throw model_error(model_, std::string("cannot read: ") + e.what());
    }
    if (impl_->predictor.num_parts() != kLandmarkCount)
      throw model_error(model_, "has " + std::to_string(impl_->predictor.num_parts()) + " points, not 68");
  });

  // The inverse of exclusive_corners(), so a detector's box reaches the predictor unchanged.
  const dlib::rectangle rect(std::lround(box.x), std::lround(box.y), std::lround(box.x + box.width) - 1,
                             std::lround(box.y + box.height) - 1);
  const auto shape = impl_->predictor(dlib::cv_image<dlib::bgr_pixel>(bgr), rect);
  std::vector<cv::Point2f> points;
  points.reserve(shape.num_parts());
  for (unsigned long i = 0; i < shape.num_parts(); ++i)
    points.emplace_back(static_cast<float>(shape.part(i).x()), static_cast<float>(shape.part(i).y()));
  return points;
}

// ---------------------------------------------------------------------------------------------
// The five keypoints

Keypoints keypoints_from_68(const std::vector<cv::Point2f>& points) {
  if (points.size() != kLandmarkCount)
    throw std::invalid_argument("keypoints_from_68: expected 68 points, got " + std::to_string(points.size()));
  const auto mean6 = [&points](std::size_t first) {
    cv::Point2f sum(0, 0);
    for (std::size_t i = first; i < first + 6; ++i) sum += points[i];
    return sum / 6.0f;
  };
  Keypoints kps;
  kps[kLeftEye] = mean6(36);
  kps[kRightEye] = mean6(42);
  kps[kNose] = points[30];
  kps[kLeftMouth] = points[48];
  kps[kRightMouth] = points[54];
  return kps;
}

void complete_keypoints(Face& face, const std::vector<cv::Point2f>& landmarks68) {
  face.kps = keypoints_from_68(landmarks68);
  face.landmarks = landmarks68;
  face.has_kps = true;
}

}  // namespace dlc::face
