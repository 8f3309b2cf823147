#include "pipeline/face_analyser.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "face/blazeface_detector.hpp"
#include "face/scrfd_detector.hpp"
#include "media/install_layout.hpp"
#include "pipeline/job_models.hpp"
#include "runtime/stage_times.hpp"

namespace dlc::pipeline {
namespace {

// The 256 ("back camera") model finds faces down to ~50 px in a 720p frame, the 128 ("front",
// selfie) model only down to ~150 px (both measured on the Debian photos scaled into 1280×720),
// so a frame with several faces of different sizes needs the 256 one; it costs 3-4× the time
// (~10 ms). The 128 model is the second pass.
constexpr const char* kBlazeFacePrimary = "face_detection_back_256x256_barracuda.onnx";
constexpr const char* kBlazeFaceSecond = "face_detection_front_128x128_barracuda.onnx";

// Throws for a file that is present but invalid: the fallbacks are only for absent files.
std::optional<std::filesystem::path> usable_file(std::string_view role, const std::vector<std::filesystem::path>& path) {
  if (const auto found = find_role_file(role_named(role), path)) return found->path;
  return std::nullopt;
}

}  // namespace

std::optional<std::filesystem::path> find_blazeface(const std::vector<std::filesystem::path>& search_path) {
  auto dirs = search_path;
  // An installed dlc's own copy first (absent in the build tree), then set-up's.
  dirs.push_back(media::installed_data_dir() / "blazeface");
  dirs.emplace_back(DLC_BLAZEFACE_DIR);
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(dir / kBlazeFacePrimary, ec)) return dir / kBlazeFacePrimary;
  }
  return std::nullopt;
}

std::filesystem::path blazeface_second_pass(const std::filesystem::path& primary) {
  return primary.parent_path() / kBlazeFaceSecond;
}

DetectorChoice choose_detector(const AnalyserOptions& options) {
  const auto& kind = options.detector;
  if (kind == "scrfd" || kind == "auto") {
    if (const auto det = usable_file("detector", options.search_path)) return {"scrfd", *det, "det_10g.onnx found"};
    if (kind == "scrfd") {
      throw runtime::ModelError(options.search_path.empty() ? "det_10g.onnx" : options.search_path.front() / "det_10g.onnx",
                                "not found; --face-detector scrfd needs it");
    }
  }
  if (kind == "blazeface" || kind == "auto") {
    if (const auto blaze = find_blazeface(options.search_path)) {
      return {"blazeface", *blaze, kind == "auto" ? "no det_10g.onnx; BlazeFace needs no download" : "asked for"};
    }
    if (kind == "blazeface") {
      throw runtime::ModelError(kBlazeFacePrimary, "not found in the models folders, " +
                                                     (media::installed_data_dir() / "blazeface").string() + " or " +
                                                     std::string(DLC_BLAZEFACE_DIR) +
                                                     "; run scripts/setup.sh");
    }
  }
  return {"dlib", {}, kind == "auto" ? "neither det_10g.onnx nor BlazeFace found" : "asked for"};
}

FaceAnalyser::FaceAnalyser(AnalyserOptions options)
    : options_(std::move(options)),
      choice_(choose_detector(options_)),
      landmarks106_path_(usable_file("landmarks", options_.search_path)),
      recognizer_path_(usable_file("recognizer", options_.search_path)) {
  spdlog::debug("face detector: {} ({})", choice_.kind, choice_.reason);
}

std::shared_ptr<face::FaceDetector> FaceAnalyser::detector() {
  return detector_.get([this]() -> std::shared_ptr<face::FaceDetector> {
    if (choice_.kind == "scrfd") {
      return std::make_shared<face::ScrfdDetector>(choice_.model, options_.policy, options_.detector_size,
                                                   options_.detector_score);
    }
    if (choice_.kind == "blazeface") {
      return std::make_shared<face::BlazeFaceDetector>(choice_.model, options_.policy, options_.detector_score);
    }
    return std::make_shared<face::DlibDetector>(0);
  });
}

std::shared_ptr<face::FaceDetector> FaceAnalyser::second_pass_detector() {
  return second_pass_detector_.get([this]() -> std::shared_ptr<face::FaceDetector> {
    if (choice_.kind == "dlib") return std::make_shared<face::DlibDetector>(1);
    if (choice_.kind == "blazeface") {
      const auto second = blazeface_second_pass(choice_.model);
      std::error_code ec;
      if (!std::filesystem::is_regular_file(second, ec)) return nullptr;
      return std::make_shared<face::BlazeFaceDetector>(second, options_.policy, options_.detector_score);
    }
    return nullptr;
  });
}

void FaceAnalyser::landmarks_into(const cv::Mat& bgr, face::Face& face) {
  // Copies of the pointers: a release_detection() meanwhile frees them after this call.
  std::shared_ptr<face::Landmarks106> model106;
  std::shared_ptr<face::DlibLandmarks> model68;
  if (landmarks106_path_) {
    model106 = landmarks106_.get([this] { return std::make_shared<face::Landmarks106>(*landmarks106_path_, options_.policy); });
  } else {
    model68 = dlib_landmarks_.get([] { return std::make_shared<face::DlibLandmarks>(); });
  }
  const runtime::ScopedStage timed(runtime::Stage::kLandmarks);
  face.landmarks = model106 != nullptr ? model106->landmarks(bgr, face.box) : model68->upright_landmarks(bgr, face.box);
}

std::vector<face::Face> FaceAnalyser::detect(const cv::Mat& bgr) {
  std::vector<face::Face> faces;
  {
    const runtime::ScopedStage timed(runtime::Stage::kDetect);
    faces = detector()->detect(bgr);
  }
  // When the first pass finds nothing, a second one for small faces: dlib's HOG window is 80 px,
  // so the doubled image (4× the time) finds faces of 40 px; BlazeFace's 256 model sees faces a
  // third the size its 128 model needs. Not always: these passes bring false positives.
  if (faces.empty()) {
    if (const auto second = second_pass_detector()) {
      const runtime::ScopedStage timed(runtime::Stage::kDetect);
      faces = second->detect(bgr);
    }
  }
  for (auto& face : faces) {
    if (face.has_kps) continue;
    landmarks_into(bgr, face);
    face.kps = face.landmarks.size() == face::Landmarks106::kPoints ? face::keypoints_from_106(face.landmarks)
                                                                    : face::keypoints_from_68(face.landmarks);
    face.has_kps = true;
  }
  return faces;
}

void FaceAnalyser::add_landmarks(const cv::Mat& bgr, face::Face& face) {
  if (face.landmarks.empty()) landmarks_into(bgr, face);
}

void FaceAnalyser::embed(const cv::Mat& bgr, face::Face& face) {
  if (!recognizer_path_) {
    throw runtime::ModelError(
        options_.search_path.empty() ? "w600k_r50.onnx" : options_.search_path.front() / "w600k_r50.onnx",
        "not found; face embeddings (inswapper, --map-faces) need it");
  }
  const auto recognizer =
      recognizer_.get([this] { return std::make_shared<face::Recognizer>(*recognizer_path_, options_.policy); });
  face.embedding = recognizer->embed(bgr, face, &face.embedding_norm);
}

void FaceAnalyser::release_recognizer() { recognizer_.reset(); }

void FaceAnalyser::release_detection() {
  detector_.reset();
  second_pass_detector_.reset();
  landmarks106_.reset();
  dlib_landmarks_.reset();
}

std::vector<std::string> FaceAnalyser::loaded() const {
  std::vector<std::string> names;
  if (detector_.loaded()) names.emplace_back("detector");
  if (second_pass_detector_.loaded()) names.emplace_back("second-pass detector");
  if (landmarks106_.loaded()) names.emplace_back("landmarks106");
  if (dlib_landmarks_.loaded()) names.emplace_back("dlib68");
  if (recognizer_.loaded()) names.emplace_back("recognizer");
  return names;
}

}  // namespace dlc::pipeline
