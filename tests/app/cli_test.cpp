#include "app/cli.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "app/exit_codes.hpp"
#include "runtime/providers.hpp"
#include "support/paths.hpp"

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
        OutOfRange{{"run", "--no-such-flag"}, "--no-such-flag"},
        OutOfRange{{"run", "--detect-every", "0"}, "--detect-every: 0 is out of range (allowed: 1 to 1000)"},
        OutOfRange{{"live", "--detect-every", "1001"}, "--detect-every: 1001 is out of range (allowed: 1 to 1000)"},
        OutOfRange{{"run", "--face-smoothing", "heavy"}, "--face-smoothing: 'heavy' is not one of: off, light, default, strong"},
        OutOfRange{{"live", "--face-hold", "-1"}, "--face-hold: -1 is out of range (allowed: 0 to 100)"},
        OutOfRange{{"run", "--reference-distance", "3"}, "--reference-distance: 3 is out of range (allowed: 0 to 2)"},
        OutOfRange{{"run", "--memory-strategy", "fastest"}, "--memory-strategy: 'fastest' is not one of: auto, resident, lru, stage"},
        OutOfRange{{"run", "--face-detector-score", "0.01"}, "--face-detector-score: 0.01 is out of range (allowed: 0.05 to 0.95)"},
        OutOfRange{{"run", "--face-detector-score", "0.96"}, "--face-detector-score: 0.96 is out of range (allowed: 0.05 to 0.95)"},
        OutOfRange{{"run", "--opacity", "1.5"}, "--opacity: 1.5 is out of range (allowed: 0 to 1)"},
        OutOfRange{{"run", "--opacity", "-0.1"}, "--opacity: -0.1 is out of range (allowed: 0 to 1)"},
        // SCRFD's anchor grid needs a multiple of its coarsest stride.
        OutOfRange{{"run", "--face-detector-size", "500"}, "--face-detector-size: 500 is not allowed (allowed: multiples of 32 from 160 to 1280)"},
        OutOfRange{{"run", "--face-detector-size", "128"}, "--face-detector-size: 128 is not allowed (allowed: multiples of 32 from 160 to 1280)"},
        OutOfRange{{"run", "--face-detector-size", "1312"}, "--face-detector-size: 1312 is not allowed (allowed: multiples of 32 from 160 to 1280)"},
        OutOfRange{{"run", "--gpu-vendor", "intel"}, "--gpu-vendor: 'intel' is not one of: apple, nvidia, amd"},
        OutOfRange{{"run", "--cpu-cores", "0"}, "--cpu-cores: 0 is out of range (allowed: 1 to 256)"},
        OutOfRange{{"live", "--stream", "http://host/x"}, "--stream: 'http://host/x' is not a udp://, srt://, tcp://, rtsp:// or rtp:// URL"},
        OutOfRange{{"live", "--virtual-camera-size", "641x360"}, "--virtual-camera-size: '641x360' is odd (YUV420 needs even sizes)"},
        OutOfRange{{"live", "--virtual-camera-fit", "stretch"}, "--virtual-camera-fit: 'stretch' is not one of: crop, letterbox"}));

TEST(Cli, RangeEdgesAreAccepted) {
  const auto outcome = parse({"run", "--detect-every", "1000", "--face-detector-score", "0.05", "--face-detector-size",
                              "1280", "--opacity", "0", "--memory-strategy", "stage"});
  ASSERT_TRUE(outcome.options) << outcome.err;
  const auto& job = outcome.options->job;
  EXPECT_EQ(job.detect_every.value(), 1000);
  EXPECT_DOUBLE_EQ(job.face_detector_score, 0.05);
  EXPECT_EQ(job.face_detector_size, 1280);
  EXPECT_DOUBLE_EQ(job.opacity, 0.0);
  EXPECT_EQ(job.memory_strategy, "stage");
  for (const char* size : {"160", "608", "640", "1024"}) {
    EXPECT_TRUE(parse({"run", "--face-detector-size", size}).options) << size;
  }
  const auto tracking = parse({"live", "--face-smoothing", "off", "--face-hold", "0"});
  ASSERT_TRUE(tracking.options) << tracking.err;
  EXPECT_EQ(tracking.options->job.face_smoothing, "off");
  EXPECT_EQ(tracking.options->job.face_hold, 0);
}

// Deep-Live-Cam's hidden aliases (modules/core.py, "deprecated args") mean what they meant there.
TEST(Cli, DeepLiveCamsAliasesTakeTheirMeaning) {
  const auto outcome = parse({"run", "-f", "face.jpg", "-t", "b.mp4", "--cpu-cores", "3"});
  ASSERT_TRUE(outcome.options) << outcome.err;
  EXPECT_EQ(outcome.options->job.source, "face.jpg");
  EXPECT_EQ(outcome.options->job.execution_threads.value(), 3);
  ASSERT_EQ(outcome.options->warnings.size(), 2u);
  EXPECT_EQ(outcome.options->warnings[0], "-f/--face is Deep-Live-Cam's old name of -s/--source");
  EXPECT_EQ(outcome.options->warnings[1], "--cpu-cores is Deep-Live-Cam's old name of --execution-threads");
  const auto gpu_threads = parse({"live", "--face", "a.jpg", "--gpu-threads", "5"});
  ASSERT_TRUE(gpu_threads.options) << gpu_threads.err;
  EXPECT_EQ(gpu_threads.options->job.source, "a.jpg");
  EXPECT_EQ(gpu_threads.options->job.execution_threads.value(), 5);
  // The new names win over the old ones.
  const auto both = parse({"run", "-s", "new.jpg", "-f", "old.jpg", "--execution-threads", "2", "--cpu-cores", "7"});
  ASSERT_TRUE(both.options) << both.err;
  EXPECT_EQ(both.options->job.source, "new.jpg");
  EXPECT_EQ(both.options->job.execution_threads.value(), 2);
  // Hidden, as in Deep-Live-Cam.
  const auto help = parse({"--help"}).out;
  for (const char* hidden : {"--face ", "-f,", "--cpu-cores", "--gpu-threads", "--gpu-vendor"}) {
    EXPECT_EQ(help.find(hidden), std::string::npos) << hidden << " is listed in --help";
  }
}

// --gpu-vendor nvidia is --execution-provider cuda (apple: coreml, amd: rocm) when this ONNX
// Runtime has it; otherwise one warning and the default providers.
TEST(Cli, GpuVendorIsItsExecutionProvider) {
  const auto compiled = runtime::compiled_providers();
  for (const auto& [vendor, provider] : {std::pair{"nvidia", "cuda"}, std::pair{"apple", "coreml"}, std::pair{"amd", "rocm"}}) {
    const auto outcome = parse({"run", "--gpu-vendor", vendor});
    ASSERT_TRUE(outcome.options) << outcome.err;
    ASSERT_EQ(outcome.options->warnings.size(), 1u) << vendor;
    const auto& warning = outcome.options->warnings[0];
    if (std::ranges::find(compiled, provider) != compiled.end()) {
      EXPECT_EQ(outcome.options->job.execution_providers, std::vector<std::string>{provider}) << vendor;
      EXPECT_NE(warning.find(std::string("old name of --execution-provider ") + provider), std::string::npos) << warning;
    } else {
      EXPECT_TRUE(outcome.options->job.execution_providers.empty()) << vendor;
      EXPECT_NE(warning.find(std::string("means --execution-provider ") + provider +
                             ", which this ONNX Runtime does not have"),
                std::string::npos)
          << warning;
    }
  }
}

TEST(Cli, LangOtherThanEnglishIsOneWarning) {
  const auto en = parse({"run", "--lang", "en"});
  ASSERT_TRUE(en.options);
  EXPECT_TRUE(en.options->warnings.empty());
  const auto de = parse({"live", "-l", "de"});
  ASSERT_TRUE(de.options) << de.err;
  EXPECT_EQ(de.options->warnings, std::vector<std::string>{"--lang de: dlc's messages are in English only"});
}

// --virtual-camera takes a device or none (the first loopback device); the outputs' defaults.
TEST(Cli, LiveOutputsAndTheCameraList) {
  const auto plain = parse({"live"});
  EXPECT_FALSE(plain.options->job.virtual_camera);
  EXPECT_EQ(plain.options->job.virtual_camera_size, "1280x720");
  EXPECT_EQ(plain.options->job.virtual_camera_fit, "crop");
  EXPECT_FALSE(plain.options->job.list_cameras);
  const auto first = parse({"live", "--virtual-camera", "--headless"});
  ASSERT_TRUE(first.options) << first.err;
  EXPECT_EQ(first.options->job.virtual_camera, std::optional<std::string>(""));
  EXPECT_TRUE(first.options->job.headless);
  const auto named = parse({"live", "--virtual-camera", "/dev/video4", "--stream", "udp://127.0.0.1:5000",
                            "--stamp-capture-time", "--virtual-camera-fit", "letterbox"});
  ASSERT_TRUE(named.options) << named.err;
  EXPECT_EQ(named.options->job.virtual_camera, std::optional<std::string>("/dev/video4"));
  EXPECT_EQ(named.options->job.stream, "udp://127.0.0.1:5000");
  EXPECT_TRUE(named.options->job.stamp_capture_time);
  EXPECT_EQ(named.options->job.virtual_camera_fit, "letterbox");
  EXPECT_TRUE(parse({"live", "--list-cameras"}).options->job.list_cameras);
}

TEST(Cli, LiveResizableIsKept) {
  EXPECT_FALSE(parse({"live"}).options->job.live_resizable);
  EXPECT_TRUE(parse({"live", "--live-resizable"}).options->job.live_resizable);
}

// --nsfw-filter is the job's (pipeline: the file is looked up when the job starts, exit 4 when it
// is missing, exit 7 when the target is refused); --face-swapper-model takes the five names.
TEST(Cli, NsfwFilterAndSwapperModelReachTheJob) {
  EXPECT_FALSE(parse({"run"}).options->job.nsfw_filter);
  EXPECT_TRUE(parse({"run", "--nsfw-filter", "-s", "a.jpg"}).options->job.nsfw_filter);
  EXPECT_EQ(parse({"run"}).options->job.face_swapper_model, "auto");
  for (const char* name : {"inswapper_128", "hyperswap_1a_256", "hyperswap_1b_256", "hyperswap_1c_256", "simswap_256"}) {
    const auto outcome = parse({"run", "--face-swapper-model", name});
    ASSERT_TRUE(outcome.options) << name;
    EXPECT_EQ(outcome.options->job.face_swapper_model, name);
  }
  const auto bad = parse({"run", "--face-swapper-model", "ghost_1_256"});
  EXPECT_FALSE(bad.options);
  EXPECT_EQ(bad.exit_code, kExitUsage);
  EXPECT_NE(bad.err.find("--face-swapper-model"), std::string::npos) << bad.err;
}

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

// Deep-Live-Cam's "Mouth Mask" slider: 0 to 100, above 0 turns the mask on.
TEST(Cli, MouthMaskSize) {
  const auto sized = parse({"run", "-s", "a.jpg", "-t", "b.jpg", "-o", "c.jpg", "--mouth-mask-size", "40"});
  ASSERT_TRUE(sized.options) << sized.err;
  EXPECT_DOUBLE_EQ(sized.options->job.mouth_mask_size, 40.0);
  EXPECT_TRUE(sized.options->job.mouth_mask);
  const auto zero = parse({"run", "-s", "a.jpg", "-t", "b.jpg", "-o", "c.jpg", "--mouth-mask-size", "0"});
  ASSERT_TRUE(zero.options) << zero.err;
  EXPECT_FALSE(zero.options->job.mouth_mask);
  EXPECT_FALSE(parse({"run", "-s", "a.jpg", "-t", "b.jpg", "-o", "c.jpg", "--mouth-mask-size", "101"}).options);
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
