// The part file's identity and dlc join's checks, on small part files made here with ffmpeg and
// the tags dlc run --frame-range writes.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/part_identity.hpp"
#include "media/subprocess.hpp"
#include "pipeline/processor_chain.hpp"
#include "support/paths.hpp"

namespace dlc::app {
namespace {

TEST(FrameRange, IsStartColonExclusiveEnd) {
  const auto span = parse_frame_range("10:25");
  EXPECT_EQ(span.first, 10);
  EXPECT_EQ(span.end, 25);
  EXPECT_EQ(span.size(), 15);
  for (const char* bad : {"", "10", "10:", ":5", "5:5", "9:3", "-1:4", "a:b", "1:2:3", "1.5:3"}) {
    EXPECT_THROW(parse_frame_range(bad), std::invalid_argument) << bad;
  }
}

class Parts : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::make_temp_dir();
    target_ = dir_ / "target.mp4";
    std::ofstream(target_) << "pretend video";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A one-frame Matroska file with a part's tags.
  std::string part(const std::string& name, const std::string& range, const std::string& target,
                   const std::string& settings = "s1", const std::string& frames = "30") const {
    const auto path = dir_ / name;
    const auto r = media::run_process({"ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=gray:s=64x48:r=25",
                                       "-frames:v", "1", "-metadata", std::string(kPartRangeTag) + "=" + range,
                                       "-metadata", std::string(kPartFramesTag) + "=" + frames, "-metadata",
                                       std::string(kPartTargetTag) + "=" + target, "-metadata",
                                       std::string(kPartSettingsTag) + "=" + settings, path.string()});
    if (r.exit_code != 0) throw std::runtime_error("ffmpeg: " + r.err);
    return path.string();
  }
  std::string refusal(const std::vector<std::string>& paths, const std::string& audio_from = {}) const {
    try {
      checked_part_order(paths, audio_from);
    } catch (const pipeline::InputError& e) {
      return e.what();
    }
    return "accepted";
  }

  std::filesystem::path dir_;
  std::filesystem::path target_;
};

TEST_F(Parts, ContiguousPartsOfOneTargetAreOrderedByFrame) {
  const auto id = file_identity(target_);
  const auto a = part("a.mkv", "0:10", id), b = part("b.mkv", "10:20", id), c = part("c.mkv", "20:30", id);
  const auto ordered = checked_part_order({c, a, b}, target_.string());
  EXPECT_EQ(ordered, (std::vector<std::filesystem::path>{a, b, c}));
}

TEST_F(Parts, AGapIsNamedWithTheFramesAndTheParts) {
  const auto id = file_identity(target_);
  const auto a = part("a.mkv", "0:10", id), c = part("c.mkv", "20:30", id);
  EXPECT_EQ(refusal({a, c}), fmt::format("frames 10 to 19 are missing: no part covers them (between '{}' and '{}')", a, c));
  const auto b = part("b.mkv", "10:20", id);
  EXPECT_EQ(refusal({b, c}), fmt::format("frames 0 to 9 are missing: no part covers them (before '{}')", b));
  EXPECT_EQ(refusal({a, b}),
            fmt::format("frames 20 to 29 are missing: no part covers them (after '{}'; the target has 30 frames)", b));
}

TEST_F(Parts, AnOverlapIsRefused) {
  const auto id = file_identity(target_);
  const auto a = part("a.mkv", "0:15", id), b = part("b.mkv", "10:30", id);
  EXPECT_EQ(refusal({a, b}), fmt::format("'{}' (10:30) overlaps '{}' (0:15)", b, a));
}

TEST_F(Parts, AStrangerPartIsNamed) {
  const auto id = file_identity(target_);
  const auto a = part("a.mkv", "0:10", id);
  const auto other = part("other.mkv", "10:30", "99:feed");
  EXPECT_EQ(refusal({a, other}).rfind(fmt::format("'{}' is a part of another target than '{}'", other, a), 0), 0U);
  const auto settings = part("settings.mkv", "10:30", id, "s2");
  EXPECT_EQ(refusal({a, settings}).rfind(fmt::format("'{}' was made with other settings than '{}'", settings, a), 0), 0U);
}

TEST_F(Parts, AMissingOrUntaggedFileAndTheWrongAudioSourceAreRefused) {
  const auto id = file_identity(target_);
  const auto a = part("a.mkv", "0:30", id);
  const auto gone = (dir_ / "gone.mkv").string();
  EXPECT_EQ(refusal({a, gone}), fmt::format("part '{}' does not exist or is not a file", gone));
  const auto plain = (dir_ / "plain.mkv").string();
  ASSERT_EQ(media::run_process({"ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=s=64x48", "-frames:v", "1", plain})
                .exit_code,
            0);
  EXPECT_EQ(refusal({plain}), fmt::format("'{}' is not a part of dlc run --frame-range (it has no {} tag)", plain, kPartRangeTag));
  const auto other = dir_ / "other.mp4";
  std::ofstream(other) << "another video";
  EXPECT_EQ(refusal({a}, other.string()).rfind(fmt::format("--audio-from '{}' is not the target the parts were made from", other.string()), 0), 0U);
  EXPECT_EQ(refusal({a}, target_.string()), "accepted");
}

TEST_F(Parts, IdentityIsTheSizeAndTheFirstMebibytesHash) {
  const auto big = dir_ / "big.bin";
  {
    std::ofstream out(big, std::ios::binary);
    out << std::string((1 << 20) + 10, 'x');
  }
  const auto before = file_identity(big);
  EXPECT_EQ(before.substr(0, before.find(':')), std::to_string((1 << 20) + 10));
  {
    std::fstream io(big, std::ios::binary | std::ios::in | std::ios::out);
    io.seekp((1 << 20) + 5);
    io << 'y';  // past the first MiB: same identity
  }
  EXPECT_EQ(file_identity(big), before);
  {
    std::fstream io(big, std::ios::binary | std::ios::in | std::ios::out);
    io.seekp(5);
    io << 'y';
  }
  EXPECT_NE(file_identity(big), before);
  EXPECT_THROW(file_identity(dir_ / "none"), std::runtime_error);
}

TEST(SettingsHash, ChangesWithPixelSettingsOnly) {
  JobOptions job;
  const auto base = settings_hash(job);
  EXPECT_EQ(base.size(), 16U);
  auto threads = job;
  threads.execution_threads = 7;
  threads.memory_strategy = "stage";
  threads.max_memory_gb = 3.0;
  EXPECT_EQ(settings_hash(threads), base);
  auto quality = job;
  quality.video_quality = 0;
  EXPECT_NE(settings_hash(quality), base);
  auto smoothing = job;
  smoothing.face_smoothing = "off";
  EXPECT_NE(settings_hash(smoothing), base);
  auto every = job;
  every.detect_every = 3;
  EXPECT_NE(settings_hash(every), base);
  auto colour = job;
  colour.color_correction = "lab";
  EXPECT_NE(settings_hash(colour), base);
  auto outline = job;
  outline.draw_mouth_mask = true;
  EXPECT_NE(settings_hash(outline), base);
}

}  // namespace
}  // namespace dlc::app
