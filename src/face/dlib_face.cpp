#include "face/dlib_face.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

#include "face/dlib_face_api.hpp"
#include "media/install_layout.hpp"

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

cv::Rect2f clamped_box(const DlibBox& r, int cols, int rows) {
  const auto x0 = static_cast<float>(std::clamp(r.left, 0.0, static_cast<double>(cols)));
  const auto y0 = static_cast<float>(std::clamp(r.top, 0.0, static_cast<double>(rows)));
  const auto x1 = static_cast<float>(std::clamp(r.right, 0.0, static_cast<double>(cols)));
  const auto y1 = static_cast<float>(std::clamp(r.bottom, 0.0, static_cast<double>(rows)));
  return {x0, y0, x1 - x0, y1 - y0};
}

std::runtime_error model_error(const std::filesystem::path& path, const std::string& problem) {
  return std::runtime_error(path.string() + ": " + problem +
                            " (the 68-point landmark model; the Debian package libdlib-data provides it as " +
                            DlibLandmarks::kDefaultModel + ")");
}

// dlc_dlib_face.so, loaded on first use; throws std::runtime_error saying where it belongs when it
// cannot be (the next call tries again).
const DlibFaceApi& dlib_api() {
  static const DlibFaceApi* const api = [] {
    std::string error;
    const auto entry = reinterpret_cast<DlibFaceEntry>(
        media::open_module("DLC_DLIB_MODULE", DLC_DLIB_MODULE_NAME, kDlibFaceEntry, error));
    if (entry == nullptr) throw std::runtime_error(error);
    const DlibFaceApi* table = entry();
    if (table == nullptr || table->abi != kDlibFaceAbi)
      throw std::runtime_error(std::string(DLC_DLIB_MODULE_NAME) + " is not this dlc's module: rebuild dlc");
    return table;
  }();
  return *api;
}

void check(bool ok, const char* who, const std::string& error) {
  if (!ok) throw std::runtime_error(std::string(who) + ": dlib failed: " + error);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// DlibDetector

DlibDetector::DlibDetector(int upsample) : upsample_(upsample) {
  if (upsample < 0) throw std::invalid_argument("DlibDetector: upsample must be 0 or more");
  // The decoding cost belongs to construction, not to the first frame.
  std::string error;
  check(dlib_api().prepare_detector(&error), "DlibDetector", error);
}

std::vector<Face> DlibDetector::detect(const cv::Mat& bgr) {
  check_bgr(bgr, "DlibDetector::detect");
  std::vector<DlibBox> found;
  std::string error;
  check(dlib_api().detect(&bgr, upsample_, &found, &error), "DlibDetector::detect", error);

  std::vector<Face> faces;
  faces.reserve(found.size());
  for (const auto& d : found) {
    Face face;
    face.box = clamped_box(d, bgr.cols, bgr.rows);
    if (face.box.width <= 0 || face.box.height <= 0) continue;
    face.score = logistic_score(d.confidence);
    faces.push_back(std::move(face));
  }
  // dlib sorts only when its detector has several filters; the order is part of our contract.
  std::stable_sort(faces.begin(), faces.end(), [](const Face& a, const Face& b) { return a.score > b.score; });
  return faces;
}

// ---------------------------------------------------------------------------------------------
// DlibLandmarks

struct DlibLandmarks::Impl {
  struct FreePredictor {
    void operator()(void* predictor) const { dlib_api().free_predictor(predictor); }
  };
  std::once_flag loaded;
  std::unique_ptr<void, FreePredictor> predictor;
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
    std::string error;
    unsigned long parts = 0;
    impl_->predictor.reset(dlib_api().load_predictor(model_.c_str(), &parts, &error));
    if (!impl_->predictor) throw model_error(model_, error);
    if (parts != kLandmarkCount) {
      impl_->predictor.reset();
      throw model_error(model_, "has " + std::to_string(parts) + " points, not 68");
    }
  });

  // The inverse of the module's exclusive corners, so a detector's box reaches the predictor unchanged.
  std::vector<cv::Point2f> points;
  std::string error;
  check(dlib_api().predict(impl_->predictor.get(), &bgr, std::lround(box.x), std::lround(box.y),
                           std::lround(box.x + box.width) - 1, std::lround(box.y + box.height) - 1, &points, &error),
        "DlibLandmarks::landmarks", error);
  return points;
}

std::vector<cv::Point2f> DlibLandmarks::upright_landmarks(const cv::Mat& bgr, const cv::Rect2f& box) const {
  auto points = landmarks(bgr, box);
  cv::Point2f left(0, 0), right(0, 0);
  for (std::size_t i = 36; i < 42; ++i) left += points[i] / 6.0f;  // dlib's eyes: 36–41 and 42–47
  for (std::size_t i = 42; i < 48; ++i) right += points[i] / 6.0f;
  const double roll = std::atan2(right.y - left.y, right.x - left.x) * 180.0 / CV_PI;
  if (!(std::abs(roll) > kMaxUprightRoll)) return points;
  // Only the box's neighbourhood is turned (the box grown by its size on each side covers the
  // corners the predictor's features may reach), with the edge pixels repeated past the frame.
  const cv::Point2f centre(box.x + box.width / 2, box.y + box.height / 2);
  const float reach = std::max(box.width, box.height) * 1.5f;
  const cv::Rect area(cvFloor(centre.x - reach), cvFloor(centre.y - reach), cvCeil(2 * reach) + 1, cvCeil(2 * reach) + 1);
  // Frame pixels to the upright area's: turned about the box's centre, then shifted to the area.
  cv::Mat from_frame = cv::getRotationMatrix2D(centre, roll, 1.0);
  from_frame.at<double>(0, 2) -= area.x;
  from_frame.at<double>(1, 2) -= area.y;
  cv::Mat upright;
  cv::warpAffine(bgr, upright, from_frame, area.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  const cv::Rect2f upright_box(box.x - static_cast<float>(area.x), box.y - static_cast<float>(area.y), box.width, box.height);
  const auto turned = landmarks(upright, upright_box);
  cv::Mat back;
  cv::invertAffineTransform(from_frame, back);
  cv::transform(turned, points, back);
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
