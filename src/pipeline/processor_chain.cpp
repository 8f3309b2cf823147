#include "pipeline/processor_chain.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "processors/classic_swapper.hpp"
#include "processors/face_enhancer.hpp"
#include "pipeline/job_models.hpp"

namespace dlc::pipeline {
std::pair<std::shared_ptr<processors::FaceProcessor>, std::string> ProcessorChain::make_swapper(
    const cv::Mat& source_bgr, const std::string& source_name, FaceAnalyser& analyser) const {
  auto faces = analyser.detect(source_bgr);
  const auto chosen = face::select_face(faces, options_.source_selector);
  if (!chosen) throw InputError(fmt::format("no face found in the source image '{}'", source_name));
  auto& source_face = faces[*chosen];
  const auto swapper = find_role_files(role_named("swapper"), analyser.search_path());
  if (swapper.usable) {
    analyser.embed(source_bgr, source_face);
    // The embedding is all the run needs from the recognizer.
    analyser.release_recognizer();
    return {std::make_shared<processors::InswapperSwapper>(swapper.usable->path, analyser.policy(),
                                                           source_face.embedding, options_.paste_mode, options_.paste),
            fmt::format("face_swapper ({})", swapper.usable->path.filename().string())};
  }
  analyser.add_landmarks(source_bgr, source_face);
  return {std::make_shared<processors::ClassicSwapper>(source_bgr, source_face),
          "face_swapper (classic: no inswapper_128.onnx)"};
}

ProcessorChain::ProcessorChain(const cv::Mat& source_bgr, const std::string& source_name, FaceAnalyser& analyser,
                               const ChainOptions& options)
    : options_(options) {
  for (const auto& name : options.frame_processors) {
    if (name == "face_swapper") {
      auto [swapper, text] = make_swapper(source_bgr, source_name, analyser);
      processors_.push_back(std::move(swapper));
      description_.push_back(std::move(text));
      continue;
    }
    const auto models = locate_models({&role_named(name)}, analyser.search_path());
    processors_.push_back(
        std::make_shared<processors::FaceEnhancer>(models.front().path, analyser.policy(), options.paste));
    description_.push_back(fmt::format("{} ({})", name, models.front().path.filename().string()));
  }
}

ProcessorChain::ProcessorChain(const ProcessorChain& base, const cv::Mat& source_bgr, const std::string& source_name,
                               FaceAnalyser& analyser)
    : options_(base.options_), processors_(base.processors_), description_(base.description_) {
  for (std::size_t i = 0; i < options_.frame_processors.size(); ++i) {
    if (options_.frame_processors[i] != "face_swapper") continue;
    std::tie(processors_[i], description_[i]) = make_swapper(source_bgr, source_name, analyser);
  }
}

bool ProcessorChain::needs_landmarks() const {
  return std::ranges::any_of(processors_, [](const auto& p) { return p->needs_landmarks(); });
}

void ProcessorChain::process(cv::Mat& frame, const face::Face& target) const {
  for (const auto& p : processors_) p->process(frame, target);
}

}  // namespace dlc::pipeline
