#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "app/commands.hpp"
#include "app/exit_codes.hpp"
#include "face/selection.hpp"
#include "pipeline/image_job.hpp"

namespace dlc::app {
namespace {

bool is_image(const std::filesystem::path& path) {
  auto ext = path.extension().string();
  std::ranges::transform(ext, ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* image : {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}) {
    if (ext == image) return true;
  }
  return false;
}

pipeline::ImageJobOptions image_job_options(const JobOptions& job, int threads) {
  pipeline::ImageJobOptions options;
  options.source = job.source;
  options.target = job.target;
  options.output = job.output;
  options.many_faces = job.many_faces;
  options.mouth_mask = job.mouth_mask;
  options.map_faces = job.map_faces;
  options.target_selector = *face::parse_selector(job.face_selector);
  options.chain.frame_processors = job.frame_processors;
  options.chain.paste_mode = job.paste_back == "legacy" ? processors::PasteMode::kLegacy : processors::PasteMode::kSoftMask;
  options.chain.paste = {.opacity = job.opacity, .sharpness = job.sharpness, .poisson = job.poisson_blend};
  options.analyser = analyser_options(job, session_policy(job, threads));
  return options;
}

}  // namespace

int job_command(const CliOptions& options, int threads) {
  const auto& job = options.job;
  const bool live = options.command == Command::Live;
  if (job.source.empty() || (!live && (job.target.empty() || job.output.empty()))) {
    fmt::print(stderr, "dlc {}: {} required (see 'dlc --help')\n", live ? "live" : "run",
               live ? "-s/--source is" : "-s/--source, -t/--target and -o/--output are");
    return kExitUsage;
  }
  for (const auto& [path, role] : {std::pair{job.source, "source"}, std::pair{job.target, "target"}}) {
    std::error_code ec;
    if (!path.empty() && !std::filesystem::is_regular_file(path, ec)) {
      throw pipeline::InputError(fmt::format("{} '{}' does not exist or is not a file", role, path));
    }
  }
  if (live || !is_image(job.target)) {
    fmt::print(stderr, "dlc {}: {} not in this build yet; images are ('dlc run -s FACE -t IMAGE -o OUT')\n",
               live ? "live" : "run", live ? "the live mode is" : "video targets are");
    return kExitFailure;
  }
  const auto report = pipeline::run_image_job(image_job_options(job, threads));
  if (report.processed_faces == 0) {
    fmt::print("dlc: no face found in the target '{}': wrote it unchanged to {}\n", job.target, report.output.string());
  } else {
    fmt::print("dlc: wrote {} ({} of {} target faces; {}; detector {})\n", report.output.string(),
               report.processed_faces, report.target_faces, fmt::join(report.processors, ", "), report.detector);
  }
  return kExitOk;
}

}  // namespace dlc::app
