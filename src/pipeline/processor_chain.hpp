#pragma once

#include <memory>
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

// The frame processors of a job, built once from the source face: inswapper when
// inswapper_128.onnx is usable (the recognizer reads the source face, then is released), the
// classic swapper otherwise; GFPGAN/GPEN for the enhancers (exit 4 when their file is missing).
class ProcessorChain {
 public:
  // Throws InputError when the source holds no face, runtime::ModelError for a missing model.
  ProcessorChain(const cv::Mat& source_bgr, const std::string& source_name, FaceAnalyser& analyser,
                 const ChainOptions& options);
  // The same chain with another source face (--map-faces): a new swapper, the other processors
  // (enhancers and their sessions) shared.
  ProcessorChain(const ProcessorChain& base, const cv::Mat& source_bgr, const std::string& source_name,
                 FaceAnalyser& analyser);

  const std::vector<std::shared_ptr<processors::FaceProcessor>>& processors() const { return processors_; }
  bool needs_landmarks() const;
  // "face_swapper (inswapper_128.onnx)", "face_enhancer (GFPGANv1.4.onnx)", ...
  const std::vector<std::string>& description() const { return description_; }
  void process(cv::Mat& frame, const face::Face& target) const;

 private:
  // The swapper for a source, and its description; null when the chain has no face_swapper.
  std::pair<std::shared_ptr<processors::FaceProcessor>, std::string> make_swapper(const cv::Mat& source_bgr,
                                                                                  const std::string& source_name,
                                                                                  FaceAnalyser& analyser) const;

  ChainOptions options_;
  std::vector<std::shared_ptr<processors::FaceProcessor>> processors_;
  std::vector<std::string> description_;
};

}  // namespace dlc::pipeline
