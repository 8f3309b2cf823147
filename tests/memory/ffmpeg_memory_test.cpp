#include "memory/ffmpeg_memory.hpp"

#include <gtest/gtest.h>

#include <utility>

namespace dlc::memory {
namespace {

constexpr std::uint64_t kMiB = 1ULL << 20;

TEST(EncoderLadder, FastestFirstWithinTheCores) {
  const auto two = encoder_ladder("libx264", 2);
  ASSERT_EQ(two.size(), 3u);
  EXPECT_EQ(two[0], (EncoderSettings{2, kFullLookahead}));
  EXPECT_EQ(two[1], (EncoderSettings{2, 10}));
  EXPECT_EQ(two[2], (EncoderSettings{1, 0}));
  const auto many = encoder_ladder("libx264", 32);
  ASSERT_EQ(many.size(), 5u);
  EXPECT_EQ(many[0], (EncoderSettings{8, kFullLookahead}));  // at most the 8 threads measured
  EXPECT_EQ(encoder_ladder("libx264", 1).front(), (EncoderSettings{1, kFullLookahead}));
  EXPECT_EQ(encoder_ladder("h264_nvenc", 32), many);
}

TEST(EncoderLadder, EachStepNeedsLessMemory) {
  for (const char* encoder : {"libx264", "libx265", "libvpx-vp9"}) {
    const auto ladder = encoder_ladder(encoder, 16);
    for (std::size_t i = 1; i < ladder.size(); ++i) {
      EXPECT_LE(encoder_peak_bytes(encoder, "", 1920, 1080, ladder[i]),
                encoder_peak_bytes(encoder, "", 1920, 1080, ladder[i - 1]))
          << encoder << " step " << i;
    }
  }
}

TEST(EncoderPeak, MeasuredRowsAreReturnedAsMeasured) {
  // kFfmpegChildPeaks: libx264 at 854x480, 2 threads, lookahead 40: 143304 KiB.
  EXPECT_EQ(encoder_peak_bytes("libx264", "", 854, 480, {2, kFullLookahead}), 143304ULL * 1024);
  EXPECT_EQ(encoder_peak_bytes("libx264", "medium", 854, 480, {2, 10}), 100408ULL * 1024);
}

TEST(EncoderPeak, GrowsWithPixelsAndCoversWhatIsBetween) {
  const EncoderSettings s{2, kFullLookahead};
  const auto p480 = encoder_peak_bytes("libx264", "", 854, 480, s);
  const auto p720 = encoder_peak_bytes("libx264", "", 1280, 720, s);
  const auto p1080 = encoder_peak_bytes("libx264", "", 1920, 1080, s);
  const auto p2160 = encoder_peak_bytes("libx264", "", 3840, 2160, s);
  EXPECT_LT(p480, p720);
  EXPECT_LT(p720, p1080);
  EXPECT_LT(p1080, p2160);
  const auto between = encoder_peak_bytes("libx264", "", 1600, 900, s);
  EXPECT_GT(between, p720);
  EXPECT_LT(between, p1080);
  // Smaller than anything measured: the smallest measurement, an upper bound.
  EXPECT_EQ(encoder_peak_bytes("libx264", "", 64, 64, s), p480);
}

TEST(EncoderPeak, ThreadsBetweenMeasuredOnesTakeTheNextRowUp) {
  EXPECT_EQ(encoder_peak_bytes("libx264", "", 1280, 720, {3, kFullLookahead}),
            encoder_peak_bytes("libx264", "", 1280, 720, {4, kFullLookahead}));
  EXPECT_EQ(encoder_peak_bytes("libx264", "", 1280, 720, {64, kFullLookahead}),
            encoder_peak_bytes("libx264", "", 1280, 720, {8, kFullLookahead}));
}

TEST(EncoderPeak, OneMeasuredSizeGrowsInProportionAbove) {
  // libvpx-vp9 is measured at 854x480 only: 2 threads, lookahead 25 at 141192 KiB.
  const auto at480 = encoder_peak_bytes("libvpx-vp9", "", 854, 480, {2, kFullLookahead});
  EXPECT_EQ(at480, 141192ULL * 1024);
  EXPECT_NEAR(static_cast<double>(encoder_peak_bytes("libvpx-vp9", "", 1708, 960, {2, kFullLookahead})),
              4.0 * static_cast<double>(at480), 1024.0);
}

TEST(EncoderLadder, X265AndVp9KeepToTheThreadsMeasured) {
  EXPECT_EQ(encoder_ladder("libx265", 16).front(), (EncoderSettings{8, kFullLookahead}));
  EXPECT_EQ(encoder_ladder("libvpx-vp9", 16).front(), (EncoderSettings{2, kFullLookahead}));
  EXPECT_EQ(encoder_ladder("libvpx-vp9", 16).size(), 3u);
}

TEST(EncoderPeak, NvencIsPlannedAsX264) {
  EXPECT_EQ(encoder_peak_bytes("h264_nvenc", "", 1920, 1080, {2, kFullLookahead}),
            encoder_peak_bytes("libx264", "", 1920, 1080, {2, kFullLookahead}));
}

TEST(Lookahead, NeverMoreThanThePresetsOwnAndX265HasAFloor) {
  EXPECT_EQ(lookahead_frames("libx264", "", {2, kFullLookahead}), 40);
  EXPECT_EQ(lookahead_frames("libx264", "veryslow", {2, kFullLookahead}), 40);  // capped at medium's
  EXPECT_EQ(lookahead_frames("libx264", "veryfast", {2, kFullLookahead}), 10);
  EXPECT_EQ(lookahead_frames("libx264", "ultrafast", {2, 10}), 0);
  EXPECT_EQ(lookahead_frames("libx265", "", {1, 0}), 5);
  EXPECT_EQ(lookahead_frames("libx265", "", {2, kFullLookahead}), 20);
  EXPECT_EQ(lookahead_frames("libvpx-vp9", "", {2, kFullLookahead}), 25);
  EXPECT_EQ(lookahead_frames("libvpx-vp9", "", {2, 10}), 10);
}

TEST(EncoderPeak, FasterPresetsPlanNoMore) {
  const EncoderSettings s{2, kFullLookahead};
  EXPECT_LE(encoder_peak_bytes("libx264", "ultrafast", 1920, 1080, s), encoder_peak_bytes("libx264", "", 1920, 1080, s));
}

TEST(EncoderPeak, SlowerPresetsPlanTheMeasuredVeryslowFactor) {
  // libx264 1920x1080, 8 threads, lookahead 40: veryslow peaked at 875212 KiB against medium's
  // 602644 KiB (1.452x); every preset slower than medium is planned at that bound.
  const EncoderSettings s{8, kFullLookahead};
  const auto medium = encoder_peak_bytes("libx264", "medium", 1920, 1080, s);
  for (const auto* preset : {"slow", "slower", "veryslow"}) {
    const auto planned = encoder_peak_bytes("libx264", preset, 1920, 1080, s);
    EXPECT_GE(static_cast<double>(planned), 1.452 * static_cast<double>(medium)) << preset;
    EXPECT_LE(static_cast<double>(planned), 1.47 * static_cast<double>(medium)) << preset;
  }
}

TEST(DecoderPeak, GrowsWithPixelsAndThreads) {
  EXPECT_LT(decoder_peak_bytes(854, 480, 2), decoder_peak_bytes(3840, 2160, 2));
  EXPECT_LE(decoder_peak_bytes(1920, 1080, 1), decoder_peak_bytes(1920, 1080, 8));
  EXPECT_GT(decoder_peak_bytes(1920, 1080, 2), 16 * kMiB);
}

// dlc-decode is planned from its own measurements (bench/ffmpeg_child_memory.sh): 65856 KiB at
// 1080p with 2 threads, against ffmpeg's 128060 KiB.
TEST(DecoderPeak, DlcDecodeHasItsOwnMeasuredFigures) {
  EXPECT_EQ(decoder_peak_bytes(1920, 1080, 2, DecoderChild::kDlcDecode), 65856u * 1024);
  EXPECT_EQ(decoder_peak_bytes(1920, 1080, 2, DecoderChild::kFfmpeg), 128060u * 1024);
  for (const auto& [w, h] : {std::pair{854, 480}, std::pair{1280, 720}, std::pair{3840, 2160}}) {
    EXPECT_LT(decoder_peak_bytes(w, h, 2, DecoderChild::kDlcDecode), decoder_peak_bytes(w, h, 2)) << w << "x" << h;
  }
  EXPECT_LT(decoder_peak_bytes(854, 480, 2, DecoderChild::kDlcDecode),
            decoder_peak_bytes(3840, 2160, 2, DecoderChild::kDlcDecode));
}

}  // namespace
}  // namespace dlc::memory
