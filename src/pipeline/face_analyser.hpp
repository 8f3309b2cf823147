#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "face/detector.hpp"
#include "face/dlib_face.hpp"
#include "face/landmarks_106.hpp"
#include "face/recognizer.hpp"
#include "pipeline/lazy_model.hpp"
#include "runtime/session_policy.hpp"

namespace dlc::pipeline {

struct AnalyserOptions {
  std::string detector = "auto";  // auto | scrfd | blazeface | dlib (--face-detector)
  int detector_size = 640;        // SCRFD's square input (--face-detector-size)
  float detector_score = 0.5f;    // --face-detector-score
  std::vector<std::filesystem::path> search_path;
  runtime::SessionPolicy policy;
};

// Which detector serves, from which file, and why.
struct DetectorChoice {
  std::string kind;  // scrfd | blazeface | dlib
  std::filesystem::path model;
  std::string reason;
};

// The BlazeFace model shipped by npm (its 256 model; the 128 one beside it is the second pass):
// in the models folders first, then where scripts/setup.sh put it.
std::optional<std::filesystem::path> find_blazeface(const std::vector<std::filesystem::path>& search_path);

// BlazeFace's second-pass model (its 128 "front" model) beside the primary one.
std::filesystem::path blazeface_second_pass(const std::filesystem::path& primary);

// "auto": det_10g.onnx (valid signature) → SCRFD; else BlazeFace; else dlib's HOG detector. A
// detector asked for by name whose model is missing is a runtime::ModelError.
DetectorChoice choose_detector(const AnalyserOptions& options);

// Detection, keypoints, landmarks and embeddings, each model loaded on first use only (the
// Python original loads five buffalo_l models and throws two away). Safe to share between
// worker threads.
class FaceAnalyser {
 public:
  explicit FaceAnalyser(AnalyserOptions options);

  // Faces best first, in frame pixels, each with its five keypoints: SCRFD gives them; for the
  // other detectors a landmark model (2d106det.onnx, else dlib's 68 points) completes them.
  // BlazeFace and dlib look once more when the first pass finds none.
  std::vector<face::Face> detect(const cv::Mat& bgr);
  // Adds the 512-value unit embedding (w600k_r50.onnx) to a face with keypoints.
  void embed(const cv::Mat& bgr, face::Face& face);
  // Adds 106 (2d106det.onnx) or 68 (dlib) landmarks to the face, whichever is available.
  void add_landmarks(const cv::Mat& bgr, face::Face& face);

  const DetectorChoice& detector_choice() const { return choice_; }
  const std::vector<std::filesystem::path>& search_path() const { return options_.search_path; }
  const runtime::SessionPolicy& policy() const { return options_.policy; }
  // Frees the recognizer once the source face has been read (its session and arena share).
  void release_recognizer();
  // Frees the detectors and landmark models (the stage and lru memory strategies); the next
  // detect() loads them again.
  void release_detection();
  // What is loaded now, for logs and tests: "detector", "second-pass detector", "landmarks106",
  // "dlib68", "recognizer".
  std::vector<std::string> loaded() const;

 private:
  std::shared_ptr<face::FaceDetector> detector();
  // A second pass for frames where the first finds nothing (dlib on the doubled image,
  // BlazeFace's other model): null when there is none.
  std::shared_ptr<face::FaceDetector> second_pass_detector();
  void landmarks_into(const cv::Mat& bgr, face::Face& face);

  AnalyserOptions options_;
  DetectorChoice choice_;
  std::optional<std::filesystem::path> landmarks106_path_;
  std::optional<std::filesystem::path> recognizer_path_;

  // Each built on first use outside any lock that another model's user waits on; shared so that
  // a release while another thread runs a model frees it after that call.
  LazyModel<face::FaceDetector> detector_;
  LazyModel<face::FaceDetector> second_pass_detector_;
  LazyModel<face::Landmarks106> landmarks106_;
  LazyModel<face::DlibLandmarks> dlib_landmarks_;
  LazyModel<face::Recognizer> recognizer_;
};

}  // namespace dlc::pipeline
