#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "face/face.hpp"
#include "face/one_euro.hpp"

namespace dlc::face {

// --face-smoothing: off | light | default | strong, the One-Euro parameters of each coordinate of
// a track's box and five points (off: an empty optional). nullopt for any other name.
std::optional<std::optional<OneEuroParams>> smoothing_preset(std::string_view name);

struct TrackerOptions {
  std::optional<OneEuroParams> smoothing;  // nullopt: the detector's geometry as it came
  int hold_frames = 0;      // --face-hold: a missed face keeps its predicted geometry this many frames
  float min_iou = 0.3f;     // a detection continues a track when its box overlaps the prediction this much
  // Below this IoU with the prediction a continued track starts its filters again (a jump).
  float reset_iou = 0.5f;
  // When a detection and a track both have embeddings, they must be at least this similar.
  float min_similarity = 0.3f;
};

// One face of a frame as the tracker gives it: the smoothed (or predicted) geometry, its track.
struct TrackedFace {
  std::uint64_t track = 0;  // the track's id, 1, 2, ... in order of first appearance
  int age = 0;              // frames with a detection so far
  bool predicted = false;   // no detection on this frame: geometry carried forward by the track's speed
  Face face;
};

// Links detections across frames into tracks by box overlap (and embedding similarity when
// there are embeddings), smooths each track's geometry, carries it forward over frames without
// detection. Pure geometry: frames arrive in time order, each with its timestamp in seconds
// (index / fps for a video, capture time for a camera). Not thread-safe: one caller at a time.
class FaceTracker {
 public:
  explicit FaceTracker(TrackerOptions options = {}) : options_(options) {}

  // A frame the detector ran on: every track matched, missed (held up to hold_frames, then
  // dropped) or begun.
  std::vector<TrackedFace> update(const std::vector<Face>& detected, double t);
  // A frame the detector skipped (--detect-every): every track carried forward to t.
  std::vector<TrackedFace> carry(double t);
  // Drops one track (e.g. the caller saw that the held face is gone).
  void drop(std::uint64_t track);

  std::size_t tracks() const { return tracks_.size(); }
  const TrackerOptions& options() const { return options_; }

 private:
  static constexpr int kCoordinates = 4 + 10;  // box centre x, y, width, height; five points x, y
  struct Track {
    std::uint64_t id = 0;
    int age = 0;
    int missed = 0;
    double last_t = 0;  // of the last detection
    Face last;          // the last detection's non-geometric fields (score, embedding)
    std::vector<OneEuroFilter> filters;
    std::vector<double> values;  // smoothed, at last_t
  };
  void begin(Track& track, const Face& face, double t);
  void follow(Track& track, const Face& face, double t);
  Face predicted(const Track& track, double t) const;
  TrackedFace output(const Track& track, double t, bool predicted) const;

  TrackerOptions options_;
  std::vector<Track> tracks_;
  std::uint64_t next_id_ = 1;
};

}  // namespace dlc::face
