#include "pipeline/processor_chain.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "processors/classic_swapper.hpp"
#include "processors/face_enhancer.hpp"
#include "pipeline/job_models.hpp"

namespace dlc::pipeline {

ChainStep::ChainStep(std::string description, std::optional<std::filesystem::path> model, bool needs_landmarks,
                     Factory make)
    : description_(std::move(description)),
      model_(std::move(model)),
      needs_landmarks_(needs_landmarks),
      make_(std::move(make)) {}

std::shared_ptr<processors::FaceProcessor> ChainStep::processor() {
  std::lock_guard lock(mutex_);
  if (!loaded_) loaded_ = make_();
  return loaded_;
}

void ChainStep::release() {
  // A step without a model holds nothing worth freeing (and may be costly to rebuild).
  if (!model_) return;
  std::lock_guard lock(mutex_);
  loaded_.reset();
}

bool ChainStep::loaded() const {
  std::lock_guard lock(mutex_);
  return loaded_ != nullptr;
}

std::shared_ptr<ChainStep> ProcessorChain::make_swapper(const cv::Mat& source_bgr, const std::string& source_name,
                                                        FaceAnalyser& analyser) const {
  auto faces = analyser.detect(source_bgr);
  const auto chosen = face::select_face(faces, options_.source_selector);
  if (!chosen) throw InputError(fmt::format("no face found in the source image '{}'", source_name));
  auto& source_face = faces[*chosen];
  if (const auto swapper = find_role_file(role_named("swapper"), analyser.search_path())) {
    analyser.embed(source_bgr, source_face);
    // The embedding is all the run needs from the recognizer.
    analyser.release_recognizer();
    return std::make_shared<ChainStep>(
        fmt::format("face_swapper ({})", swapper->path.filename().string()), swapper->path, false,
        [path = swapper->path, policy = analyser.policy(), embedding = source_face.embedding,
         mode = options_.paste_mode, paste = options_.paste] {
          return std::make_shared<processors::InswapperSwapper>(path, policy, embedding, mode, paste);
        });
  }
  analyser.add_landmarks(source_bgr, source_face);
  auto classic = std::make_shared<processors::ClassicSwapper>(source_bgr, source_face);
  return std::make_shared<ChainStep>("face_swapper (classic: no inswapper_128.onnx)", std::nullopt, true,
                                     [classic] { return classic; });
}

ProcessorChain::ProcessorChain(const cv::Mat& source_bgr, const std::string& source_name, FaceAnalyser& analyser,
                               const ChainOptions& options)
    : options_(options) {
  for (const auto& name : options.frame_processors) {
    if (name == "face_swapper") {
      steps_.push_back(make_swapper(source_bgr, source_name, analyser));
      continue;
    }
    const auto path = locate_models({&role_named(name)}, analyser.search_path()).front().path;
    steps_.push_back(std::make_shared<ChainStep>(
        fmt::format("{} ({})", name, path.filename().string()), path, false,
        [path, policy = analyser.policy(), paste = options.paste] {
          return std::make_shared<processors::FaceEnhancer>(path, policy, paste);
        }));
  }
}

ProcessorChain::ProcessorChain(const ProcessorChain& base, const cv::Mat& source_bgr, const std::string& source_name,
                               FaceAnalyser& analyser)
    : options_(base.options_), steps_(base.steps_) {
  for (std::size_t i = 0; i < options_.frame_processors.size(); ++i) {
    if (options_.frame_processors[i] == "face_swapper") steps_[i] = make_swapper(source_bgr, source_name, analyser);
  }
}

void ProcessorChain::load_all() const {
  for (const auto& step : steps_) step->processor();
}

bool ProcessorChain::needs_landmarks() const {
  return std::ranges::any_of(steps_, [](const auto& step) { return step->needs_landmarks(); });
}

std::vector<std::string> ProcessorChain::description() const {
  std::vector<std::string> out;
  for (const auto& step : steps_) out.push_back(step->description());
  return out;
}

void ProcessorChain::process(cv::Mat& frame, const face::Face& target) const {
  for (const auto& step : steps_) step->processor()->process(frame, target);
}

}  // namespace dlc::pipeline
