#include "memory/ffmpeg_memory.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <limits>

namespace dlc::memory {
namespace {

constexpr int kFull = kFullLookahead;

struct ChildPeak {
  std::string_view codec;  // an encoder, "h264" for ffmpeg's decoder, "dlc-decode" for dlc's
  int width;
  int height;
  int threads;
  int lookahead;  // frames, kFull, or 0 for the decoder
  std::uint64_t peak_kib;
};

// The ffmpeg children's peak RSS, measured by bench/ffmpeg_child_memory.sh on this project's
// machine (ffmpeg 5.1, Debian 12): encoders fed bgr24 frames of testsrc2 on stdin with dlc's argv
// (-crf 18, preset medium; libvpx its defaults) for at least their lookahead + threads + 16 frames,
// decoders an H.264 clip to a bgr24 pipe; each peak is the child's ru_maxrss from wait4 (GNU time
// %M), in KiB. x265 (480p, 720p) and libvpx (480p) were measured at fewer sizes and settings:
// encoding them is slow on two shared cores. encoder_ladder offers only the threads measured.
constexpr std::array kFfmpegChildPeaks{
    ChildPeak{"libx264", 854, 480, 8, kFull, 172640},
    ChildPeak{"libx264", 854, 480, 4, kFull, 152952},
    ChildPeak{"libx264", 854, 480, 2, kFull, 143304},
    ChildPeak{"libx264", 854, 480, 2, 10, 100408},
    ChildPeak{"libx264", 854, 480, 1, 0, 79112},
    ChildPeak{"libx264", 1280, 720, 8, kFull, 326360},
    ChildPeak{"libx264", 1280, 720, 4, kFull, 275340},
    ChildPeak{"libx264", 1280, 720, 2, kFull, 253580},
    ChildPeak{"libx264", 1280, 720, 2, 10, 158924},
    ChildPeak{"libx264", 1280, 720, 1, 0, 113104},
    ChildPeak{"libx264", 1920, 1080, 8, kFull, 610244},
    ChildPeak{"libx264", 1920, 1080, 4, kFull, 518884},
    ChildPeak{"libx264", 1920, 1080, 2, kFull, 470096},
    ChildPeak{"libx264", 1920, 1080, 2, 10, 274992},
    ChildPeak{"libx264", 1920, 1080, 1, 0, 176640},
    ChildPeak{"libx264", 3840, 2160, 8, kFull, 1945488},
    ChildPeak{"libx264", 3840, 2160, 4, kFull, 1716076},
    ChildPeak{"libx264", 3840, 2160, 2, kFull, 1590732},
    ChildPeak{"libx264", 3840, 2160, 2, 10, 867636},
    ChildPeak{"libx264", 3840, 2160, 1, 0, 513036},
    ChildPeak{"libx265", 854, 480, 8, kFull, 229196},
    ChildPeak{"libx265", 854, 480, 4, kFull, 198180},
    ChildPeak{"libx265", 854, 480, 2, kFull, 183804},
    ChildPeak{"libx265", 854, 480, 2, 10, 158056},
    ChildPeak{"libx265", 854, 480, 1, 5, 135788},
    ChildPeak{"libx265", 1280, 720, 2, kFull, 286496},
    ChildPeak{"libx265", 1280, 720, 2, 10, 237784},
    ChildPeak{"libx265", 1280, 720, 1, 5, 197864},
    ChildPeak{"libvpx-vp9", 854, 480, 2, kFull, 141192},
    ChildPeak{"libvpx-vp9", 854, 480, 2, 10, 120352},
    ChildPeak{"libvpx-vp9", 854, 480, 1, 0, 101264},
    ChildPeak{"h264", 854, 480, 8, 0, 85968},
    ChildPeak{"h264", 854, 480, 2, 0, 71380},
    ChildPeak{"h264", 854, 480, 1, 0, 62944},
    ChildPeak{"h264", 1280, 720, 8, 0, 112628},
    ChildPeak{"h264", 1280, 720, 2, 0, 86448},
    ChildPeak{"h264", 1280, 720, 1, 0, 70360},
    ChildPeak{"h264", 1920, 1080, 8, 0, 173228},
    ChildPeak{"h264", 1920, 1080, 2, 0, 128060},
    ChildPeak{"h264", 1920, 1080, 1, 0, 89292},
    ChildPeak{"h264", 3840, 2160, 8, 0, 489284},
    ChildPeak{"h264", 3840, 2160, 2, 0, 321580},
    ChildPeak{"h264", 3840, 2160, 1, 0, 263784},
    // dlc-decode over the same clips (bench/ffmpeg_child_memory.sh, 2026-12-02): no filter graph
    // and 136 libraries instead of 215.
    ChildPeak{"dlc-decode", 854, 480, 8, 0, 58308},
    ChildPeak{"dlc-decode", 854, 480, 2, 0, 43060},
    ChildPeak{"dlc-decode", 854, 480, 1, 0, 39468},
    ChildPeak{"dlc-decode", 1280, 720, 8, 0, 74744},
    ChildPeak{"dlc-decode", 1280, 720, 2, 0, 50324},
    ChildPeak{"dlc-decode", 1280, 720, 1, 0, 44844},
    ChildPeak{"dlc-decode", 1920, 1080, 8, 0, 111784},
    ChildPeak{"dlc-decode", 1920, 1080, 2, 0, 65856},
    ChildPeak{"dlc-decode", 1920, 1080, 1, 0, 56972},
    ChildPeak{"dlc-decode", 3840, 2160, 8, 0, 308708},
    ChildPeak{"dlc-decode", 3840, 2160, 2, 0, 150080},
    ChildPeak{"dlc-decode", 3840, 2160, 1, 0, 121732},
};

// x264's and x265's presets, ultrafast to veryslow, and the rc-lookahead each sets (x264's
// x264_param_apply_preset; x265's preset table in its documentation).
constexpr std::array<std::string_view, 9> kPresets{"ultrafast", "superfast", "veryfast", "faster", "fast",
                                                   "medium",    "slow",      "slower",   "veryslow"};
constexpr std::array<int, 9> kX264Lookahead{0, 0, 10, 20, 30, 40, 50, 60, 60};
constexpr std::array<int, 9> kX265Lookahead{5, 10, 15, 15, 15, 20, 25, 40, 40};

// The slow presets keep more reference frames than medium (x264 veryslow: 16 against 3). Measured
// 2026-12-02 with GNU time around `ffmpeg -f lavfi -i testsrc2=size=1920x1080:rate=25 -frames:v 80
// -c:v libx264 -preset P -threads 8 -x264-params rc-lookahead=40 -f null -`: medium 602644 KiB,
// veryslow 875212 KiB (1.452×), rounded up and taken for every preset slower than medium (the
// slowest is the bound). x265's slow presets were not measured: they take the same factor.
constexpr double kSlowPresetFactor = 1.46;

constexpr int kMostThreadsMeasured = 8;  // the decoder's

std::uint64_t pixels(int width, int height) {
  return static_cast<std::uint64_t>(std::max(0, width)) * static_cast<std::uint64_t>(std::max(0, height));
}

int lookahead_of(const ChildPeak& row) { return row.lookahead == kFull ? full_lookahead(row.codec) : row.lookahead; }

// Linear in pixels between the measured sizes of one (codec, threads, lookahead) set, beyond the
// largest along its last two points, and below the smallest at the smallest's figure. A set
// measured at one size only (libvpx) grows in proportion to the pixels above it: an upper bound,
// since every set measured at several sizes grows by less.
double interpolate(std::vector<const ChildPeak*> rows, std::uint64_t at) {
  std::ranges::sort(rows, {}, [](const ChildPeak* r) { return pixels(r->width, r->height); });
  const auto x = [](const ChildPeak* r) { return static_cast<double>(pixels(r->width, r->height)); };
  const auto y = [](const ChildPeak* r) { return static_cast<double>(r->peak_kib) * 1024.0; };
  const auto p = static_cast<double>(at);
  if (p <= x(rows.front())) return y(rows.front());
  if (rows.size() == 1) return y(rows.front()) * p / x(rows.front());
  std::size_t upper = 1;
  while (upper + 1 < rows.size() && x(rows[upper]) < p) ++upper;
  const auto* a = rows[upper - 1];
  const auto* b = rows[upper];
  return std::max(y(a), y(a) + (y(b) - y(a)) * (p - x(a)) / (x(b) - x(a)));
}

// The figure of the cheapest measured set that is at least settings in threads and lookahead.
std::uint64_t peak_of(std::string_view codec, std::uint64_t at, int threads, int lookahead) {
  threads = std::min(threads, kMostThreadsMeasured);
  double best = std::numeric_limits<double>::max();
  double largest = 0;
  for (const auto& set : kFfmpegChildPeaks) {
    if (set.codec != codec) continue;
    std::vector<const ChildPeak*> rows;
    for (const auto& row : kFfmpegChildPeaks) {
      if (row.codec == codec && row.threads == set.threads && row.lookahead == set.lookahead) rows.push_back(&row);
    }
    const auto figure = interpolate(rows, at);
    largest = std::max(largest, figure);
    if (set.threads >= threads && lookahead_of(set) >= lookahead) best = std::min(best, figure);
  }
  // Nothing measured covers it: the largest figure of the codec.
  return static_cast<std::uint64_t>(best == std::numeric_limits<double>::max() ? largest : best);
}

std::ptrdiff_t preset_index(std::string_view preset) {
  const auto it = std::ranges::find(kPresets, preset);
  return it == kPresets.end() ? -1 : it - kPresets.begin();
}

}  // namespace

int full_lookahead(std::string_view encoder) {
  if (encoder == "libx265") return 20;     // x265 medium
  if (encoder == "libvpx-vp9") return 25;  // libvpx's lag-in-frames default
  return 40;                               // x264 medium
}

int preset_lookahead(std::string_view encoder, std::string_view preset) {
  const auto i = preset_index(preset);
  if (i < 0) return full_lookahead(encoder);
  if (encoder == "libx264") return std::min(full_lookahead(encoder), kX264Lookahead[static_cast<std::size_t>(i)]);
  if (encoder == "libx265") return std::min(full_lookahead(encoder), kX265Lookahead[static_cast<std::size_t>(i)]);
  return full_lookahead(encoder);
}

int lookahead_frames(std::string_view encoder, std::string_view preset, EncoderSettings settings) {
  const auto full = preset_lookahead(encoder, preset);
  const int frames = settings.lookahead == kFull ? full : std::min(settings.lookahead, full);
  return encoder == "libx265" ? std::max(frames, 5) : frames;
}

std::string_view measured_codec(std::string_view encoder) {
  const bool measured = std::ranges::any_of(kFfmpegChildPeaks, [&](const ChildPeak& r) { return r.codec == encoder; });
  return measured ? encoder : "libx264";
}

std::vector<EncoderSettings> encoder_ladder(std::string_view encoder, int cores) {
  int measured_threads = 1;
  for (const auto& row : kFfmpegChildPeaks) {
    if (row.codec == measured_codec(encoder)) measured_threads = std::max(measured_threads, row.threads);
  }
  const int most = std::clamp(cores, 1, measured_threads);
  std::vector<EncoderSettings> ladder;
  const auto add = [&](EncoderSettings s) {
    if (std::ranges::find(ladder, s) == ladder.end()) ladder.push_back(s);
  };
  add({most, kFull});
  add({std::min(most, 4), kFull});
  add({std::min(most, 2), kFull});
  add({std::min(most, 2), 10});
  add({1, 0});
  return ladder;
}

std::uint64_t encoder_peak_bytes(std::string_view encoder, std::string_view preset, int width, int height,
                                 EncoderSettings settings) {
  const auto codec = measured_codec(encoder);
  const auto figure = peak_of(codec, pixels(width, height), settings.threads, lookahead_frames(codec, preset, settings));
  const auto i = preset_index(preset);
  const bool slow = i > preset_index("medium") && codec != "libvpx-vp9";
  return slow ? static_cast<std::uint64_t>(static_cast<double>(figure) * kSlowPresetFactor) : figure;
}

std::uint64_t decoder_peak_bytes(int width, int height, int threads, DecoderChild child) {
  return peak_of(child == DecoderChild::kDlcDecode ? "dlc-decode" : "h264", pixels(width, height), threads, 0);
}

}  // namespace dlc::memory
