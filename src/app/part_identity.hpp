#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "app/job_options.hpp"
#include "media/video_reader.hpp"

namespace dlc::app {

// What a part file of `dlc run --frame-range` records in its container tags, and what `dlc join`
// checks: the range, the whole target's frame count, the target's identity and the settings.
inline constexpr const char* kPartRangeTag = "dlc_part_range";    // "START:END", END exclusive
inline constexpr const char* kPartFramesTag = "dlc_part_frames";  // the target's frame count
inline constexpr const char* kPartTargetTag = "dlc_part_target";  // file_identity of the target
inline constexpr const char* kPartSettingsTag = "dlc_part_settings";  // settings_hash of the run

// The frames a part decodes and processes before its first written one, so that its face tracks
// and their One-Euro smoothing start from the state a whole run has there (README, "Many videos,
// many machines", says how close that comes).
inline constexpr std::int64_t kPartPrerollFrames = 150;

// "START:END" (0-based, END exclusive, START < END) as a span; std::invalid_argument otherwise.
media::FrameSpan parse_frame_range(const std::string& text);

// "SIZE:SHA256" of a file: its size in bytes and the SHA-256 of its first MiB (cheap for hours of
// video, and two different cuts of one video differ in size). Throws std::runtime_error naming the
// file when it cannot be read.
std::string file_identity(const std::filesystem::path& path);

// A hash (16 hex digits of a SHA-256) of every setting that changes an output frame's pixels:
// the source face (its identity), the processors and their options, detection, tracking, the
// encoder and its quality, the providers. Not threads, memory strategy or budget: the outputs
// are the same under each (tests/app/job_command_test.cpp checks the strategies).
std::string settings_hash(const JobOptions& job);

// The tags of a part of target with these settings.
std::vector<std::pair<std::string, std::string>> part_tags(const JobOptions& job, const media::FrameSpan& range,
                                                           std::int64_t target_frames);

// dlc join's checks: every path is a part (its tags readable), all of one target (and of
// audio_from, when given) and one settings hash, together covering the target's frames once with
// no gap or overlap. Returns the parts in frame order; throws pipeline::InputError naming the
// stranger part or the missing frames.
std::vector<std::filesystem::path> checked_part_order(const std::vector<std::string>& paths,
                                                      const std::string& audio_from = {});

}  // namespace dlc::app
