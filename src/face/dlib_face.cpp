#include "face/dlib_face.hpp"

#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/image_transforms/interpolation.h>
#include <dlib/opencv/cv_image.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
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

// dlib's shape predictor is a cascade of 10 forests of 500 depth-4 regression trees; each call walks
// every tree and adds one leaf (a 136-float shape increment) to the shape. dlib keeps each leaf in
// a heap block of its own and each split as 24 bytes, so a call touches ~5,000 scattered leaves
// of a ~100 MB structure: measured (build/bench/dlc_face_bench --benchmark_filter=DlibLandmarks)
// at ~7 ms of CPU whatever the face's size, its time in the leaf additions and the split loads,
// i.e. memory, not arithmetic. PackedPredictor holds the same numbers read from the same file,
// each forest's splits in 8 bytes and its leaves in one array, and walks them in dlib's order
// with dlib's own geometry (impl::find_tform_between_shapes, unnormalizing_tform), so its points
// are dlib's exactly (tests/face/dlib_face_test.cpp compares them).
struct PackedSplit {
  std::uint16_t idx1 = 0;  // the feature pixels compared (a forest has 500)
  std::uint16_t idx2 = 0;
  float thresh = 0;
};

struct PackedForest {
  std::vector<std::uint32_t> anchor;                // per feature pixel: the shape point it hangs on
  std::vector<dlib::vector<float, 2>> deltas;       // and its offset from that point
  std::vector<PackedSplit> splits;                  // trees × splits_per_tree, each tree breadth first
  std::vector<float> leaves;                        // trees × leaves_per_tree × the shape's size
  std::size_t trees = 0;
  std::size_t splits_per_tree = 0;
};

class PackedPredictor {
 public:
  // The stream as dlib's serialize(shape_predictor) writes it (version 1); one forest of dlib's
  // own objects at a time is held while packing, so loading never holds the model twice.
  void load(std::istream& in) {
    int version = 0;
    dlib::deserialize(version, in);
    if (version != 1) throw std::runtime_error("not a dlib shape_predictor (version " + std::to_string(version) + ")");
    dlib::deserialize(initial_shape_, in);
    unsigned long cascades = 0;
    dlib::deserialize(cascades, in);
    if (cascades == 0 || cascades > kMaxCascades) throw std::runtime_error("implausible cascade count");
    forests_.assign(cascades, {});
    const auto shape_size = static_cast<std::size_t>(initial_shape_.size());
    for (auto& forest : forests_) {
      std::vector<dlib::impl::regression_tree> trees;
      dlib::deserialize(trees, in);
      pack(trees, shape_size, forest);
    }
    std::vector<std::vector<unsigned long>> anchors;
    std::vector<std::vector<dlib::vector<float, 2>>> deltas;
    dlib::deserialize(anchors, in);
    dlib::deserialize(deltas, in);
    if (anchors.size() != cascades || deltas.size() != cascades) throw std::runtime_error("feature pixels do not match the cascades");
    for (std::size_t c = 0; c < cascades; ++c) {
      if (anchors[c].size() != deltas[c].size() || anchors[c].size() > kMaxFeatures)
        throw std::runtime_error("feature pixels do not match");
      for (const auto a : anchors[c]) {
        if (2 * a + 1 >= shape_size) throw std::runtime_error("a feature pixel hangs on no shape point");
      }
      forests_[c].anchor.assign(anchors[c].begin(), anchors[c].end());
      forests_[c].deltas = std::move(deltas[c]);
      for (const auto& s : forests_[c].splits) {
        if (s.idx1 >= anchors[c].size() || s.idx2 >= anchors[c].size()) throw std::runtime_error("a split reads no feature pixel");
      }
    }
  }

  std::size_t num_parts() const { return static_cast<std::size_t>(initial_shape_.size()) / 2; }

  // dlib's shape_predictor::operator()(img, rect) with its arithmetic in its order.
  std::vector<cv::Point2f> operator()(const cv::Mat& bgr, const dlib::rectangle& rect) const {
    const dlib::cv_image<dlib::bgr_pixel> image(bgr);
    const dlib::const_image_view<dlib::cv_image<dlib::bgr_pixel>> view(image);
    const dlib::rectangle area = dlib::get_rect(image);
    const dlib::point_transform_affine to_image = dlib::impl::unnormalizing_tform(rect);
    dlib::matrix<float, 0, 1> shape = initial_shape_;
    const auto size = static_cast<std::size_t>(shape.size());
    std::vector<float> features;
    for (const auto& forest : forests_) {
      const dlib::matrix<float, 2, 2> tform =
          dlib::matrix_cast<float>(dlib::impl::find_tform_between_shapes(initial_shape_, shape).get_m());
      features.resize(forest.deltas.size());
      for (std::size_t i = 0; i < features.size(); ++i) {
        const dlib::point p = to_image(tform * forest.deltas[i] + dlib::impl::location(shape, forest.anchor[i]));
        features[i] = area.contains(p) ? static_cast<float>(dlib::get_pixel_intensity(view[p.y()][p.x()])) : 0.0f;
      }
      float* out = &shape(0);
      const std::size_t leaves_per_tree = forest.splits_per_tree + 1;
      for (std::size_t t = 0; t < forest.trees; ++t) {
        const PackedSplit* splits = forest.splits.data() + t * forest.splits_per_tree;
        std::size_t node = 0;
        while (node < forest.splits_per_tree) {
          const PackedSplit& s = splits[node];
          node = features[s.idx1] - features[s.idx2] > s.thresh ? 2 * node + 1 : 2 * node + 2;
        }
        const float* leaf = forest.leaves.data() + (t * leaves_per_tree + node - forest.splits_per_tree) * size;
        for (std::size_t k = 0; k < size; ++k) out[k] += leaf[k];
      }
    }
    std::vector<cv::Point2f> points;
    points.reserve(size / 2);
    for (std::size_t i = 0; i < size / 2; ++i) {
      const dlib::point q = to_image(dlib::impl::location(shape, static_cast<unsigned long>(i)));
      points.emplace_back(static_cast<float>(q.x()), static_cast<float>(q.y()));
    }
    return points;
  }

 private:
  static constexpr unsigned long kMaxCascades = 1000;
  static constexpr std::size_t kMaxFeatures = 65536;  // a split's pixel index is 16 bits

  static void pack(const std::vector<dlib::impl::regression_tree>& trees, std::size_t shape_size, PackedForest& forest) {
    forest.trees = trees.size();
    forest.splits_per_tree = trees.empty() ? 0 : trees.front().splits.size();
    const std::size_t leaves_per_tree = forest.splits_per_tree + 1;
    forest.splits.reserve(forest.trees * forest.splits_per_tree);
    forest.leaves.reserve(forest.trees * leaves_per_tree * shape_size);
    for (const auto& tree : trees) {
      // dlib requires full trees (leaves = splits + 1, a power of 2); the packing needs them alike.
      if (tree.splits.size() != forest.splits_per_tree || tree.leaf_values.size() != leaves_per_tree)
        throw std::runtime_error("trees of different depths");
      for (const auto& s : tree.splits) {
        if (s.idx1 >= kMaxFeatures || s.idx2 >= kMaxFeatures) throw std::runtime_error("a split reads no feature pixel");
        forest.splits.push_back({static_cast<std::uint16_t>(s.idx1), static_cast<std::uint16_t>(s.idx2), s.thresh});
      }
      for (const auto& leaf : tree.leaf_values) {
        if (static_cast<std::size_t>(leaf.size()) != shape_size) throw std::runtime_error("a leaf of another shape size");
        forest.leaves.insert(forest.leaves.end(), leaf.begin(), leaf.end());
      }
    }
  }

  dlib::matrix<float, 0, 1> initial_shape_;
  std::vector<PackedForest> forests_;
};

struct DlibLandmarks::Impl {
  std::once_flag loaded;
  PackedPredictor predictor;
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
      impl_->predictor.load(in);
    } catch (const std::exception& e) {
      impl_->predictor = {};
      throw model_error(model_, std::string("cannot read: ") + e.what());
    }
    if (impl_->predictor.num_parts() != kLandmarkCount) {
      const auto parts = impl_->predictor.num_parts();
      impl_->predictor = {};
      throw model_error(model_, "has " + std::to_string(parts) + " points, not 68");
    }
  });

  // The inverse of exclusive_corners(), so a detector's box reaches the predictor unchanged.
  const dlib::rectangle rect(std::lround(box.x), std::lround(box.y), std::lround(box.x + box.width) - 1,
                             std::lround(box.y + box.height) - 1);
  return impl_->predictor(bgr, rect);
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
