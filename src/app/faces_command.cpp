#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "app/commands.hpp"
#include "app/exit_codes.hpp"
#include "app/job_setup.hpp"
#include "memory/system_memory.hpp"
#include "memory/units.hpp"
#include "pipeline/face_scan.hpp"
#include "pipeline/processor_chain.hpp"

namespace dlc::app {
namespace {

// The template `dlc run --map-faces` reads: one mapping per person, its "source" to fill in (a
// person left "" is not swapped). The centroid is what the run matches each track against.
nlohmann::ordered_json mapping_template(const std::filesystem::path& video, const pipeline::FaceScanResult& scan,
                                double max_distance) {
  auto mappings = nlohmann::ordered_json::array();
  for (const auto& person : scan.people) {
    mappings.push_back({{"person", person.id},
                        {"source", ""},
                        {"thumbnail", fmt::format("person_{}.png", person.id)},
                        {"faces", person.faces},
                        {"first_frame", person.first_frame},
                        {"last_frame", person.last_frame},
                        {"centroid", person.centroid}});
  }
  return {{"video", std::filesystem::absolute(video).string()},
          {"max_distance", max_distance},
          {"mappings", std::move(mappings)}};
}

void write_text_atomically(const std::string& text, const std::filesystem::path& path) {
  auto temporary = path;
  temporary.replace_filename(fmt::format(".{}.dlc-partial-{}", path.filename().string(), getpid()));
  {
    std::ofstream out(temporary);
    out << text;
    if (!out.flush()) {
      std::filesystem::remove(temporary);
      throw pipeline::InputError(fmt::format("cannot write '{}'", path.string()));
    }
  }
  std::filesystem::rename(temporary, path);
}

}  // namespace

int faces_command(const CliOptions& options, int threads) {
  const auto& job = options.job;
  if (options.faces_action != "scan") {
    fmt::print(stderr, "dlc faces: the only action is scan (dlc faces scan -t VIDEO|IMAGE -o DIR)\n");
    return kExitUsage;
  }
  if (job.target.empty() || job.output.empty()) {
    fmt::print(stderr, "dlc faces scan: -t/--target and -o/--output are required (-o: a folder)\n");
    return kExitUsage;
  }
  if (!job.source.empty()) {
    fmt::print(stderr, "dlc faces scan: -s is not used: the scan finds the people of the target; each one's source "
                       "goes into the template it writes\n");
    return kExitUsage;
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(job.target, ec)) {
    throw pipeline::InputError(fmt::format("target '{}' does not exist or is not a file", job.target));
  }
  const std::filesystem::path dir(job.output);
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir)) {
    throw pipeline::InputError(fmt::format("output folder '{}' cannot be made: {}", job.output, ec.message()));
  }
  pipeline::FaceScanOptions scan_options;
  scan_options.analyser = analyser_options(job, job_session_policy(job, threads));
  scan_options.detect_every = job.detect_every.value_or(1);
  scan_options.max_distance = static_cast<float>(job.reference_distance);
  scan_options.decoder_threads = video_decoder_threads();
  scan_options.each_face_a_person = is_image(job.target);

  const bool terminal = isatty(STDERR_FILENO) != 0;
  const bool show_progress = spdlog::get_level() <= spdlog::level::info;
  auto last = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  const auto scan = pipeline::scan_faces(job.target, scan_options, [&](const pipeline::FaceScanProgress& p) {
    const auto now = std::chrono::steady_clock::now();
    if (!show_progress || now - last < std::chrono::milliseconds(500)) return;
    last = now;
    fmt::print(stderr, "{}dlc: faces scan: frame {}/{}, {} people{}", terminal ? "\r" : "", p.frames_done,
               p.frames_total, p.people, terminal ? "   " : "\n");
  });
  if (terminal && show_progress) fmt::print(stderr, "\n");
  for (const auto& person : scan.people) {
    pipeline::write_image_atomically(person.thumbnail, dir / fmt::format("person_{}.png", person.id));
  }
  const auto map_file = dir / "faces.json";
  write_text_atomically(mapping_template(job.target, scan, job.reference_distance).dump(2) + "\n", map_file);
  const auto peak = memory::read_process_memory().value_or(memory::ProcessMemory{}).peak_bytes;
  fmt::print("dlc: faces scan: {} people in {} frames ({} analysed, {} faces); wrote {} thumbnails and {}; "
             "fill in each person's \"source\" and run dlc run -t {} --map-faces {}; peak RSS {}\n",
             scan.people.size(), scan.frames, scan.key_frames, scan.faces, scan.people.size(), map_file.string(),
             job.target, map_file.string(), memory::format_mb(peak));
  return kExitOk;
}

}  // namespace dlc::app
