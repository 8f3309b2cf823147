#include "pipeline/frame_swapper.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <system_error>

#include "memory/plan.hpp"
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

// After a model is released: its arena chunks and heap pages go back to the system.
void give_back_memory() {
  runtime::OrtRuntime::instance().shrink_arenas();
  runtime::return_free_heap();
}

}  // namespace

FaceCadence::FaceCadence(int every, std::size_t keys_kept)
    : every_(std::max(1, every)), keys_kept_(std::max<std::size_t>(2, keys_kept)) {}

std::vector<face::Face> FaceCadence::faces(std::int64_t index,
                                           const std::function<std::vector<face::Face>()>& detect) {
  if (every_ == 1) return detect();
  const std::int64_t key = index - index % every_;
  if (index == key) {
    std::vector<face::Face> found;
    std::exception_ptr error;
    try {
      found = detect();
    } catch (...) {
      error = std::current_exception();  // the frames waiting on this key go on without faces
    }
    {
      std::lock_guard lock(mutex_);
      keys_[key] = found;
      while (keys_.size() > keys_kept_) keys_.erase(keys_.begin());
    }
    published_.notify_all();
    if (error) std::rethrow_exception(error);
    return found;
  }
  std::unique_lock lock(mutex_);
  published_.wait(lock, [&] {
    return keys_.contains(key) || (keys_.size() >= keys_kept_ && keys_.begin()->first > key);
  });
  if (const auto it = keys_.find(key); it != keys_.end()) return it->second;
  lock.unlock();
  return detect();  // its key frame left the window (more frames in flight than planned)
}

FrameSwapper::FrameSwapper(const FaceJobOptions& job, const SwapperOptions& options)
    : job_(job),
      analyser_(job.analyser),
      chain_(read_image(job.source, "source"), job.source.string(), analyser_, job.chain),
      residency_(options.strategy, options.lru_room_bytes),
      cadence_(options.detect_every,
               options.frames_in_flight / static_cast<std::size_t>(std::max(1, options.detect_every)) + 2) {
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
  // The source face's detection and embedding left free chunks in the arena (the recognizer is
  // already released): give them back before the frames' models load.
  give_back_memory();
  if (options.strategy == MemoryStrategy::kResident) chain_.load_all();
}

FrameSwapper::FrameFaces FrameSwapper::analyse(const cv::Mat& frame, std::int64_t index) {
  residency_.use(analysis_id_);
  auto faces = cadence_.faces(index, [&] { return analyser_.detect(frame); });
  FrameFaces work;
  work.detected = faces.size();
  for (const auto i : faces_to_process(faces, job_)) {
    auto& face = faces[i];
    if (chain_.needs_landmarks() || job_.mouth_mask) analyser_.add_landmarks(frame, face);
    processors::FaceComposition composition;
    if (!chain_.begin_face(frame, face, composition)) {
      ++work.skipped;
      continue;
    }
    if (job_.mouth_mask) composition.mouth = processors::save_mouth(frame, face, job_.mouth_mask_size);
    work.compositions.push_back(std::move(composition));
    work.faces.push_back(std::move(face));
  }
  return work;
}

void FrameSwapper::apply(std::size_t step, cv::Mat& frame, const FrameFaces& work) {
  if (work.faces.empty()) return;
  if (step_ids_[step]) residency_.use(*step_ids_[step]);
  const auto processor = chain_.step(step).processor();
  for (const auto& face : work.faces) chain_.apply(step, *processor, frame, face);
}

// After the last step: each face composed once, its saved mouth put back first (--mouth-mask).
void FrameSwapper::finish(cv::Mat& frame, const FrameFaces& work) const {
  for (const auto& composition : work.compositions) chain_.end_face(frame, composition);
}

FrameResult FrameSwapper::process(cv::Mat& frame, std::int64_t index) {
  const auto work = analyse(frame, index);
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
    work.push_back(analyse(frames.open(i), first_index + static_cast<std::int64_t>(i)));
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
