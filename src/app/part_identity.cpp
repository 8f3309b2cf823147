#include "app/part_identity.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "media/video_concat.hpp"
#include "pipeline/image_job.hpp"
#include "runtime/sha256.hpp"

namespace dlc::app {
namespace {

std::string sha256_hex(std::span<const std::uint8_t> bytes) {
  runtime::Sha256 sha;
  sha.update(bytes);
  const auto digest = sha.finish();
  return runtime::to_hex(digest);
}

// A file named by a setting (the source face, --reference-face, --map-faces) counts by its
// identity, not its name: the same photo under another path makes the same pixels.
std::string identity_or_empty(const std::string& path) { return path.empty() ? "" : file_identity(path); }

}  // namespace

media::FrameSpan parse_frame_range(const std::string& text) {
  const auto colon = text.find(':');
  const auto number = [&](std::string_view part, std::int64_t& value) {
    const auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    return !part.empty() && ec == std::errc{} && ptr == part.data() + part.size() && value >= 0;
  };
  media::FrameSpan span;
  if (colon == std::string::npos || !number(std::string_view(text).substr(0, colon), span.first) ||
      !number(std::string_view(text).substr(colon + 1), span.end)) {
    throw std::invalid_argument(fmt::format("'{}' is not START:END (frame numbers from 0, END exclusive)", text));
  }
  if (span.end <= span.first) {
    throw std::invalid_argument(fmt::format("'{}' is empty: END must be greater than START (END is exclusive)", text));
  }
  return span;
}

std::string file_identity(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  std::ifstream in(path, std::ios::binary);
  if (ec || !in) throw std::runtime_error(fmt::format("cannot read '{}'", path.string()));
  std::vector<std::uint8_t> head(std::min<std::uintmax_t>(size, 1 << 20));
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  if (in.gcount() != static_cast<std::streamsize>(head.size())) {
    throw std::runtime_error(fmt::format("cannot read '{}'", path.string()));
  }
  return fmt::format("{}:{}", size, sha256_hex(head));
}

std::string settings_hash(const JobOptions& job) {
  std::vector<std::string> lines{
      fmt::format("source={}", identity_or_empty(job.source)),
      fmt::format("frame_processors={}", fmt::join(job.frame_processors, ",")),
      fmt::format("output_fps={}", job.output_fps ? fmt::format("{}", *job.output_fps) : ""),
      fmt::format("many_faces={}", job.many_faces),
      fmt::format("map_faces={}", identity_or_empty(job.map_faces)),
      fmt::format("mouth_mask={},{},{}", job.mouth_mask, job.mouth_mask_size, job.draw_mouth_mask),
      fmt::format("encoder={},{},{}", job.video_encoder, job.video_quality, job.video_encoder_preset),
      fmt::format("providers={}", fmt::join(job.execution_providers, ",")),
      fmt::format("detector={},{},{}", job.face_detector, job.face_detector_size, job.face_detector_score),
      fmt::format("swapper={}", job.face_swapper_model),
      fmt::format("selector={},{},{}", job.face_selector, identity_or_empty(job.reference_face), job.reference_distance),
      fmt::format("paste_back={},{},{},{},{}", job.paste_back, job.opacity, job.sharpness, job.poisson_blend,
                  job.color_correction),
      fmt::format("tracking={},{},{}", job.detect_every.value_or(1), job.face_smoothing, job.face_hold),
  };
  const auto text = fmt::format("{}", fmt::join(lines, "\n"));
  return sha256_hex({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}).substr(0, 16);
}

std::vector<std::pair<std::string, std::string>> part_tags(const JobOptions& job, const media::FrameSpan& range,
                                                           std::int64_t target_frames) {
  return {{kPartRangeTag, fmt::format("{}:{}", range.first, range.end)},
          {kPartFramesTag, std::to_string(target_frames)},
          {kPartTargetTag, file_identity(job.target)},
          {kPartSettingsTag, settings_hash(job)}};
}

namespace {

struct Part {
  std::filesystem::path path;
  media::FrameSpan range;
  std::int64_t target_frames = 0;
  std::string target;
  std::string settings;
};

Part read_part(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw pipeline::InputError(fmt::format("part '{}' does not exist or is not a file", path.string()));
  }
  const auto tags = media::read_container_tags(path);
  const auto tag = [&](const char* key) {
    const auto it = tags.find(key);
    if (it == tags.end()) {
      throw pipeline::InputError(fmt::format("'{}' is not a part of dlc run --frame-range (it has no {} tag)",
                                             path.string(), key));
    }
    return it->second;
  };
  Part part;
  part.path = path;
  try {
    part.range = parse_frame_range(tag(kPartRangeTag));
    part.target_frames = std::stoll(tag(kPartFramesTag));
  } catch (const std::logic_error& e) {  // invalid_argument, out_of_range
    throw pipeline::InputError(fmt::format("'{}': its part tags are unreadable: {}", path.string(), e.what()));
  }
  part.target = tag(kPartTargetTag);
  part.settings = tag(kPartSettingsTag);
  return part;
}

std::string frames_text(std::int64_t first, std::int64_t end) {
  return end - first == 1 ? fmt::format("frame {} is", first) : fmt::format("frames {} to {} are", first, end - 1);
}

}  // namespace

std::vector<std::filesystem::path> checked_part_order(const std::vector<std::string>& paths,
                                                      const std::string& audio_from) {
  std::vector<Part> parts;
  for (const auto& path : paths) parts.push_back(read_part(path));
  const auto& first = parts.front();
  for (const auto& p : parts) {
    if (p.target != first.target || p.target_frames != first.target_frames) {
      throw pipeline::InputError(fmt::format("'{}' is a part of another target than '{}' (target {} against {})",
                                             p.path.string(), first.path.string(), p.target, first.target));
    }
    if (p.settings != first.settings) {
      throw pipeline::InputError(fmt::format("'{}' was made with other settings than '{}' (settings {} against {})",
                                             p.path.string(), first.path.string(), p.settings, first.settings));
    }
  }
  std::ranges::stable_sort(parts, {}, [](const Part& p) { return p.range.first; });
  std::int64_t covered = 0;
  const Part* before = nullptr;
  for (const auto& p : parts) {
    if (p.range.first > covered) {
      throw pipeline::InputError(fmt::format("{} missing: no part covers them ({})", frames_text(covered, p.range.first),
                                             before ? fmt::format("between '{}' and '{}'", before->path.string(), p.path.string())
                                                    : fmt::format("before '{}'", p.path.string())));
    }
    if (p.range.first < covered) {
      throw pipeline::InputError(fmt::format("'{}' ({}:{}) overlaps '{}' ({}:{})", p.path.string(), p.range.first,
                                             p.range.end, before->path.string(), before->range.first, before->range.end));
    }
    covered = p.range.end;
    before = &p;
  }
  if (covered < first.target_frames) {
    throw pipeline::InputError(fmt::format("{} missing: no part covers them (after '{}'; the target has {} frames)",
                                           frames_text(covered, first.target_frames), before->path.string(),
                                           first.target_frames));
  }
  if (!audio_from.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(audio_from, ec)) {
      throw pipeline::InputError(fmt::format("--audio-from '{}' does not exist or is not a file", audio_from));
    }
    if (file_identity(audio_from) != first.target) {
      throw pipeline::InputError(fmt::format("--audio-from '{}' is not the target the parts were made from (target {} "
                                             "against {})", audio_from, file_identity(audio_from), first.target));
    }
  }
  std::vector<std::filesystem::path> ordered;
  for (const auto& p : parts) ordered.push_back(p.path);
  return ordered;
}

}  // namespace dlc::app
