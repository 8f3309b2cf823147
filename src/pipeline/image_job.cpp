#include "pipeline/image_job.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <system_error>

#include "media/image_codec.hpp"
#include "media/image_file.hpp"
#include "pipeline/face_map.hpp"
#include "pipeline/frame_swapper.hpp"
#include "processors/mouth_mask.hpp"
#include "processors/nsfw_filter.hpp"

namespace dlc::pipeline {

std::filesystem::path resolve_output(const std::filesystem::path& source, const std::filesystem::path& target,
                                     const std::filesystem::path& output) {
  std::error_code ec;
  if (!std::filesystem::is_directory(output, ec)) return output;
  return output / (source.stem().string() + "-" + target.stem().string() + target.extension().string());
}

void write_image_atomically(const cv::Mat& image, const std::filesystem::path& path) {
  std::vector<unsigned char> bytes;
  if (const auto problem = media::encode_image(image, path.extension().string(), bytes); !problem.empty()) {
    throw InputError(fmt::format("cannot write '{}': {} (unknown image format '{}'?)", path.string(), problem,
                                 path.extension().string()));
  }
  auto temporary = path;
  temporary.replace_filename(fmt::format(".{}.dlc-partial-{}{}", path.stem().string(), getpid(), path.extension().string()));
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      const auto why = std::strerror(errno);
      std::error_code ec;
      std::filesystem::remove(temporary, ec);
      throw InputError(fmt::format("cannot write '{}': {}", path.string(), why));
    }
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
  auto file = media::read_image_file(path);
  if (file.damaged) {
    throw InputError(fmt::format("{} '{}' is damaged: {}; use a complete copy of the file", role, path.string(),
                                 file.problem));
  }
  if (!file.problem.empty()) throw InputError(fmt::format("{} '{}' {}", role, path.string(), file.problem));
  if (file.image.empty()) throw InputError(fmt::format("{} '{}' is not an image dlc can read", role, path.string()));
  return std::move(file.image);
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

bool process_face(cv::Mat& frame, face::Face& target, const ProcessorChain& chain, FaceAnalyser& analyser,
                  const FaceJobOptions& options, std::size_t source) {
  if (chain.needs_landmarks() || options.mouth_mask || options.draw_mouth_mask) analyser.add_landmarks(frame, target);
  processors::SavedMouth mouth;
  if (options.mouth_mask) mouth = processors::save_mouth(frame, target, options.mouth_mask_size);
  const bool placed = chain.process(frame, target, source, std::move(mouth));
  if (placed && options.draw_mouth_mask) processors::draw_mouth_outline(frame, target, options.mouth_mask_size);
  return placed;
}

namespace {

// --map-faces: each mapping's source swapped onto its target face, the rest left alone. One chain:
// one swapper session for every mapping, each mapping a source of it.
void map_faces(cv::Mat& frame, const ImageJobOptions& options, ImageJobReport& report) {
  const auto source = read_image(options.source, "source");
  FaceAnalyser analyser(options.analyser);
  ProcessorChain chain(source, options.source.string(), analyser, options.chain);
  report.processors = chain.description();
  report.detector = analyser.detector_choice().kind;
  auto faces = analyser.detect(frame);
  report.target_faces = faces.size();
  // Positions count from the left, as a person reads the target.
  std::ranges::stable_sort(faces, [](const face::Face& a, const face::Face& b) { return a.box.x < b.box.x; });
  bool embedded = false;
  std::vector<std::pair<std::size_t, std::size_t>> mapped;  // face, its source in the chain
  for (const auto& mapping : read_face_map(options.map_faces)) {
    std::optional<std::size_t> index;
    if (mapping.target_face) {
      if (*mapping.target_face < faces.size()) index = mapping.target_face;
    } else {
      if (!embedded) {
        for (auto& f : faces) analyser.embed(frame, f);
        embedded = true;
      }
      index = face::nearest_face(faces, *mapping_identity(mapping, analyser));
    }
    if (!index) {
      spdlog::warn("map-faces: no target face for {} (the target has {} faces)", mapping.source.string(), faces.size());
      continue;
    }
    mapped.emplace_back(*index, chain.add_source(read_image(mapping.source, "mapped source"), mapping.source.string(),
                                                 analyser));
  }
  // The embeddings are all the run needs from the recognizer.
  analyser.release_recognizer();
  // Swapped only once every mapping has found its face: the faces are matched on the target as
  // it was, not on a frame where an earlier mapping has already changed one.
  for (const auto& [i, source_index] : mapped) {
    if (process_face(frame, faces[i], chain, analyser, options, source_index)) {
      ++report.processed_faces;
    } else {
      ++report.skipped_faces;
    }
  }
}

}  // namespace

ImageJobReport run_image_job(const ImageJobOptions& options) {
  ImageJobReport report;
  report.output = resolve_output(options.source, options.target, options.output);
  auto frame = read_image(options.target, "target");
  if (!options.nsfw_model.empty()) {
    // Released before the job's models load.
    processors::NsfwFilter(options.nsfw_model, options.analyser.policy)
        .check(frame, fmt::format("the target '{}'", options.target.string()));
  }
  if (!options.map_faces.empty()) {
    map_faces(frame, options, report);
  } else {
    // One frame through the frame swapper: under the stage strategy one model at a time.
    auto swapper_options = options.swapper;
    swapper_options.frames_in_flight = 1;
    swapper_options.detect_every = 1;
    FrameSwapper swapper(options, swapper_options);
    report.processors = swapper.description();
    report.detector = swapper.detector_choice().kind;
    const auto result = swapper_options.strategy == MemoryStrategy::kStage
                            ? swapper.process_staged(std::span(&frame, 1), 0).front()
                            : swapper.process(frame, 0);
    report.target_faces = result.detected;
    report.processed_faces = result.processed;
    report.skipped_faces = result.skipped;
  }
  write_image_atomically(frame, report.output);
  return report;
}

}  // namespace dlc::pipeline
