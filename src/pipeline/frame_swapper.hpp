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

#include "face/face_tracker.hpp"
#include "pipeline/face_analyser.hpp"
#include "pipeline/frame_chunk.hpp"
#include "pipeline/image_job.hpp"
#include "pipeline/model_residency.hpp"
#include "pipeline/processor_chain.hpp"
#include "processors/mouth_mask.hpp"

namespace dlc::pipeline {

// The faces of each frame of a video or camera, as tracks: the detector runs on key frames only
// (index % N == 0, --detect-every N), several at once on the job's workers; the tracker then
// takes every frame in index order (a frame waits for the one before it), smoothing the tracks
// and carrying them over the frames between key frames and over missed detections
// (--face-hold). A held face whose box no longer looks like its last detection (a cut: the face
// is gone, not missed) is dropped. Memory: the tracks and one small thumbnail per track.
class FaceTracks {
 public:
  using Detect = std::function<std::vector<face::Face>()>;
  // Under the tracker's turn, in frame order: which of the frame's faces to process.
  using Choose = std::function<std::vector<std::size_t>(const std::vector<face::TrackedFace>&)>;

  // first: the index of the first frame it is given (0 for a whole video).
  FaceTracks(int every, face::TrackerOptions options, std::int64_t first = 0);
  int every() const { return every_; }
  bool key(std::int64_t index) const { return index % every_ == 0; }

  struct Frame {
    std::vector<face::TrackedFace> faces;
    std::vector<std::size_t> chosen;
  };
  // Frame `index` (each index once, from `first` up, none left out) at `seconds`.
  Frame faces(std::int64_t index, double seconds, const cv::Mat& frame, const Detect& detect, const Choose& choose);

 private:
  void check_held(const cv::Mat& frame, std::vector<face::TrackedFace>& faces);

  int every_;
  face::FaceTracker tracker_;
  std::mutex mutex_;
  std::condition_variable turn_;
  std::int64_t next_ = 0;                        // the frame whose turn it is
  std::map<std::uint64_t, cv::Mat> thumbnails_;  // per track, at its last detection
};

// The faces of a frame a video or camera job processes: every one with many_faces; else one,
// and the same one while its track lives (chosen_track, kept by the caller from frame to frame)
// rather than whichever face the selector picks on this frame.
// With --face-selector reference, the one face whose embedding is nearest to `reference` within
// job.reference_distance, or none.
std::vector<std::size_t> choose_faces(const std::vector<face::TrackedFace>& faces, const FaceJobOptions& job,
                                      std::optional<std::uint64_t>& chosen_track,
                                      const std::vector<float>& reference = {});

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
  // within the frames in flight. Its time: `seconds` (a camera's capture time), else index / fps.
  FrameResult process(cv::Mat& frame, std::int64_t index, std::optional<double> seconds = {});
  // The stage strategy: consecutive frames first_index, first_index + 1, ..., each stage over all
  // of them with only its model loaded, released after it. A stop request (stop set) ends it
  // between two frames, with no results.
  std::vector<FrameResult> process_staged(FrameChunk& frames, std::int64_t first_index,
                                          const std::atomic<bool>* stop = nullptr);
  std::vector<FrameResult> process_staged(std::span<cv::Mat> frames, std::int64_t first_index,
                                          const std::atomic<bool>* stop = nullptr);

  // A video's rate, when it was not known as this was built (a video job's models are built
  // before the decoder has reported it): before the first frame.
  void set_fps(double fps) { fps_ = fps > 0 ? fps : 25; }

  std::vector<std::string> description() const { return chain_.description(); }
  const DetectorChoice& detector_choice() const { return analyser_.detector_choice(); }
  const ModelResidency& residency() const { return residency_; }
  FaceAnalyser& analyser() { return analyser_; }

 private:
  struct FrameFaces {
    std::size_t detected = 0;
    std::size_t skipped = 0;
    std::vector<face::Face> faces;
    std::vector<std::size_t> sources;  // per face: the chain's source swapped onto it (--map-faces)
    std::vector<processors::FaceComposition> compositions;  // one per face (empty when nothing to compose)
  };
  // --map-faces: the faces of mapped people, with each one's source. A track's person is decided
  // on the track (the mean of its key-frame embeddings, nearest mapped identity within
  // --reference-distance), not on each frame; a track nearer to no one is left alone.
  std::vector<std::size_t> choose_mapped(const std::vector<face::TrackedFace>& faces, std::vector<std::size_t>& sources);
  FrameFaces analyse(const cv::Mat& frame, std::int64_t index, double seconds);
  void apply(std::size_t step, cv::Mat& frame, const FrameFaces& work);
  void finish(cv::Mat& frame, const FrameFaces& work) const;

  FaceJobOptions job_;
  FaceAnalyser analyser_;
  ProcessorChain chain_;
  ModelResidency residency_;
  FaceTracks tracks_;
  double fps_;
  std::optional<std::uint64_t> chosen_track_;
  std::vector<float> reference_;  // --face-selector reference: the reference photo's embedding  // single-face mode: the track it stays on (under the tracks' turn)
  // --map-faces: each mapping's identity (a centroid, or its reference photo's embedding) and the
  // chain's source for it; per live track, the sum of its embeddings and the person it is.
  std::vector<std::vector<float>> mapped_people_;
  std::vector<std::size_t> mapped_sources_;
  struct TrackPerson {
    std::vector<double> sum;
    std::optional<std::size_t> person;
  };
  std::map<std::uint64_t, TrackPerson> track_people_;  // under the tracks' turn
  std::size_t analysis_id_ = 0;
  std::vector<std::optional<std::size_t>> step_ids_;  // per chain step; empty for one without a model
};

}  // namespace dlc::pipeline
