#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "face/selection.hpp"
#include "pipeline/face_analyser.hpp"
#include "processors/face_processor.hpp"
#include "processors/inswapper.hpp"
#include "processors/paste_back.hpp"

namespace dlc::pipeline {

// A source, target or mapping file that is missing, unreadable or holds no usable face: exit 3.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ChainOptions {
  std::vector<std::string> frame_processors{"face_swapper"};
  processors::PasteMode paste_mode = processors::PasteMode::kSoftMask;
  processors::PasteOptions paste;
  face::Selector source_selector = face::Selector::kLeftmost;
};

// One processor of a chain, built on first use; release() frees it (the memory strategies) and
// the next use builds it again from the same inputs, so its output does not change.
class ChainStep {
 public:
  using Factory = std::function<std::shared_ptr<processors::FaceProcessor>()>;
  // model: the ONNX file the processor holds; empty when it has none (the classic swapper).
  ChainStep(std::string description, std::optional<std::filesystem::path> model, bool needs_landmarks, Factory make);

  const std::string& description() const { return description_; }
  const std::optional<std::filesystem::path>& model() const { return model_; }
  bool needs_landmarks() const { return needs_landmarks_; }
  // The processor, built now when it is not loaded. Thread-safe; a copy keeps it alive through
  // a release() made meanwhile.
  std::shared_ptr<processors::FaceProcessor> processor();
  void release();
  bool loaded() const;

 private:
  std::string description_;
  std::optional<std::filesystem::path> model_;
  bool needs_landmarks_;
  Factory make_;
  mutable std::mutex mutex_;
  std::shared_ptr<processors::FaceProcessor> loaded_;
};

// The frame processors of a job, in --frame-processor order, from the source face: inswapper when
// inswapper_128.onnx is usable (the recognizer reads the source face, then is released), the
// classic swapper otherwise; GFPGAN/GPEN for the enhancers (exit 4 when their file is missing).
// Model files are checked here; sessions are built on first use (load_all() builds them now).
class ProcessorChain {
 public:
  // Throws InputError when the source holds no face, runtime::ModelError for a missing model.
  ProcessorChain(const cv::Mat& source_bgr, const std::string& source_name, FaceAnalyser& analyser,
                 const ChainOptions& options);
  // The same chain with another source face (--map-faces): a new swapper, the other steps
  // (enhancers and their sessions) shared.
  ProcessorChain(const ProcessorChain& base, const cv::Mat& source_bgr, const std::string& source_name,
                 FaceAnalyser& analyser);

  std::size_t size() const { return steps_.size(); }
  ChainStep& step(std::size_t i) const { return *steps_[i]; }
  void load_all() const;
  bool needs_landmarks() const;
  // "face_swapper (inswapper_128.onnx)", "face_enhancer (GFPGANv1.4.onnx)", ...
  std::vector<std::string> description() const;
  // Every step on one face.
  void process(cv::Mat& frame, const face::Face& target) const;

 private:
  // The swapper step for a source face.
  std::shared_ptr<ChainStep> make_swapper(const cv::Mat& source_bgr, const std::string& source_name,
                                          FaceAnalyser& analyser) const;

  ChainOptions options_;
  std::vector<std::shared_ptr<ChainStep>> steps_;
};

}  // namespace dlc::pipeline
