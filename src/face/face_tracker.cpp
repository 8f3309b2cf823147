#include "face/face_tracker.hpp"

#include <algorithm>
#include <tuple>

#include "face/alignment.hpp"
#include "face/nms.hpp"
#include "face/recognizer.hpp"

namespace dlc::face {
namespace {

// Smoothing off still runs the filters, passing values through (alpha = 1 at this cutoff), for
// the speed estimate that carries a track over frames without detection.
constexpr OneEuroParams kPassThrough{1e9, 0.0, 1.0};

std::vector<double> coordinates(const Face& face) {
  std::vector<double> v{face.box.x + face.box.width / 2.0, face.box.y + face.box.height / 2.0, face.box.width,
                        face.box.height};
  for (const auto& p : face.kps) {
    v.push_back(p.x);
    v.push_back(p.y);
  }
  return v;
}

void set_geometry(Face& face, const std::vector<double>& v) {
  const auto w = static_cast<float>(std::max(0.0, v[2]));
  const auto h = static_cast<float>(std::max(0.0, v[3]));
  face.box = {static_cast<float>(v[0]) - w / 2, static_cast<float>(v[1]) - h / 2, w, h};
  for (std::size_t k = 0; k < face.kps.size(); ++k) {
    face.kps[k] = {static_cast<float>(v[4 + 2 * k]), static_cast<float>(v[5 + 2 * k])};
  }
}

}  // namespace

std::optional<std::optional<OneEuroParams>> smoothing_preset(std::string_view name) {
  // min_cutoff (Hz), beta (per px/s), d_cutoff (Hz), lead, chosen with bench/face_tracking_bench
  // on its 25 fps clip (README: Faces across frames). light cancels its lag with the smoothed
  // speed (lead 1): 0.64x the five points' frame-to-frame jitter at 0.02 frames of lag, and
  // closer to the true path than off (RMS 1.32 against 1.49 px). default cuts the jitter to
  // 0.45x at 0.73 frames of lag, strong to 0.39x at 1.19 frames; their lag costs more on fast
  // motion than the jitter they save (a lead on them adds back more noise than it removes lag).
  if (name == "off") return std::optional<OneEuroParams>{};
  if (name == "light") return OneEuroParams{1.0, 0.05, 1.0, 1.0};
  if (name == "default") return OneEuroParams{0.7, 0.05, 1.0};
  if (name == "strong") return OneEuroParams{0.5, 0.03, 1.0};
  return std::nullopt;
}

void FaceTracker::begin(Track& track, const Face& face, double t) {
  const auto params = options_.smoothing ? *options_.smoothing : kPassThrough;
  track.filters.assign(kCoordinates, OneEuroFilter(params));
  track.values = coordinates(face);
  for (std::size_t i = 0; i < track.values.size(); ++i) track.filters[i].filter(track.values[i], t);
  track.last = face;
  track.last_t = t;
  track.missed = 0;
  ++track.age;
}

void FaceTracker::follow(Track& track, const Face& face, double t) {
  const auto raw = coordinates(face);
  for (std::size_t i = 0; i < raw.size(); ++i) track.values[i] = track.filters[i].filter(raw[i], t);
  track.last = face;
  track.last_t = t;
  track.missed = 0;
  ++track.age;
}

Face FaceTracker::predicted(const Track& track, double t) const {
  auto v = track.values;
  for (std::size_t i = 0; i < v.size(); ++i) v[i] += track.filters[i].speed() * (t - track.last_t);
  auto face = track.last;
  set_geometry(face, v);
  // The detection's landmarks follow its five points: moved by the similarity that takes the
  // detected points to the smoothed (or predicted) ones, so a mask drawn from them sits where
  // the aligned face does.
  if (!face.landmarks.empty() && track.last.has_kps) {
    const auto m = similarity_transform(track.last.kps, face.kps);
    for (auto& p : face.landmarks) p = apply(m, p);
  }
  return face;
}

TrackedFace FaceTracker::output(const Track& track, double t, bool is_predicted) const {
  return {track.id, track.age, is_predicted, predicted(track, t)};
}

std::vector<TrackedFace> FaceTracker::update(const std::vector<Face>& detected, double t) {
  // Greedy matching, best pair first: overlap with the track's prediction, plus the embeddings'
  // similarity when both have one.
  std::vector<std::tuple<float, std::size_t, std::size_t>> pairs;  // score, track, detection
  std::vector<Face> predictions;
  predictions.reserve(tracks_.size());
  for (const auto& track : tracks_) predictions.push_back(predicted(track, t));
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    for (std::size_t d = 0; d < detected.size(); ++d) {
      const float overlap = iou(predictions[i].box, detected[d].box);
      if (overlap < options_.min_iou) continue;
      float score = overlap;
      const auto& a = tracks_[i].last.embedding;
      const auto& b = detected[d].embedding;
      if (!a.empty() && a.size() == b.size()) {
        const float s = similarity(a, b);
        if (s < options_.min_similarity) continue;
        score += s;
      }
      pairs.emplace_back(score, i, d);
    }
  }
  std::ranges::sort(pairs, [](const auto& x, const auto& y) { return std::get<0>(x) > std::get<0>(y); });
  std::vector<int> track_of(detected.size(), -1);
  std::vector<bool> matched(tracks_.size(), false);
  for (const auto& [score, i, d] : pairs) {
    if (matched[i] || track_of[d] >= 0) continue;
    matched[i] = true;
    track_of[d] = static_cast<int>(i);
  }
  for (std::size_t d = 0; d < detected.size(); ++d) {
    if (track_of[d] < 0) continue;
    auto& track = tracks_[static_cast<std::size_t>(track_of[d])];
    if (!detected[d].has_kps || iou(predictions[static_cast<std::size_t>(track_of[d])].box, detected[d].box) <
                                    options_.reset_iou) {
      begin(track, detected[d], t);  // a jump: the filters' history would drag the face
    } else {
      follow(track, detected[d], t);
    }
  }
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    if (!matched[i]) ++tracks_[i].missed;
  }
  std::erase_if(tracks_, [&](const Track& track) { return track.missed > options_.hold_frames; });
  for (std::size_t d = 0; d < detected.size(); ++d) {
    if (track_of[d] >= 0) continue;
    Track track;
    track.id = next_id_++;
    begin(track, detected[d], t);
    tracks_.push_back(std::move(track));
  }
  std::vector<TrackedFace> faces;
  faces.reserve(tracks_.size());
  for (const auto& track : tracks_) faces.push_back(output(track, t, track.missed > 0));
  return faces;
}

std::vector<TrackedFace> FaceTracker::carry(double t) {
  std::vector<TrackedFace> faces;
  faces.reserve(tracks_.size());
  for (const auto& track : tracks_) faces.push_back(output(track, t, true));
  return faces;
}

void FaceTracker::drop(std::uint64_t track) {
  std::erase_if(tracks_, [track](const Track& t) { return t.id == track; });
}

}  // namespace dlc::face
