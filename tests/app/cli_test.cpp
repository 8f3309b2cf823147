#include "app/cli.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "app/exit_codes.hpp"

namespace dlc::app {
namespace {

ParseOutcome parse(std::vector<std::string> args) { return parse_command_line(args); }

struct OutOfRange {
  std::vector<std::string> args;
  std::string message;  // the flag and its allowed range
};

void PrintTo(const OutOfRange& p, std::ostream* os) {
  for (const auto& a : p.args) *os << a << ' ';
}

class CliRange : public testing::TestWithParam<OutOfRange> {};

TEST_P(CliRange, RefusedWithFlagAndRange) {
  const auto outcome = parse(GetParam().args);
  EXPECT_FALSE(outcome.options);
  EXPECT_EQ(outcome.exit_code, kExitUsage);
  EXPECT_NE(outcome.err.find(GetParam().message), std::string::npos) << outcome.err;
  EXPECT_EQ(std::count(outcome.err.begin(), outcome.err.end(), '\n'), 1) << "one line: " << outcome.err;
}

INSTANTIATE_TEST_SUITE_P(
    Flags, CliRange,
    testing::Values(
        OutOfRange{{"run", "--gpu-memory-fraction", "1.5", "-s", "a.jpg"}, "--gpu-memory-fraction: 1.5 is out of range (allowed: 0.1 to 0.95)"},
        OutOfRange{{"--gpu-memory-fraction", "0.05"}, "--gpu-memory-fraction: 0.05 is out of range (allowed: 0.1 to 0.95)"},
        OutOfRange{{"run", "--video-quality", "60"}, "--video-quality: 60 is out of range (allowed: 0 to 51)"},
        OutOfRange{{"run", "--execution-threads", "0"}, "--execution-threads: 0 is out of range (allowed: 1 to 256)"},
        OutOfRange{{"run", "--max-memory", "0"}, "--max-memory: 0 is out of range (allowed: 0.1 to 4096 GB)"},
        OutOfRange{{"run", "--memory-monitor-interval", "-1"}, "--memory-monitor-interval: -1 is out of range (allowed: 0 to 3600 s)"},
        OutOfRange{{"bench", "--frames", "0"}, "--frames: 0 is out of range (allowed: 1 to 100000)"},
        OutOfRange{{"live", "--max-memory", "lots"}, "--max-memory: 'lots' is not a number"},
        OutOfRange{{"run", "--video-encoder", "mpeg2"}, "--video-encoder: 'mpeg2' is not one of: libx264, libx265, libvpx-vp9"},
        OutOfRange{{"run", "--execution-provider", "quantum"}, "--execution-provider: 'quantum' is not one of:"},
        OutOfRange{{"run", "--frame-processor", "face_painter"}, "--frame-processor: 'face_painter' is not one of:"},
        OutOfRange{{"run", "--no-such-flag"}, "--no-such-flag"}));

TEST(Cli, DefaultsFollowDeepLiveCam) {
  const auto outcome = parse({"-s", "face.jpg", "-t", "video.mp4", "-o", "out.mp4"});
  ASSERT_TRUE(outcome.options);
  const auto& o = *outcome.options;
  EXPECT_EQ(o.command, Command::Run);  // plain `dlc [flags]` is `dlc run`
  EXPECT_EQ(o.job.source, "face.jpg");
  EXPECT_EQ(o.job.target, "video.mp4");
  EXPECT_EQ(o.job.output, "out.mp4");
  EXPECT_EQ(o.job.frame_processors, std::vector<std::string>{"face_swapper"});
  EXPECT_TRUE(o.job.keep_fps);
  EXPECT_TRUE(o.job.keep_audio);
  EXPECT_FALSE(o.job.many_faces);
  EXPECT_EQ(o.job.video_encoder, "libx264");
  EXPECT_EQ(o.job.video_quality, 18);
  EXPECT_DOUBLE_EQ(o.job.gpu_memory_fraction, 0.8);
  EXPECT_TRUE(o.job.memory_optimization);
  EXPECT_FALSE(o.job.max_memory_gb);
  EXPECT_FALSE(o.job.execution_threads);
  EXPECT_TRUE(o.job.execution_providers.empty());
  EXPECT_DOUBLE_EQ(o.job.memory_monitor_interval_s, 10.0);
}

TEST(Cli, RunFlagsAreParsed) {
  const auto outcome = parse({"run", "-s", "a.jpg", "-t", "b.mp4", "-o", "out", "--frame-processor", "face_swapper",
                              "face_enhancer", "--no-keep-audio", "--many-faces", "--mouth-mask", "--video-encoder",
                              "libx265", "--video-quality", "23", "--max-memory", "6.5", "--execution-provider", "cpu",
                              "--execution-threads", "3", "--gpu-memory-fraction", "0.6",
                              "--disable-memory-optimization", "--models-dir", "/m"});
  ASSERT_TRUE(outcome.options) << outcome.err;
  const auto& job = outcome.options->job;
  EXPECT_EQ(outcome.options->command, Command::Run);
  EXPECT_EQ(job.frame_processors, (std::vector<std::string>{"face_swapper", "face_enhancer"}));
  EXPECT_FALSE(job.keep_audio);
  EXPECT_TRUE(job.many_faces);
  EXPECT_TRUE(job.mouth_mask);
  EXPECT_EQ(job.video_encoder, "libx265");
  EXPECT_EQ(job.video_quality, 23);
  EXPECT_DOUBLE_EQ(job.max_memory_gb.value(), 6.5);
  EXPECT_EQ(job.execution_providers, std::vector<std::string>{"cpu"});
  EXPECT_EQ(job.execution_threads.value(), 3);
  EXPECT_DOUBLE_EQ(job.gpu_memory_fraction, 0.6);
  EXPECT_FALSE(job.memory_optimization);
  EXPECT_EQ(job.models_dir.value(), "/m");
}

TEST(Cli, Subcommands) {
  EXPECT_EQ(parse({"live", "-s", "a.jpg", "--live-mirror"}).options->command, Command::Live);
  EXPECT_TRUE(parse({"live", "-s", "a.jpg", "--live-mirror"}).options->job.live_mirror);
  const auto diagnose = parse({"diagnose", "--json"});
  EXPECT_EQ(diagnose.options->command, Command::Diagnose);
  EXPECT_TRUE(diagnose.options->json);
  EXPECT_EQ(parse({"bench"}).options->command, Command::Bench);
  const auto bench = parse({"bench", "--frames", "5", "--max-memory", "2", "--memory-monitor-interval", "0.5"});
  EXPECT_EQ(bench.options->job.frames, 5);
  EXPECT_DOUBLE_EQ(bench.options->job.max_memory_gb.value(), 2.0);
  EXPECT_DOUBLE_EQ(bench.options->job.memory_monitor_interval_s, 0.5);
  const auto models = parse({"models", "verify", "--models-dir", "/m"});
  EXPECT_EQ(models.options->command, Command::Models);
  EXPECT_EQ(models.options->models_action, "verify");
  EXPECT_EQ(models.options->job.models_dir.value(), "/m");
  EXPECT_EQ(parse({"--version"}).options->command, Command::Version);
  EXPECT_EQ(parse({"-v"}).options->command, Command::Version);
}

TEST(Cli, HelpGoesToStdoutWithExitZero) {
  const auto outcome = parse({"--help"});
  EXPECT_FALSE(outcome.options);
  EXPECT_EQ(outcome.exit_code, kExitOk);
  EXPECT_NE(outcome.out.find("--gpu-memory-fraction"), std::string::npos);
  EXPECT_TRUE(outcome.err.empty());
}

}  // namespace
}  // namespace dlc::app
