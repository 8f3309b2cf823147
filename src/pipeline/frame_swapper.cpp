#include "pipeline/frame_swapper.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <system_error>

#include "face/identity_clusters.hpp"
#include "memory/plan.hpp"
#include "pipeline/face_map.hpp"
#include "pipeline/job_models.hpp"
#include "runtime/ort_runtime.hpp"

namespace dlc::pipeline {
namespace {

std::uint64_t file_size_or_zero(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

// The planned size of a model's weights, as the lru room counts them (activations are planned
// apart: they come and go with each call).
std::uint64_t planned_bytes(const std::filesystem::path& model) {
  return memory::estimate_model(file_size_or_zero(model), 0).weights_bytes();
}

// --face-selector reference: the largest face of the reference photo, embedded. InputError
// without a photo or a face in it; ModelError (exit 4) without the recognizer.
std::vector<float> reference_embedding(const FaceJobOptions& job, FaceAnalyser& analyser) {
  if (job.reference_face.empty()) throw InputError("--face-selector reference needs --reference-face PHOTO");
  return photo_embedding(job.reference_face, "reference face", analyser);
}

// The chain's first source: -s, else (--map-faces alone) the file's first mapped source.
std::filesystem::path chain_source(const FaceJobOptions& job) {
  return job.source.empty() && !job.map_faces.empty() ? first_mapped_source(job.map_faces) : job.source;
}

// After a model is released: its arena chunks and heap pages go back to the system.
void give_back_memory() {
  runtime::OrtRuntime::instance().shrink_arenas();
  runtime::return_free_heap();
}

}  // namespace

FaceTracks::FaceTracks(int every, face::TrackerOptions options, std::int64_t first)
    : every_(std::max(1, every)), tracker_(options), next_(first) {}

namespace {

// A face's look at low resolution, with its surroundings (the box grown to twice its size): a
// face blurred past detection still matches its sharp self, a different picture (a cut) does
// not. Measured on tools/make_test_video.sh's clip with one frame boxblurred (radius 25): 0.94
// between the blurred frame and the one before; -0.14 against the other Debian photo.
constexpr int kThumbnail = 8;
constexpr double kSameLook = 0.5;  // normalised cross-correlation of the two thumbnails

cv::Mat thumbnail(const cv::Mat& frame, const cv::Rect2f& box) {
  const cv::Rect2f around(box.x - box.width / 2, box.y - box.height / 2, box.width * 2, box.height * 2);
  const cv::Rect inside = cv::Rect(around) & cv::Rect(0, 0, frame.cols, frame.rows);
  if (inside.width < 4 || inside.height < 4) return {};
  // Averaged down first, then made grey (both are linear, so the same look up to rounding): the
  // conversion then reads 64 pixels, not the whole region (four times the face's area).
  cv::Mat small, gray;
  cv::resize(frame(inside), small, {kThumbnail, kThumbnail}, 0, 0, cv::INTER_AREA);
  cv::cvtColor(small, gray, cv::COLOR_BGR2GRAY);
  gray.convertTo(gray, CV_32F);
  return gray;
}

double correlation(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat score;
  cv::matchTemplate(a, b, score, cv::TM_CCOEFF_NORMED);
  return score.at<float>(0, 0);
}

}  // namespace

void FaceTracks::check_held(const cv::Mat& frame, std::vector<face::TrackedFace>& faces) {
  std::erase_if(faces, [&](const face::TrackedFace& f) {
    if (!f.predicted) return false;
    const auto it = thumbnails_.find(f.track);
    if (it == thumbnails_.end() || it->second.empty()) return false;
    const auto now = thumbnail(frame, f.face.box);
    if (!now.empty() && correlation(now, it->second) >= kSameLook) return false;
    tracker_.drop(f.track);
    thumbnails_.erase(it);
    return true;
  });
}

FaceTracks::Frame FaceTracks::faces(std::int64_t index, double seconds, const cv::Mat& frame, const Detect& detect,
                                    const Choose& choose) {
  const bool detecting = key(index);
  std::vector<face::Face> found;
  std::exception_ptr error;
  if (detecting) {
    try {
      found = detect();
    } catch (...) {
      error = std::current_exception();  // the frames after this one still get their turn
    }
  }
  Frame result;
  {
    std::unique_lock lock(mutex_);
    turn_.wait(lock, [&] { return next_ >= index; });
    if (!error) {
      try {
        result.faces = detecting ? tracker_.update(found, seconds) : tracker_.carry(seconds);
        if (detecting) {
          for (const auto& f : result.faces) {
            if (!f.predicted) thumbnails_[f.track] = thumbnail(frame, f.face.box);
          }
        }
        // A held face is checked on every frame it is held: on key frames it was missed, between
        // them nothing looked (with hold 0 only key-frame misses drop it).
        check_held(frame, result.faces);
        std::erase_if(thumbnails_, [&](const auto& entry) {
          return std::ranges::none_of(result.faces, [&](const auto& f) { return f.track == entry.first; });
        });
        result.chosen = choose(result.faces);
      } catch (...) {
        error = std::current_exception();
      }
    }
    next_ = std::max(next_, index + 1);
  }
  turn_.notify_all();
  if (error) std::rethrow_exception(error);
  return result;
}

FrameSwapper::FrameSwapper(const FaceJobOptions& job, const SwapperOptions& options)
    : job_(job),
      analyser_(job.analyser),
      chain_(read_image(chain_source(job), "source"), chain_source(job).string(), analyser_, job.chain),
      residency_(options.strategy, options.lru_room_bytes),
      tracks_(options.detect_every, job.tracking, options.first_index),
      fps_(options.fps > 0 ? options.fps : 25) {
  // Face analysis counts as one model: the detector with its landmark model.
  std::uint64_t analysis = planned_bytes(analyser_.detector_choice().model);
  if (const auto landmarks = find_role_file(role_named("landmarks"), analyser_.search_path())) {
    analysis += planned_bytes(landmarks->path);
  }
  analysis_id_ = residency_.add({"face analysis (" + analyser_.detector_choice().kind + ")", analysis, [this] {
                                   analyser_.release_detection();
                                   give_back_memory();
                                 }});
  for (std::size_t s = 0; s < chain_.size(); ++s) {
    auto& step = chain_.step(s);
    if (!step.model()) {
      step_ids_.emplace_back();
      continue;
    }
    step_ids_.emplace_back(residency_.add({step.description(), planned_bytes(*step.model()), [&step] {
                                             step.release();
                                             give_back_memory();
                                           }}));
  }
  if (job.target_selector == face::Selector::kReference) reference_ = reference_embedding(job, analyser_);
  if (!job.map_faces.empty()) {
    for (const auto& mapping : read_face_map(job.map_faces)) {
      if (mapping.target_face) {
        throw InputError(fmt::format("map-faces file '{}': a face by its position (\"target_face\") is for images; "
                                     "in a video or live give \"centroid\" (dlc faces scan writes them) or "
                                     "\"reference\" (a photo)",
                                     job.map_faces.string()));
      }
      mapped_people_.push_back(*mapping_identity(mapping, analyser_));
      mapped_sources_.push_back(
          chain_.add_source(read_image(mapping.source, "mapped source"), mapping.source.string(), analyser_));
    }
  }
  // The source face's detection and embedding left free chunks in the arena (the recognizer is
  // already released, unless the reference selector embeds every key frame's faces): give them
  // back before the frames' models load.
  give_back_memory();
  if (options.strategy == MemoryStrategy::kResident) chain_.load_all();
}

std::vector<std::size_t> choose_faces(const std::vector<face::TrackedFace>& faces, const FaceJobOptions& job,
                                      std::optional<std::uint64_t>& chosen_track,
                                      const std::vector<float>& reference) {
  std::vector<std::size_t> chosen;
  std::vector<face::Face> plain;
  plain.reserve(faces.size());
  for (const auto& f : faces) plain.push_back(f.face);
  if (job.target_selector == face::Selector::kReference) {
    // Identity decides on every frame; a carried face keeps its last detection's embedding.
    if (const auto near = face::nearest_face(plain, reference, 1.0f - job.reference_distance)) chosen.push_back(*near);
    return chosen;
  }
  if (job.many_faces) {
    for (std::size_t i = 0; i < faces.size(); ++i) chosen.push_back(i);
    return chosen;
  }
  for (std::size_t i = 0; i < faces.size(); ++i) {
    if (chosen_track && faces[i].track == *chosen_track) return {i};
  }
  if (const auto one = face::select_face(plain, job.target_selector)) {
    chosen_track = faces[*one].track;
    chosen.push_back(*one);
  } else {
    chosen_track.reset();
  }
  return chosen;
}

std::vector<std::size_t> FrameSwapper::choose_mapped(const std::vector<face::TrackedFace>& faces,
                                                    std::vector<std::size_t>& sources) {
  std::vector<std::size_t> chosen;
  for (std::size_t i = 0; i < faces.size(); ++i) {
    auto& track = track_people_[faces[i].track];
    const auto& embedding = faces[i].face.embedding;
    if (!faces[i].predicted && !embedding.empty()) {
      if (track.sum.empty()) track.sum.assign(embedding.size(), 0.0);
      for (std::size_t k = 0; k < embedding.size() && k < track.sum.size(); ++k) track.sum[k] += embedding[k];
      std::vector<float> mean(track.sum.begin(), track.sum.end());
      face::normalize(mean);
      track.person = face::nearest_centroid(mapped_people_, mean, 1.0f - job_.reference_distance);
    }
    if (track.person) {
      chosen.push_back(i);
      sources.push_back(mapped_sources_[*track.person]);
    }
  }
  std::erase_if(track_people_, [&](const auto& entry) {
    return std::ranges::none_of(faces, [&](const auto& f) { return f.track == entry.first; });
  });
  return chosen;
}

FrameSwapper::FrameFaces FrameSwapper::analyse(const cv::Mat& frame, std::int64_t index, double seconds) {
  residency_.use(analysis_id_);
  const auto detect = [&] {
    auto faces = analyser_.detect(frame);
    if (!reference_.empty() || !mapped_people_.empty()) {
      for (auto& f : faces) analyser_.embed(frame, f);
    }
    return faces;
  };
  std::vector<std::size_t> sources;  // per chosen face, filled under the tracks' turn
  auto tracked = tracks_.faces(index, seconds, frame, detect, [&](const std::vector<face::TrackedFace>& faces) {
    if (!mapped_people_.empty()) return choose_mapped(faces, sources);
    auto chosen = choose_faces(faces, job_, chosen_track_, reference_);
    sources.assign(chosen.size(), 0);
    return chosen;
  });
  FrameFaces work;
  work.detected = tracked.faces.size();
  for (std::size_t c = 0; c < tracked.chosen.size(); ++c) {
    auto& face = tracked.faces[tracked.chosen[c]].face;
    if (chain_.needs_landmarks() || job_.mouth_mask || job_.draw_mouth_mask) analyser_.add_landmarks(frame, face);
    processors::FaceComposition composition;
    if (!chain_.begin_face(frame, face, composition)) {
      ++work.skipped;
      continue;
    }
    if (job_.mouth_mask) composition.mouth = processors::save_mouth(frame, face, job_.mouth_mask_size);
    work.compositions.push_back(std::move(composition));
    work.faces.push_back(std::move(face));
    work.sources.push_back(sources[c]);
  }
  return work;
}

void FrameSwapper::apply(std::size_t step, cv::Mat& frame, const FrameFaces& work) {
  if (work.faces.empty()) return;
  if (step_ids_[step]) residency_.use(*step_ids_[step]);
  const auto processor = chain_.step(step).processor();
  for (std::size_t i = 0; i < work.faces.size(); ++i) chain_.apply(step, *processor, frame, work.faces[i], work.sources[i]);
}

// After the last step: each face composed once, its saved mouth put back first (--mouth-mask),
// then (--draw-mouth-mask) the mask's outline drawn over it.
void FrameSwapper::finish(cv::Mat& frame, const FrameFaces& work) const {
  for (const auto& composition : work.compositions) chain_.end_face(frame, composition);
  if (!job_.draw_mouth_mask) return;
  for (const auto& face : work.faces) processors::draw_mouth_outline(frame, face, job_.mouth_mask_size);
}

FrameResult FrameSwapper::process(cv::Mat& frame, std::int64_t index, std::optional<double> seconds) {
  const auto work = analyse(frame, index, seconds.value_or(static_cast<double>(index) / fps_));
  for (std::size_t s = 0; s < chain_.size(); ++s) apply(s, frame, work);
  finish(frame, work);
  return {work.detected, work.faces.size(), work.skipped};
}

std::vector<FrameResult> FrameSwapper::process_staged(FrameChunk& frames, std::int64_t first_index,
                                                      const std::atomic<bool>* stop) {
  const auto stopped = [stop] { return stop != nullptr && stop->load(); };
  std::vector<FrameFaces> work;
  work.reserve(frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (stopped()) return {};
    const auto index = first_index + static_cast<std::int64_t>(i);
    work.push_back(analyse(frames.open(i), index, static_cast<double>(index) / fps_));
    frames.close(i, false);
  }
  residency_.release(analysis_id_);
  for (std::size_t s = 0; s < chain_.size(); ++s) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      if (stopped()) return {};
      if (work[i].faces.empty()) continue;
      auto& frame = frames.open(i);
      apply(s, frame, work[i]);
      // The last step composes the faces (their saved mouths first) while the frame is open.
      if (s + 1 == chain_.size()) finish(frame, work[i]);
      frames.close(i, true);
    }
    if (step_ids_[s]) residency_.release(*step_ids_[s]);
  }
  std::vector<FrameResult> results;
  for (const auto& w : work) results.push_back({w.detected, w.faces.size(), w.skipped});
  return results;
}

std::vector<FrameResult> FrameSwapper::process_staged(std::span<cv::Mat> frames, std::int64_t first_index,
                                                      const std::atomic<bool>* stop) {
  MemoryChunk chunk(frames);
  return process_staged(chunk, first_index, stop);
}

}  // namespace dlc::pipeline
