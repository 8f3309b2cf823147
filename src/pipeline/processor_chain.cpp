#include "pipeline/processor_chain.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "processors/classic_swapper.hpp"
#include "processors/face_enhancer.hpp"
#include "pipeline/job_models.hpp"

namespace dlc::pipeline {

ChainStep::ChainStep(std::string description, std::optional<std::filesystem::path> model, bool needs_landmarks,
                     Factory make, FootprintOf where_it_paints)
    : description_(std::move(description)),
      model_(std::move(model)),
      needs_landmarks_(needs_landmarks),
      make_(std::move(make)),
      footprint_(std::move(where_it_paints)) {}

std::shared_ptr<processors::FaceProcessor> ChainStep::processor() { return loaded_.get(make_); }

void ChainStep::release() {
  // A step without a model holds nothing worth freeing (and may be costly to rebuild).
  if (!model_) return;
  loaded_.reset();
}

bool ChainStep::loaded() const { return loaded_.loaded(); }

face::Face ProcessorChain::source_face(const cv::Mat& source_bgr, const std::string& source_name,
                                       FaceAnalyser& analyser) const {
  auto faces = analyser.detect(source_bgr);
  const auto chosen = face::select_face(faces, options_.source_selector);
  if (!chosen) throw InputError(fmt::format("no face found in the source image '{}'", source_name));
  return std::move(faces[*chosen]);
}

std::vector<float> ProcessorChain::identity_of(const face::Face& source, const FaceAnalyser& analyser) const {
  std::optional<std::filesystem::path> converter;
  if (swapper_->converter) converter = swapper_->converter->path;
  return processors::source_identity(*swapper_->model, swapper_->file.path, converter, analyser.policy(), source);
}

std::shared_ptr<ChainStep> ProcessorChain::make_swapper(const cv::Mat& source_bgr, const std::string& source_name,
                                                        FaceAnalyser& analyser) {
  auto source = source_face(source_bgr, source_name, analyser);
  if (auto swapper = choose_swapper(options_.swapper_model, analyser.search_path())) {
    swapper_ = std::move(swapper);
    analyser.embed(source_bgr, source);
    // The embedding is all the run needs from the recognizer.
    analyser.release_recognizer();
    const auto& model = *swapper_->model;
    return std::make_shared<ChainStep>(
        fmt::format("face_swapper ({})", swapper_->file.path.filename().string()), swapper_->file.path, false,
        [&model, path = swapper_->file.path, policy = analyser.policy(), identity = identity_of(source, analyser),
         mode = options_.paste_mode, colour = options_.color_correction] {
          return std::make_shared<processors::FaceSwapper>(model, path, policy, identity, mode, colour);
        },
        [&model](const cv::Size& frame, const face::Face& target, bool with_mask) {
          return processors::FaceSwapper::footprint(model, frame, target, with_mask);
        });
  }
  analyser.add_landmarks(source_bgr, source);
  auto classic = std::make_shared<processors::ClassicSwapper>(source_bgr, source, options_.classic_clone_factor);
  // A clone solved below the work size is named (dlc live's log line says which solve it runs).
  const auto clone = options_.classic_clone_factor == processors::ClassicSwapper::kCloneFactor
                         ? std::string()
                         : fmt::format("; clone solved at 1/{} size", options_.classic_clone_factor);
  return std::make_shared<ChainStep>("face_swapper (classic: no inswapper_128.onnx" + clone + ")", std::nullopt, true,
                                     [classic] { return classic; }, &processors::ClassicSwapper::footprint);
}

ProcessorChain::ProcessorChain(const cv::Mat& source_bgr, const std::string& source_name, FaceAnalyser& analyser,
                               const ChainOptions& options)
    : options_(options) {
  for (const auto& name : options.frame_processors) {
    if (name == "face_swapper") {
      swapper_step_ = steps_.size();
      steps_.push_back(make_swapper(source_bgr, source_name, analyser));
      continue;
    }
    const auto path = locate_models({&role_named(name)}, analyser.search_path()).front().path;
    // face_enhancer is Deep-Live-Cam's GFPGAN path, face_enhancer_gpen256/512 its GPEN path.
    const bool gpen = name != "face_enhancer";
    const auto kind = gpen ? processors::EnhancerKind::kGpen : processors::EnhancerKind::kGfpgan;
    steps_.push_back(std::make_shared<ChainStep>(
        fmt::format("{} ({})", name, path.filename().string()), path, false,
        [path, policy = analyser.policy(), kind] { return std::make_shared<processors::FaceEnhancer>(path, policy, kind); },
        gpen ? &processors::FaceEnhancer::gpen_footprint : &processors::FaceEnhancer::footprint));
  }
}

std::size_t ProcessorChain::add_source(const cv::Mat& source_bgr, const std::string& source_name,
                                       FaceAnalyser& analyser) {
  Source added;
  if (swapper_step_) {
    auto source = source_face(source_bgr, source_name, analyser);
    if (swapper_) {
      analyser.embed(source_bgr, source);
      added.identity = identity_of(source, analyser);
    } else {
      analyser.add_landmarks(source_bgr, source);
      added.classic = std::make_shared<processors::ClassicSwapper>(source_bgr, source, options_.classic_clone_factor);
    }
  }
  sources_.push_back(std::move(added));
  return sources_.size() - 1;
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

bool ProcessorChain::begin_face(const cv::Mat& frame, const face::Face& target,
                                processors::FaceComposition& composition) const {
  const bool composing = processors::composes(options_.paste);
  thread_local std::vector<processors::Footprint> footprints;
  footprints.clear();
  for (const auto& step : steps_) {
    auto footprint = step->footprint(frame.size(), target, composing);
    if (!footprint.placeable) return false;
    if (composing) footprints.push_back(std::move(footprint));
  }
  composition = composing ? processors::begin_composition(frame, footprints) : processors::FaceComposition{};
  composition.box = processors::face_pixel_box(target.box, frame.size());
  return true;
}

void ProcessorChain::apply(std::size_t step, processors::FaceProcessor& processor, cv::Mat& frame,
                           const face::Face& target, std::size_t source) const {
  const auto& other = sources_.at(source);
  if (source == 0 || step != swapper_step_) {
    processor.process(frame, target);
  } else if (other.classic) {
    other.classic->process(frame, target);
  } else {
    static_cast<processors::FaceSwapper&>(processor).process(frame, target, other.identity);
  }
}

void ProcessorChain::end_face(cv::Mat& frame, const processors::FaceComposition& composition) const {
  processors::compose(frame, composition, options_.paste);
}

bool ProcessorChain::process(cv::Mat& frame, const face::Face& target, std::size_t source,
                             processors::SavedMouth mouth) const {
  processors::FaceComposition composition;
  if (!begin_face(frame, target, composition)) return false;
  composition.mouth = std::move(mouth);
  for (std::size_t s = 0; s < steps_.size(); ++s) apply(s, *steps_[s]->processor(), frame, target, source);
  end_face(frame, composition);
  return true;
}

}  // namespace dlc::pipeline
