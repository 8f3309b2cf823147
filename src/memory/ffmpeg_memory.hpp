#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dlc::memory {

// How an encoder child is bounded: ffmpeg's -threads, and the frames its lookahead holds
// (x264/x265 rc-lookahead, libvpx lag-in-frames). The preset's own lookahead is kept when it is
// shorter.
struct EncoderSettings {
  int threads = 1;
  int lookahead = 0;
  bool operator==(const EncoderSettings&) const = default;
};

// The lookahead the encoder's medium preset (libvpx: its default) holds, the most dlc lets it hold.
int full_lookahead(std::string_view encoder);
// The lookahead an encoder's preset holds by default (x264's and x265's preset tables);
// full_lookahead for an empty or unknown preset.
int preset_lookahead(std::string_view encoder, std::string_view preset);

// The lookahead dlc passes the encoder for settings and preset: the settings' (kFullLookahead: the
// full one), never more than the preset's own, and for x265 never under 5 (it refuses a lookahead
// shorter than its 4 consecutive B-frames).
inline constexpr int kFullLookahead = -1;
int lookahead_frames(std::string_view encoder, std::string_view preset, EncoderSettings settings);

// The settings dlc tries for an encoder, the fastest first: threads up to the machine's cores
// and never more than kFfmpegChildPeaks measured for it (the plan stands on measurements), the
// full lookahead, then fewer threads and shorter lookaheads. An encoder not measured (NVENC)
// takes libx264's.
std::vector<EncoderSettings> encoder_ladder(std::string_view encoder, int cores);

// The encoder child's peak RSS for width x height frames with these settings and preset, from
// kFfmpegChildPeaks (the cheapest measured row at least as many threads and frames of lookahead,
// linear in pixels between the measured sizes, along the two largest beyond them). An encoder
// not measured (NVENC) is planned as libx264.
std::uint64_t encoder_peak_bytes(std::string_view encoder, std::string_view preset, int width, int height,
                                 EncoderSettings settings);
// The video's decoder child: ffmpeg, or dlc's own dlc-decode (media/dlc_decode_main.cpp).
enum class DecoderChild { kFfmpeg, kDlcDecode };
// The decoder child's peak (an H.264 target decoded to a BGR pipe with threads threads).
std::uint64_t decoder_peak_bytes(int width, int height, int threads, DecoderChild child = DecoderChild::kFfmpeg);

}  // namespace dlc::memory
