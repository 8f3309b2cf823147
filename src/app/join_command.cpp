#include <fmt/format.h>

#include <filesystem>

#include "app/commands.hpp"
#include "app/exit_codes.hpp"
#include "app/part_identity.hpp"
#include "media/video_concat.hpp"
#include "pipeline/image_job.hpp"

namespace dlc::app {

int join_command(const CliOptions& options) {
  if (options.join_parts.empty() || options.job.output.empty()) {
    fmt::print(stderr, "dlc join: PART... and -o/--output are required (see 'dlc join --help')\n");
    return kExitUsage;
  }
  const auto ordered = checked_part_order(options.join_parts, options.audio_from);
  const std::filesystem::path output = options.job.output;
  const auto joined = media::concat_videos(ordered, output, options.audio_from);
  if (!joined.ok) {
    throw pipeline::InputError(fmt::format("joining into '{}' failed: {}", output.string(), joined.problem));
  }
  fmt::print("dlc: joined {} parts into {}{}\n", ordered.size(), output.string(),
             options.audio_from.empty() ? "" : fmt::format(" with the audio of {}", options.audio_from));
  return kExitOk;
}

}  // namespace dlc::app
