#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "face/selection.hpp"
#include "pipeline/face_analyser.hpp"
#include "pipeline/job_models.hpp"
#include "pipeline/lazy_model.hpp"
#include "processors/classic_swapper.hpp"
#include "processors/face_processor.hpp"
#include "processors/face_swapper.hpp"
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
  processors::ColorCorrection color_correction = processors::ColorCorrection::kNone;  // --color-correction
  processors::PasteOptions paste;  // applied once per face, after every step (processors::compose)
  face::Selector source_selector = face::Selector::kLeftmost;
  std::string swapper_model = "auto";  // --face-swapper-model (pipeline::choose_swapper)
  // The classic swapper's Poisson clone solved at 1/this of its work size (dlc live: kLiveCloneFactor).
  int classic_clone_factor = processors::ClassicSwapper::kCloneFactor;
};

// One processor of a chain, built on first use; release() frees it (the memory strategies) and
// the next use builds it again from the same inputs, so its output does not change.
class ChainStep {
 public:
  using Factory = std::function<std::shared_ptr<processors::FaceProcessor>()>;
  // Where the processor paints a face; geometry only, so it needs no model loaded.
  using FootprintOf = std::function<processors::Footprint(const cv::Size&, const face::Face&, bool)>;
  // model: the ONNX file the processor holds; empty when it has none (the classic swapper).
  ChainStep(std::string description, std::optional<std::filesystem::path> model, bool needs_landmarks, Factory make,
            FootprintOf footprint);

  const std::string& description() const { return description_; }
  processors::Footprint footprint(const cv::Size& frame, const face::Face& target, bool with_mask) const {
    return footprint_(frame, target, with_mask);
  }
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
  FootprintOf footprint_;
  LazyModel<processors::FaceProcessor> loaded_;  // built outside its lock, as the analyser's models
};

// The frame processors of a job, in --frame-processor order, from the source face: the swapper
// --face-swapper-model chooses (pipeline::choose_swapper: inswapper_128 when its file is there,
// by default; the recognizer reads the source face, then is released), the classic swapper when
// there is none; GFPGAN/GPEN for the enhancers (exit 4 when their file is missing).
// Model files are checked here; sessions are built on first use (load_all() builds them now).
// Each face is composed once (STYLE.md): the steps paint it, then --opacity, --sharpness and
// --poisson-blend shape the made face (begin_face / apply each step / end_face, or process()).
class ProcessorChain {
 public:
  // Throws InputError when the source holds no face, runtime::ModelError for a missing model.
  ProcessorChain(const cv::Mat& source_bgr, const std::string& source_name, FaceAnalyser& analyser,
                 const ChainOptions& options);

  // --map-faces: another source face for the same swapper step. The model swapper keeps one
  // session for every source (only its source identity differs); the classic swapper keeps each source's pixels. The
  // recognizer is left loaded for the caller to release. Returns the index process() takes.
  std::size_t add_source(const cv::Mat& source_bgr, const std::string& source_name, FaceAnalyser& analyser);

  std::size_t size() const { return steps_.size(); }
  ChainStep& step(std::size_t i) const { return *steps_[i]; }
  void load_all() const;
  bool needs_landmarks() const;
  // "face_swapper (inswapper_128.onnx)", "face_enhancer (GFPGANv1.4.onnx)", ...
  std::vector<std::string> description() const;

  // Before the first step on a face: false when some step cannot place it (NaN or degenerate
  // keypoints or landmarks), and the face is to be skipped and counted; when the paste options
  // shape the face, composition receives what end_face() needs.
  bool begin_face(const cv::Mat& frame, const face::Face& target, processors::FaceComposition& composition) const;
  // Step `step` (its processor, from step(step).processor()) on one face; the swapper puts source
  // `source` (0: the -s face, else add_source's index) on it.
  void apply(std::size_t step, processors::FaceProcessor& processor, cv::Mat& frame, const face::Face& target,
             std::size_t source = 0) const;
  // After the last step on a face: the saved mouth (composition.mouth), --poisson-blend,
  // --opacity and --sharpness, once.
  void end_face(cv::Mat& frame, const processors::FaceComposition& composition) const;
  // Every step on one face, composed (with `mouth` put back); false when the face was skipped
  // (begin_face).
  bool process(cv::Mat& frame, const face::Face& target, std::size_t source = 0,
               processors::SavedMouth mouth = {}) const;

 private:
  // Another source for the swapper: its source identity (a model swapper) or its own classic swapper.
  struct Source {
    std::vector<float> identity;
    std::shared_ptr<processors::ClassicSwapper> classic;
  };
  // The swapper step for the -s source face.
  std::shared_ptr<ChainStep> make_swapper(const cv::Mat& source_bgr, const std::string& source_name,
                                          FaceAnalyser& analyser);
  face::Face source_face(const cv::Mat& source_bgr, const std::string& source_name, FaceAnalyser& analyser) const;
  // The swapper's source input for a face with its embedding (processors::source_identity).
  std::vector<float> identity_of(const face::Face& source, const FaceAnalyser& analyser) const;

  ChainOptions options_;
  std::vector<std::shared_ptr<ChainStep>> steps_;
  std::optional<std::size_t> swapper_step_;
  std::optional<SwapperChoice> swapper_;  // the swapper's model and files; empty: the classic swapper
  std::vector<Source> sources_{1};                   // [0]: the -s face, held by the swapper step itself
};

}  // namespace dlc::pipeline
