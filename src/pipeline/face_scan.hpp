#pragma once

#include <opencv2/core/mat.hpp>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

#include "pipeline/face_analyser.hpp"

namespace dlc::pipeline {

// `dlc faces scan` and the desktop app's map-faces dialog: who appears in a video, found in one
// streaming pass. The key frames' faces (index % detect_every == 0) are embedded (w600k_r50.onnx)
// and clustered online: a face joins the person whose centroid (the running mean of their
// embeddings, normalised) is nearest within max_distance, else it is a new person. Memory: one
// decoded frame, and per person a centroid and one thumbnail (their largest face so far) —
// constant in the video's length.
struct FaceScanOptions {
  AnalyserOptions analyser;
  int detect_every = 1;       // key frames: every Nth frame (1: every frame)
  float max_distance = 0.6f;  // cosine distance (1 - similarity) of a face from its person's centroid
  int decoder_threads = 0;    // the ffmpeg decoder's -threads (0: its own choice)
  // An image: each face is a person of its own (two faces of one picture are two people),
  // numbered from the left; no clustering.
  bool each_face_a_person = false;
  const std::atomic<bool>* stop = nullptr;  // set: the scan ends after the frame in hand (stopped)
};

struct ScannedPerson {
  int id = 0;                   // 1, 2, ... in order of first appearance
  std::vector<float> centroid;  // unit length, 512 values
  cv::Mat thumbnail;            // BGR: the largest face seen, its box grown by half on each side
  std::int64_t faces = 0;       // key-frame faces that joined this person
  std::int64_t first_frame = 0;
  std::int64_t last_frame = 0;
  std::int64_t thumbnail_frame = 0;  // the frame the thumbnail comes from
};

struct FaceScanProgress {
  std::int64_t frames_done = 0;
  std::int64_t frames_total = 0;  // the probe's count (may be 0 when unknown)
  std::size_t people = 0;
};

struct FaceScanResult {
  std::vector<ScannedPerson> people;  // by id
  std::int64_t frames = 0;            // decoded
  std::int64_t key_frames = 0;        // analysed
  std::int64_t faces = 0;             // found on the key frames
  bool stopped = false;
};

// Throws media::VideoError for a target that is not a video, runtime::ModelError (exit 4) when
// the recognizer (or the detector asked for) is missing, before the first frame is decoded.
// progress, when given, is called after each key frame, in the caller's thread.
FaceScanResult scan_faces(const std::filesystem::path& video, const FaceScanOptions& options,
                          const std::function<void(const FaceScanProgress&)>& progress = {});

}  // namespace dlc::pipeline
