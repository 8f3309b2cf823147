// dlc_dlib_face.so: the only code of dlc that calls dlib (see face/dlib_face_api.hpp). Built with
// hidden visibility; it exports dlc_dlib_face_api alone. Nothing thrown here leaves the module.

#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/image_transforms/interpolation.h>
#include <dlib/opencv/cv_image.h>

#include <exception>
#include <fstream>
#include <memory>

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

void* load_predictor(const char* path, unsigned long* parts, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot open";
    return nullptr;
  }
  try {
    auto predictor = std::make_unique<dlib::shape_predictor>();
    dlib::deserialize(*predictor, in);
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
    const auto& p = *static_cast<const dlib::shape_predictor*>(predictor);
    const auto shape = p(dlib::cv_image<dlib::bgr_pixel>(*bgr), dlib::rectangle(left, top, right, bottom));
    points->clear();
    points->reserve(shape.num_parts());
    for (unsigned long i = 0; i < shape.num_parts(); ++i)
      points->emplace_back(static_cast<float>(shape.part(i).x()), static_cast<float>(shape.part(i).y()));
    return true;
  } catch (...) {
    *error = media::message_of(std::current_exception());
    return false;
  }
}

void free_predictor(void* predictor) { delete static_cast<dlib::shape_predictor*>(predictor); }

const DlibFaceApi kApi{kDlibFaceAbi, &prepare_detector, &detect, &load_predictor, &predict, &free_predictor};

}  // namespace
}  // namespace dlc::face

extern "C" __attribute__((visibility("default"))) const dlc::face::DlibFaceApi* dlc_dlib_face_api() {
  return &dlc::face::kApi;
}
