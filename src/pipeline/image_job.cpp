#include "pipeline/image_job.hpp"

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <unistd.h>

#include <system_error>

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
  std::vector<std::size_t> chosen;
  if (options.many_faces) {
    for (std::size_t i = 0; i < faces.size(); ++i) chosen.push_back(i);
  } else if (const auto one = face::select_face(faces, options.target_selector)) {
    chosen.push_back(*one);
  }
  for (const auto i : chosen) {
    auto& target = faces[i];
    if (chain.needs_landmarks() || options.mouth_mask) analyser.add_landmarks(frame, target);
    processors::SavedMouth mouth;
    if (options.mouth_mask) mouth = processors::save_mouth(frame, target);
    chain.process(frame, target);
    if (options.mouth_mask) processors::restore_mouth(frame, mouth);
    ++report.processed_faces;
  }
  write_image_atomically(frame, output);
  return report;
}

}  // namespace dlc::pipeline
