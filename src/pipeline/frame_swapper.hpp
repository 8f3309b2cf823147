#pragma once

#include <opencv2/core/mat.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pipeline/face_analyser.hpp"
#include "pipeline/frame_chunk.hpp"
#include "pipeline/image_job.hpp"
#include "pipeline/model_residency.hpp"
#include "pipeline/processor_chain.hpp"
#include "processors/mouth_mask.hpp"

namespace dlc::pipeline {

// The faces of each frame when detection runs on every Nth frame only (--detect-every): a key
// frame (index % N == 0) is detected, the frames after it reuse its faces, waiting for them when
// another thread is still detecting. It keeps the faces of the latest few key frames, never more:
// memory does not grow with the video.
class FaceCadence {
 public:
  // keys_kept: enough key frames for every frame in flight at once (frames in flight / N + 2).
  FaceCadence(int every, std::size_t keys_kept);
  int every() const { return every_; }
  std::vector<face::Face> faces(std::int64_t index, const std::function<std::vector<face::Face>()>& detect);

 private:
  int every_;
  std::size_t keys_kept_;
  std::mutex mutex_;
  std::condition_variable published_;
  std::map<std::int64_t, std::vector<face::Face>> keys_;
};

// What the frame swapper did with one frame.
struct FrameResult {
  std::size_t detected = 0;   // faces found (or reused from the key frame)
  std::size_t processed = 0;  // faces the steps ran on
  std::size_t skipped = 0;    // chosen faces that cannot be placed (NaN or degenerate keypoints), left alone
};

// The swap of a video or camera frame: face analysis, then each --frame-processor step on every
// chosen face, composed once after the last step (the saved mouth of --mouth-mask, then
// --poisson-blend, --opacity and --sharpness). The steps run in the same order
// whether a frame goes through alone (process) or a chunk of frames goes through stage by stage
// (process_staged), so both give the same pixels.
class FrameSwapper {
 public:
  // Reads the source face (InputError when it has none), checks the model files (ModelError);
  // with the resident strategy it loads every model now.
  FrameSwapper(const FaceJobOptions& job, const SwapperOptions& options);

  // Every stage on one frame, in place; several threads may call it at once, frames in any order
  // within the frames in flight.
  FrameResult process(cv::Mat& frame, std::int64_t index);
  // The stage strategy: consecutive frames first_index, first_index + 1, ..., each stage over all
  // of them with only its model loaded, released after it. A stop request (stop set) ends it
  // between two frames, with no results.
  std::vector<FrameResult> process_staged(FrameChunk& frames, std::int64_t first_index,
                                          const std::atomic<bool>* stop = nullptr);
  std::vector<FrameResult> process_staged(std::span<cv::Mat> frames, std::int64_t first_index,
                                          const std::atomic<bool>* stop = nullptr);

  std::vector<std::string> description() const { return chain_.description(); }
  const DetectorChoice& detector_choice() const { return analyser_.detector_choice(); }
  const ModelResidency& residency() const { return residency_; }
  FaceAnalyser& analyser() { return analyser_; }

 private:
  struct FrameFaces {
    std::size_t detected = 0;
    std::size_t skipped = 0;
    std::vector<face::Face> faces;
    std::vector<processors::FaceComposition> compositions;  // one per face (empty when nothing to compose)
  };
  FrameFaces analyse(const cv::Mat& frame, std::int64_t index);
  void apply(std::size_t step, cv::Mat& frame, const FrameFaces& work);
  void finish(cv::Mat& frame, const FrameFaces& work) const;

  FaceJobOptions job_;
  FaceAnalyser analyser_;
  ProcessorChain chain_;
  ModelResidency residency_;
  FaceCadence cadence_;
  std::size_t analysis_id_ = 0;
  std::vector<std::optional<std::size_t>> step_ids_;  // per chain step; empty for one without a model
};

}  // namespace dlc::pipeline
