#include "media/ffmpeg_info.hpp"

#include <sstream>

#include "media/subprocess.hpp"

namespace dlc::media {

std::set<std::string> parse_encoder_list(const std::string& text) {
  std::set<std::string> encoders;
  std::istringstream lines(text);
  std::string line;
  bool in_table = false;
  while (std::getline(lines, line)) {
    // The legend ends with a " ------" rule; each row is " FLAGS NAME DESCRIPTION".
    if (!in_table) {
      in_table = line.find("------") != std::string::npos;
      continue;
    }
    std::istringstream row(line);
    std::string flags;
    std::string name;
    if (row >> flags >> name && flags.size() == 6) encoders.insert(name);
  }
  return encoders;
}

FfmpegInfo probe_ffmpeg(const std::string& program) {
  FfmpegInfo info;
  info.program = program;
  const auto version = run_process({program, "-version"});
  if (version.exit_code != 0) {
    info.problem = version.exit_code == 127 ? version.err : program + " -version failed";
    return info;
  }
  info.found = true;
  info.version = version.out.substr(0, version.out.find('\n'));
  info.encoders = parse_encoder_list(run_process({program, "-hide_banner", "-encoders"}).out);
  return info;
}

}  // namespace dlc::media
