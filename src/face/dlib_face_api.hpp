#pragma once

#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>

#include <string>
#include <vector>

// The table of functions dlc_dlib_face.so exports (face/dlib_face_module.cpp): dlib and the
// BLAS/LAPACK/Fortran libraries it needs cost every process 2 MB of RSS at start (README
// "Start-up cost"), so only a run that detects or marks faces with dlib loads them. Nothing thrown
// inside crosses it: a function that fails returns false with dlib's message in *error.
namespace dlc::face {

inline constexpr int kDlibFaceAbi = 1;
inline constexpr const char* kDlibFaceEntry = "dlc_dlib_face_api";

// One detection in the frame's pixels, corners exclusive (a cv::Rect's), before any clamping.
struct DlibBox {
  double left = 0, top = 0, right = 0, bottom = 0;
  double confidence = 0;  // dlib's detection confidence
};

struct DlibFaceApi {
  int abi;
  // Decodes dlib's frontal face detector once per process (~0.35 s); detect() does it if needed.
  bool (*prepare_detector)(std::string* error);
  // bgr: CV_8UC3; upsample: how many times the image is doubled first.
  bool (*detect)(const cv::Mat* bgr, int upsample, std::vector<DlibBox>* found, std::string* error);
  // A shape predictor read from path (nullptr and *error "cannot open" / "cannot read: ..." when it
  // fails), its number of points, one prediction for an inclusive rectangle, and its release.
  void* (*load_predictor)(const char* path, unsigned long* parts, std::string* error);
  bool (*predict)(const void* predictor, const cv::Mat* bgr, long left, long top, long right, long bottom,
                  std::vector<cv::Point2f>* points, std::string* error);
  void (*free_predictor)(void* predictor);
};

using DlibFaceEntry = const DlibFaceApi* (*)();

}  // namespace dlc::face
