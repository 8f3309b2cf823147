#pragma once

#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>

#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include "face/detector.hpp"
#include "face/face.hpp"

// dlib lives in dlib_face_module.cpp alone (dlc_dlib_face.so, loaded on first use: see
// dlib_face_api.hpp), so DlibLandmarks holds its predictor behind a pointer, DlibDetector uses one
// detector kept in that module, and no dlib header reaches their users.
namespace dlc::face {

// dlib's HOG + linear SVM frontal face detector (get_frontal_face_detector()). It finds faces
// of about 80×80 pixels and up (its sliding window), looking at the camera or somewhat turned or
// tilted (its five filters); it gives no keypoints, so a DlibLandmarks run completes each face.
//
// score = 1 / (1 + exp(-kScoreSlope · c)), c being dlib's detection confidence (the SVM margin
// over the detector's own threshold): monotone, and every face dlib accepts (c ≥ 0) scores at
// least 0.5. The test photos' faces give c ≈ 1.5 (score 0.95); a false positive on the
// upsampled astronaut photo gave c ≈ 0.1 (score 0.56).
//
// The model is decoded once per process (~0.35 s, at the first construction) and shared.
// detect() copies its configuration per call rather than locking it: dlib's object_detector
// keeps its HOG pyramid inside, so one instance cannot run two images at once, a mutex would
// make concurrent callers queue for whole detections, and the copy is only the filters since
// dlib's copy leaves the pyramid buffers out.
class DlibDetector : public FaceDetector {
 public:
  static constexpr double kScoreSlope = 2.0;

  // upsample: how many times the image is doubled before detection, for faces below ~80 pixels;
  // each doubling makes detection about 4× slower.
  explicit DlibDetector(int upsample = 0);

  // bgr: CV_8UC3 (anything else throws std::invalid_argument), read in place. Boxes are in the
  // frame's pixels, clamped to it; has_kps is false.
  std::vector<Face> detect(const cv::Mat& bgr) override;
  std::string_view name() const override { return "dlib_hog"; }
  int upsample() const { return upsample_; }

 private:
  int upsample_;  // the dlib detector itself is shared by all instances, inside dlc_dlib_face.so
};

// dlib's 68-point shape predictor (an ensemble of regression trees, iBUG 300-W points). The
// model (~100 MB in memory) is read on the first landmarks() call, so a run that never needs
// it never pays for it. It is walked from a packed copy (dlib_face_module.cpp): the same points as dlib's
// shape_predictor, at ~4 ms of CPU a face instead of ~7 (dlc_face_bench, BM_DlibLandmarks), the
// same at any face size. landmarks() is safe to call from several threads: it only reads the
// model, and the first load happens once under std::call_once.
class DlibLandmarks {
 public:
  static constexpr const char* kDefaultModel = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";

  explicit DlibLandmarks(std::filesystem::path model = kDefaultModel);
  ~DlibLandmarks();
  DlibLandmarks(DlibLandmarks&&) noexcept;
  DlibLandmarks& operator=(DlibLandmarks&&) noexcept;

  const std::filesystem::path& model_path() const { return model_; }

  // 68 points in frame pixels for the face in box (as a detector gives it); bgr: CV_8UC3.
  // Throws std::runtime_error naming the file when the model is missing or unreadable (a failed
  // load is retried on the next call), std::invalid_argument for another image type.
  std::vector<cv::Point2f> landmarks(const cv::Mat& bgr, const cv::Rect2f& box) const;
  // landmarks(), and for a face rolled more than kMaxUprightRoll (its eye line, from those points)
  // the points fitted again on the neighbourhood of box turned about the box's centre until the
  // eyes are level, mapped back: the predictor starts from its mean shape upright in the box, and
  // on a head rolled by 19° (bench/quality's sample4_1) it put an eye on the brow and the mouth on
  // the chin. The dlc pipeline's 68 points come from here.
  std::vector<cv::Point2f> upright_landmarks(const cv::Mat& bgr, const cv::Rect2f& box) const;
  static constexpr double kMaxUprightRoll = 10.0;  // degrees; the photos of bench/quality roll 0–26°

 private:
  struct Impl;
  std::filesystem::path model_;
  std::unique_ptr<Impl> impl_;
};

// The five keypoints in Keypoint order from 68 iBUG 300-W points (0-based): eye centres are the
// means of 36–41 (the eye on the image's left of a frontal face) and 42–47, the nose tip is 30,
// the mouth corners are 48 (image left) and 54 (image right). Throws std::invalid_argument
// unless there are exactly 68 points.
Keypoints keypoints_from_68(const std::vector<cv::Point2f>& points);

// Stores the 68 points in face.landmarks and the five derived from them in face.kps.
void complete_keypoints(Face& face, const std::vector<cv::Point2f>& landmarks68);

}  // namespace dlc::face
