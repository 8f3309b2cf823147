#include "pipeline/image_job.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <opencv2/imgcodecs.hpp>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <system_error>

#include "pipeline/face_map.hpp"
#include "processors/mouth_mask.hpp"

namespace dlc::pipeline {

std::filesystem::path resolve_output(const std::filesystem::path& source, const std::filesystem::path& target,
                                     const std::filesystem::path& output) {
  std::error_code ec;
  if (!std::filesystem::is_directory(output, ec)) return output;
  return output / (source.stem().string() + "-" + target.stem().string() + target.extension().string());
}

void write_image_atomically(const cv::Mat& image, const std::filesystem::path& path) {
  // The temporary keeps the extension: it is what tells OpenCV the format.
  auto temporary = path;
  temporary.replace_filename(fmt::format(".{}.dlc-partial-{}{}", path.stem().string(), getpid(), path.extension().string()));
  bool written = false;
  try {
    written = cv::imwrite(temporary.string(), image);
  } catch (const cv::Exception& e) {
    std::filesystem::remove(temporary);
    throw InputError(fmt::format("cannot write '{}': {}", path.string(), e.err));
  }
  if (!written) {
    std::error_code ec;
    std::filesystem::remove(temporary, ec);
    throw InputError(fmt::format("cannot write '{}': unknown image format '{}' or the folder is not writable",
                                 path.string(), path.extension().string()));
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::filesystem::remove(temporary, ec);
    throw InputError(fmt::format("cannot write '{}': {}", path.string(), ec.message()));
  }
}

cv::Mat read_image(const std::filesystem::path& path, const char* role) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw InputError(fmt::format("{} '{}' does not exist or is not a file", role, path.string()));
  }
  const auto image = cv::imread(path.string(), cv::IMREAD_COLOR);
  if (image.empty()) throw InputError(fmt::format("{} '{}' is not an image dlc can read", role, path.string()));
  return image;
}

std::vector<std::size_t> faces_to_process(const std::vector<face::Face>& faces, const FaceJobOptions& options) {
  std::vector<std::size_t> chosen;
  if (options.many_faces) {
    for (std::size_t i = 0; i < faces.size(); ++i) chosen.push_back(i);
  } else if (const auto one = face::select_face(faces, options.target_selector)) {
    chosen.push_back(*one);
  }
  return chosen;
}

void process_face(cv::Mat& frame, face::Face& target, const ProcessorChain& chain, FaceAnalyser& analyser,
                  bool mouth_mask) {
  if (chain.needs_landmarks() || mouth_mask) analyser.add_landmarks(frame, target);
  processors::SavedMouth mouth;
  if (mouth_mask) mouth = processors::save_mouth(frame, target);
  chain.process(frame, target);
  if (mouth_mask) processors::restore_mouth(frame, mouth);
}

ImageJobReport run_image_job(const ImageJobOptions& options) {
  const auto source = read_image(options.source, "source");
  auto frame = read_image(options.target, "target");
  const auto output = resolve_output(options.source, options.target, options.output);

  FaceAnalyser analyser(options.analyser);
  const ProcessorChain chain(source, options.source.string(), analyser, options.chain);

  ImageJobReport report;
  report.output = output;
  report.processors = chain.description();
  report.detector = analyser.detector_choice().kind;
  auto faces = analyser.detect(frame);
  report.target_faces = faces.size();
  // Each chosen face with the chain that processes it.
  std::vector<std::pair<std::size_t, const ProcessorChain*>> work;
  std::vector<std::unique_ptr<ProcessorChain>> mapped_chains;
  if (!options.map_faces.empty()) {
    // Positions count from the left, as a person reads the target.
    std::ranges::stable_sort(faces, [](const face::Face& a, const face::Face& b) { return a.box.x < b.box.x; });
    bool embedded = false;
    for (const auto& mapping : read_face_map(options.map_faces)) {
      std::optional<std::size_t> index;
      if (mapping.target_face) {
        if (*mapping.target_face < faces.size()) index = mapping.target_face;
      } else {
        if (!embedded) {
          for (auto& f : faces) analyser.embed(frame, f);
          embedded = true;
        }
        const auto reference = read_image(*mapping.reference, "reference");
        auto ref_faces = analyser.detect(reference);
        const auto ref = face::select_face(ref_faces, face::Selector::kLargest);
        if (!ref) throw InputError(fmt::format("no face found in the reference image '{}'", mapping.reference->string()));
        analyser.embed(reference, ref_faces[*ref]);
        index = face::nearest_face(faces, ref_faces[*ref].embedding);
      }
      if (!index) {
        spdlog::warn("map-faces: no target face for {} (the target has {} faces)", mapping.source.string(), faces.size());
        continue;
      }
      mapped_chains.push_back(std::make_unique<ProcessorChain>(chain, read_image(mapping.source, "mapped source"),
                                                               mapping.source.string(), analyser));
      work.emplace_back(*index, mapped_chains.back().get());
    }
  } else {
    for (const auto i : faces_to_process(faces, options)) work.emplace_back(i, &chain);
  }
  for (const auto& [i, face_chain] : work) {
    process_face(frame, faces[i], *face_chain, analyser, options.mouth_mask);
    ++report.processed_faces;
  }
  write_image_atomically(frame, output);
  return report;
}

}  // namespace dlc::pipeline
