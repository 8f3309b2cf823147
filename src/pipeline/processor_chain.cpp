#include "pipeline/processor_chain.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "processors/classic_swapper.hpp"
#include "processors/face_enhancer.hpp"
#include "pipeline/job_models.hpp"

namespace dlc::pipeline {
ProcessorChain::ProcessorChain(const cv::Mat& source_bgr, const std::string& source_name, FaceAnalyser& analyser,
                               const ChainOptions& options) {
  const auto& search_path = analyser.search_path();
  for (const auto& name : options.frame_processors) {
    if (name == "face_swapper") {
      auto faces = analyser.detect(source_bgr);
      const auto chosen = face::select_face(faces, options.source_selector);
      if (!chosen) throw InputError(fmt::format("no face found in the source image '{}'", source_name));
      auto& source_face = faces[*chosen];
      const auto swapper = find_role_files(role_named("swapper"), search_path);
      if (swapper.usable) {
        analyser.embed(source_bgr, source_face);
        // The embedding is all the run needs from the recognizer.
        analyser.release_recognizer();
        processors_.push_back(std::make_unique<processors::InswapperSwapper>(
            swapper.usable->path, analyser.policy(), source_face.embedding, options.paste_mode, options.paste));
        description_.push_back(fmt::format("face_swapper ({})", swapper.usable->path.filename().string()));
      } else {
        analyser.add_landmarks(source_bgr, source_face);
        processors_.push_back(std::make_unique<processors::ClassicSwapper>(source_bgr, source_face));
        description_.emplace_back("face_swapper (classic: no inswapper_128.onnx)");
      }
      continue;
    }
    const auto& role = role_named(name);
    const auto models = locate_models({&role}, search_path);
    processors_.push_back(
        std::make_unique<processors::FaceEnhancer>(models.front().path, analyser.policy(), options.paste));
    description_.push_back(fmt::format("{} ({})", name, models.front().path.filename().string()));
  }
}

bool ProcessorChain::needs_landmarks() const {
  return std::ranges::any_of(processors_, [](const auto& p) { return p->needs_landmarks(); });
}

void ProcessorChain::process(cv::Mat& frame, const face::Face& target) const {
  for (const auto& p : processors_) p->process(frame, target);
}

}  // namespace dlc::pipeline
