// dlc_dlib_face.so: the only code of dlc that calls dlib (see face/dlib_face_api.hpp). Built with
// hidden visibility; it exports dlc_dlib_face_api alone. Nothing thrown here leaves the module.

#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/image_transforms/interpolation.h>
#include <dlib/opencv/cv_image.h>

#include <cstdint>
#include <exception>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "face/dlib_face_api.hpp"
#include "media/module_errors.hpp"

namespace dlc::face {
namespace {

// get_frontal_face_detector() decodes dlib's embedded model, ~0.35 s each time, so every
// detection copies one. It is never run, only copied, which dlib documents as safe from several
// threads at once.
const dlib::frontal_face_detector& shared_prototype() {
  static const dlib::frontal_face_detector prototype = dlib::get_frontal_face_detector();
  return prototype;
}

bool prepare_detector(std::string* error) {
  try {
    shared_prototype();
    return true;
  } catch (...) {
    *error = media::message_of(std::current_exception());
    return false;
  }
}

bool detect(const cv::Mat* bgr, int upsample, std::vector<DlibBox>* found, std::string* error) {
  try {
    // The copy is only the filters: dlib's object_detector keeps its HOG pyramid inside, so one
    // instance cannot run two images at once, and its copy leaves the pyramid buffers out.
    dlib::frontal_face_detector detector = shared_prototype();
    const dlib::cv_image<dlib::bgr_pixel> view(*bgr);
    std::vector<dlib::rect_detection> detections;
    // pyramid_up and rect_down share this pyramid so a box maps back exactly through its offsets.
    const dlib::pyramid_down<2> pyramid;
    if (upsample == 0) {
      detector(view, detections);
    } else {
      dlib::array2d<dlib::bgr_pixel> upsampled;
      dlib::pyramid_up(view, upsampled, pyramid);
      for (int i = 1; i < upsample; ++i) dlib::pyramid_up(upsampled, pyramid);
      detector(upsampled, detections);
    }
    found->clear();
    for (const auto& d : detections) {
      // dlib's rectangles are inclusive of their right and bottom pixels; a cv::Rect2f is not.
      dlib::drectangle corners(static_cast<double>(d.rect.left()), static_cast<double>(d.rect.top()),
                               static_cast<double>(d.rect.right() + 1), static_cast<double>(d.rect.bottom() + 1));
      if (upsample > 0) corners = pyramid.rect_down(corners, static_cast<unsigned>(upsample));
      found->push_back({corners.left(), corners.top(), corners.right(), corners.bottom(), d.detection_confidence});
    }
    return true;
  } catch (...) {
    *error = media::message_of(std::current_exception());
    return false;
  }
}

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

void* load_predictor(const char* path, unsigned long* parts, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot open";
    return nullptr;
  }
  try {
    auto predictor = std::make_unique<PackedPredictor>();
    predictor->load(in);
    *parts = predictor->num_parts();
    return predictor.release();
  } catch (...) {
    *error = "cannot read: " + media::message_of(std::current_exception());
    return nullptr;
  }
}

bool predict(const void* predictor, const cv::Mat* bgr, long left, long top, long right, long bottom,
             std::vector<cv::Point2f>* points, std::string* error) {
  try {
    *points = (*static_cast<const PackedPredictor*>(predictor))(*bgr, dlib::rectangle(left, top, right, bottom));
    return true;
  } catch (...) {
    *error = media::message_of(std::current_exception());
    return false;
  }
}

void free_predictor(void* predictor) { delete static_cast<PackedPredictor*>(predictor); }

const DlibFaceApi kApi{kDlibFaceAbi, &prepare_detector, &detect, &load_predictor, &predict, &free_predictor};

}  // namespace
}  // namespace dlc::face

extern "C" __attribute__((visibility("default"))) const dlc::face::DlibFaceApi* dlc_dlib_face_api() {
  return &dlc::face::kApi;
}
