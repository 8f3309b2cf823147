// `dlc run` through the binary: the memory strategies as a user picks them (or auto picks them
// under --max-memory), the peak measured by the kernel (wait4's ru_maxrss, what /usr/bin/time -v
// prints), and the flags that only a job uses.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "app/exit_codes.hpp"
#include "media/subprocess.hpp"
#include "media/video_probe.hpp"
#include "support/paths.hpp"

extern char** environ;

namespace dlc::app {
namespace {

struct DlcRun {
  int exit_code = -1;
  std::string out;
  std::string err;
  std::uint64_t max_rss_bytes = 0;  // the kernel's peak RSS of dlc (and of any child it waited for)
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

constexpr double kMiB = 1024.0 * 1024.0;

class JobCommand : public testing::Test {
 protected:
  void SetUp() override {
    grace_ = test::grace_hopper_photo();
    astronaut_ = test::astronaut_photo();
    if (const auto why = test::missing_inputs(); !why.empty()) GTEST_SKIP() << why;
    dir_ = test::make_temp_dir();
    // Swapper and GFPGAN from the fixtures; BlazeFace and dlib's 68 points find the face.
    models_ = test::copy_fixture_models(dir_, {"w600k_r50.onnx", "inswapper_128.onnx", "GFPGANv1.4.onnx"});
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // dlc with stdout and stderr in files, reaped with wait4 for its peak RSS.
  DlcRun dlc(std::vector<std::string> args) const {
    args.insert(args.begin(), test::dlc_binary().string());
    const auto out = dir_ / ".stdout";
    const auto err = dir_ / ".stderr";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    DlcRun run;
    pid_t pid = -1;
    const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) return run;
    int status = 0;
    rusage usage{};
    while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
    }
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    run.max_rss_bytes = static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // Linux: KiB
    run.out = read_file(out);
    run.err = read_file(err);
    std::filesystem::remove(out);
    std::filesystem::remove(err);
    return run;
  }

  // Grace Hopper's photo in a 1280x720 frame (a frame is 2,764,800 bytes), 6 frames at 25 fps.
  std::filesystem::path clip() const {
    const auto path = dir_ / "grace720.mp4";
    const auto r = media::run_process({"ffmpeg", "-v", "error", "-loop", "1", "-i", grace_.string(), "-vf",
                                       "scale=-2:720,pad=1280:720:(ow-iw)/2:0", "-frames:v", "6", "-r", "25", "-c:v",
                                       "libx264", "-pix_fmt", "yuv420p", path.string()});
    if (r.exit_code != 0) throw std::runtime_error("ffmpeg could not make the clip: " + r.err);
    return path;
  }

  std::vector<std::string> job(const std::filesystem::path& target, const std::filesystem::path& output) const {
    return {"run",          "-s", astronaut_.string(), "-t", target.string(), "-o", output.string(),
            "--models-dir", models_.string(), "--frame-processor", "face_swapper", "face_enhancer",
            "--execution-threads", "2", "--memory-monitor-interval", "0"};
  }

  std::filesystem::path grace_;
  std::filesystem::path astronaut_;
  std::filesystem::path dir_;
  std::filesystem::path models_;
};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// The planned peak of each strategy (MB = 2^20 bytes) from the lines exit 5 prints.
struct PrintedPlans {
  double resident_mb = 0;
  double stage_mb = 0;
  double call_mb = 0;  // one call of the largest working memory, from resident's plan
  int calls = 0;
};

PrintedPlans printed_plans(const std::string& err) {
  PrintedPlans p;
  std::smatch m;
  if (std::regex_search(err, m, std::regex("([0-9]+\\.[0-9]) MB  resident +(fits|does NOT fit)"))) {
    p.resident_mb = std::stod(m[1]);
  }
  if (std::regex_search(err, m, std::regex("([0-9]+\\.[0-9]) MB  stage +(fits|does NOT fit)"))) {
    p.stage_mb = std::stod(m[1]);
  }
  if (std::regex_search(err, m, std::regex("([0-9]+\\.[0-9]) MB  running: ([0-9]+) calls? at once of"))) {
    p.calls = std::stoi(m[2]);
    p.call_mb = std::stod(m[1]) / p.calls;
  }
  return p;
}

std::string gb(double mb) { return fmt::format("{:.6f}", mb / 1024.0); }

// A budget between stage's plan and resident's: auto takes stage (and says so), the kernel's peak
// stays under the budget, and the output is resident's, byte for byte. lru between resident's
// plan less one call and resident's plan keeps every model with one worker: the same bytes.
TEST_F(JobCommand, AutoStagesUnderATightBudgetAndEveryStrategyWritesTheSameVideo) {
  const auto target = clip();
  const auto probe = dlc(with(job(target, dir_ / "never.mp4"), {"--max-memory", "0.1"}));
  ASSERT_EQ(probe.exit_code, kExitMemoryBudget) << probe.err;
  const auto plans = printed_plans(probe.err);
  ASSERT_GT(plans.stage_mb, 0) << probe.err;
  ASSERT_EQ(plans.calls, 2) << probe.err;
  ASSERT_LT(plans.stage_mb + 200, plans.resident_mb) << probe.err;

  const double budget_mb = (plans.stage_mb + plans.resident_mb) / 2;
  const auto staged = dlc(with(job(target, dir_ / "auto.mp4"), {"--max-memory", gb(budget_mb)}));
  ASSERT_EQ(staged.exit_code, kExitOk) << staged.err;
  EXPECT_NE(staged.err.find("running with --memory-strategy stage"), std::string::npos) << staged.err;
  EXPECT_NE(staged.out.find("memory strategy stage"), std::string::npos) << staged.out;
  EXPECT_GT(staged.max_rss_bytes, 0u);
  EXPECT_LE(static_cast<double>(staged.max_rss_bytes), budget_mb * kMiB)
      << "peak " << staged.max_rss_bytes / kMiB << " MB over the budget of " << budget_mb << " MB";
  // The figures, for the record: the plan counts each fixture at its role's measured working
  // memory (the catalog cannot tell a fixture from another export), so it is far above the peak.
  std::printf("budget %.1f MB: stage planned %.1f MB, resident %.1f MB; peak %.1f MB\n", budget_mb, plans.stage_mb,
              plans.resident_mb, static_cast<double>(staged.max_rss_bytes) / kMiB);

  const auto roomy = gb(plans.resident_mb + 256);
  const auto resident = dlc(with(job(target, dir_ / "resident.mp4"), {"--memory-strategy", "resident", "--max-memory", roomy}));
  ASSERT_EQ(resident.exit_code, kExitOk) << resident.err;
  const double lru_mb = plans.resident_mb - plans.call_mb / 2;
  const auto lru = dlc(with(job(target, dir_ / "lru.mp4"),
                            {"--memory-strategy", "lru", "--max-memory", gb(lru_mb), "--log-level", "debug"}));
  ASSERT_EQ(lru.exit_code, kExitOk) << lru.err;
  EXPECT_NE(lru.err.find("running: 1 call at once of enhancer GFPGANv1.4.onnx"), std::string::npos)
      << "lru with one worker: " << lru.err;
  EXPECT_LE(static_cast<double>(lru.max_rss_bytes), lru_mb * kMiB);
  const auto stage = dlc(with(job(target, dir_ / "stage.mp4"), {"--memory-strategy", "stage", "--max-memory", roomy}));
  ASSERT_EQ(stage.exit_code, kExitOk) << stage.err;

  const auto reference = read_file(dir_ / "resident.mp4");
  ASSERT_FALSE(reference.empty());
  EXPECT_EQ(media::probe_video(dir_ / "resident.mp4").frame_count, 6);
  for (const char* other : {"auto.mp4", "lru.mp4", "stage.mp4"}) {
    EXPECT_TRUE(read_file(dir_ / other) == reference) << other << " differs from resident.mp4";
  }
}

TEST_F(JobCommand, EveryStrategyWritesTheSameImage) {
  std::optional<std::string> reference;
  for (const char* strategy : {"resident", "lru", "stage"}) {
    const auto output = dir_ / fmt::format("{}.png", strategy);
    const auto r = dlc(with(job(grace_, output), {"--memory-strategy", strategy, "--max-memory", "8"}));
    ASSERT_EQ(r.exit_code, kExitOk) << strategy << ": " << r.err;
    EXPECT_NE(r.out.find("1 of 1 target faces"), std::string::npos) << r.out;
    const auto bytes = read_file(output);
    ASSERT_FALSE(bytes.empty());
    if (!reference) reference = bytes;
    EXPECT_TRUE(bytes == *reference) << strategy << " differs from resident";
  }
}

// The first run on a fresh models folder: the plan names the one-time child (--log-level debug),
// the child writes inswapper's optimized copy before dlc loads any model, so dlc's own build maps
// it and never writes it itself; the second run starts no child and plans none; both write the
// same bytes.
TEST_F(JobCommand, TheFirstRunWritesTheOptimizedCopyInAChild) {
  std::vector<std::string> bytes;
  for (const char* run : {"first", "second"}) {
    const auto output = dir_ / fmt::format("{}.png", run);
    auto plan_args = job(grace_, output);
    plan_args.front() = "plan";
    const auto plan = dlc(with(plan_args, {"--json"}));
    ASSERT_EQ(plan.exit_code, kExitOk) << plan.err;
    EXPECT_EQ(std::regex_search(plan.out, std::regex("\"first_run_bytes\": [1-9][0-9]*")), bytes.empty()) << plan.out;
    const auto r = dlc(with(job(grace_, output), {"--max-memory", "8", "--log-level", "debug"}));
    ASSERT_EQ(r.exit_code, kExitOk) << run << ": " << r.err;
    const bool first = bytes.empty();
    EXPECT_EQ(r.err.find("inswapper_128.onnx: wrote its optimized copy once in a child dlc process (peak RSS ") !=
                  std::string::npos,
              first)
        << run << ": " << r.err;
    EXPECT_EQ(r.err.find("first run only: a child dlc writing the optimized copy of swapper inswapper_128.onnx") !=
                  std::string::npos,
              first)
        << run << ": " << r.err;
    EXPECT_EQ(r.err.find("wrote ONNX Runtime's optimized graph once"), std::string::npos)
        << run << ": dlc built the optimized copy itself: " << r.err;
    bytes.push_back(read_file(output));
  }
  EXPECT_FALSE(bytes[0].empty());
  EXPECT_TRUE(bytes[0] == bytes[1]) << "the first run's image differs from the second's";
}

// --output-fps retimes the output: the same 6 frames at 10/1.
TEST_F(JobCommand, OutputFpsSetsTheRate) {
  const auto target = clip();
  const auto r = dlc(with(job(target, dir_ / "fps10.mp4"), {"--output-fps", "10", "--max-memory", "8"}));
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  const auto info = media::probe_video(dir_ / "fps10.mp4");
  EXPECT_EQ(info.fps.num, 10);
  EXPECT_EQ(info.fps.den, 1);
  EXPECT_EQ(info.frame_count, 6);
  EXPECT_EQ(media::probe_video(target).fps.num, 25);
}

// The ffprobe runs of one dlc run, counted by an ffprobe first in PATH that logs each run (and
// then runs the real one, or fails as an ffprobe that cannot read the file would).
int ffprobe_runs(const std::filesystem::path& dir, const std::function<void()>& run, bool fail = false) {
  const auto bin = dir / "bin";
  std::filesystem::create_directories(bin);
  const auto log = dir / "ffprobe.log";
  std::filesystem::remove(log);
  {
    std::ofstream wrapper(bin / "ffprobe");
    wrapper << "#!/bin/sh\necho \"$*\" >>'" << log.string() << "'\n"
            << (fail ? "echo 'cannot read it' >&2; exit 1\n" : "exec /usr/bin/ffprobe \"$@\"\n");
  }
  std::filesystem::permissions(bin / "ffprobe", std::filesystem::perms::owner_all);
  const std::string path = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "/usr/bin:/bin";
  setenv("PATH", (bin.string() + ":" + path).c_str(), 1);
  run();
  setenv("PATH", path.c_str(), 1);
  const auto probes = read_file(log);
  return static_cast<int>(std::count(probes.begin(), probes.end(), '\n'));
}

// dlc-decode (beside build/dlc) reports every fact: no ffprobe at all, the audio still kept. With
// ffmpeg as the decoder (DLC_DECODE names no program) the target is probed once (beside the
// decoder, for the encoder's audio and the stated count). An image target is sized from its
// header: no ffprobe at all.
TEST_F(JobCommand, ProbesTheTargetOnce) {
  if (!std::filesystem::exists("/usr/bin/ffprobe")) GTEST_SKIP() << "no /usr/bin/ffprobe to wrap";
  const auto target = dir_ / "tone.mp4";
  const auto made = media::run_process({"ffmpeg", "-v", "error", "-loop", "1", "-i", grace_.string(), "-f", "lavfi",
                                        "-i", "sine=frequency=440:duration=1", "-vf", "scale=320:240", "-frames:v",
                                        "4", "-r", "25", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
                                        target.string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  DlcRun r;
  EXPECT_EQ(ffprobe_runs(dir_, [&] { r = dlc(with(job(target, dir_ / "out.mp4"), {"--max-memory", "8"})); }), 0);
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_EQ(media::probe_audio_track(dir_ / "out.mp4").codec, "aac");
  EXPECT_NE(r.err.find(", dlc-decode decoder "), std::string::npos) << r.err;
  setenv("DLC_DECODE", "none", 1);
  EXPECT_EQ(ffprobe_runs(dir_, [&] { r = dlc(with(job(target, dir_ / "out.mp4"), {"--max-memory", "8"})); }), 1);
  unsetenv("DLC_DECODE");
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_EQ(media::probe_audio_track(dir_ / "out.mp4").codec, "aac");
  EXPECT_NE(r.err.find(", ffmpeg decoder "), std::string::npos) << r.err;
  EXPECT_EQ(ffprobe_runs(dir_, [&] { r = dlc(with(job(grace_, dir_ / "out.png"), {"--max-memory", "8"})); }), 0);
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
}

// The decoder's own report gives the job its facts: a video whose audio is not kept needs nothing
// of ffprobe (asked only after the first frame, for the stated count), so one that fails changes
// nothing but the count's exactness.
TEST_F(JobCommand, AVideoJobWithoutAudioNeedsNoFfprobe) {
  if (!std::filesystem::exists("/usr/bin/ffprobe")) GTEST_SKIP() << "no /usr/bin/ffprobe to wrap";
  const auto target = clip();
  DlcRun r;
  ffprobe_runs(dir_, [&] { r = dlc(with(job(target, dir_ / "out.mp4"), {"--no-keep-audio"})); }, true);
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_EQ(media::probe_video(dir_ / "out.mp4").frame_count, 6);
  EXPECT_NE(r.out.find("(6 frames in"), std::string::npos) << r.out;
}

// A decoder that cannot read the target (it fails at once, as ffmpeg and dlc-decode do on a file
// that is not a video): a dlc-decode stand-in named by DLC_DECODE, or (dlc_decode false) none, and
// an ffmpeg first in PATH whose every other run is the real one's. What dlc did before it read the
// decoder's report is then on disk.
void with_failing_decoder(const std::filesystem::path& dir, bool dlc_decode, const std::function<void()>& run) {
  const auto bin = dir / "decoder-bin";
  std::filesystem::create_directories(bin);
  // Each complains as the real one does: ffmpeg names its input, dlc-decode (--threads N FILE) the
  // file and what dlc says of it.
  std::ofstream(bin / "ffmpeg") << "#!/bin/sh\ncase \"$*\" in *level+verbose*pipe:1*)\n"
                                << "  echo '[error] the target: Invalid data found when processing input' >&2; exit 1;;\n"
                                << "esac\nexec /usr/bin/ffmpeg \"$@\"\n";
  std::ofstream(bin / "dlc-decode")
      << "#!/bin/sh\necho \"[error] $3: not a video ffmpeg can read: Invalid data found when processing input\" >&2\n"
      << "exit 1\n";
  for (const char* name : {"ffmpeg", "dlc-decode"}) {
    std::filesystem::permissions(bin / name, std::filesystem::perms::owner_all);
  }
  const std::string path = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "/usr/bin:/bin";
  setenv("PATH", (bin.string() + ":" + path).c_str(), 1);
  setenv("DLC_DECODE", dlc_decode ? (bin / "dlc-decode").c_str() : "none", 1);
  run();
  unsetenv("DLC_DECODE");
  setenv("PATH", path.c_str(), 1);
}

// The models load while the decoder starts: when the plan at 3840x2160 takes resident (so the
// video's own plan takes it too), the first run's optimized copies are written and the sessions
// built before dlc reads the decoder's report, so a decoder that fails at once finds them written.
// Under a budget the bound does not fit, dlc reads the report first, as before, and stops at it
// with nothing written. Either way the run ends on the decoder's error, as before; with either
// decoder.
TEST_F(JobCommand, TheModelsLoadBeforeTheDecodersReportOnlyWhenTheBoundFits) {
  if (!std::filesystem::exists("/usr/bin/ffmpeg")) GTEST_SKIP() << "no /usr/bin/ffmpeg to wrap";
  const auto target = clip();
  for (const bool dlc_decode : {true, false}) {
    for (const char* budget : {"8", "1"}) {
      std::filesystem::remove_all(models_ / ".dlc-mapped");
      DlcRun r;
      with_failing_decoder(dir_, dlc_decode,
                           [&] { r = dlc(with(job(target, dir_ / "out.mp4"), {"--max-memory", budget})); });
      const auto which = std::string(dlc_decode ? "dlc-decode" : "ffmpeg") + ", --max-memory " + budget;
      EXPECT_EQ(r.exit_code, kExitBadInput) << which << ": " << r.err;
      EXPECT_TRUE(std::regex_search(r.err, std::regex(": not a video ffmpeg can read: (the target: )?Invalid data found")))
          << which << ": " << r.err;
      EXPECT_EQ(std::filesystem::exists(models_ / ".dlc-mapped"), std::string(budget) == "8") << which;
      EXPECT_FALSE(std::filesystem::exists(dir_ / "out.mp4")) << which;
    }
  }
}

// A budget that holds fewer than 8 frames beside the costliest stage spills the chunk to disk
// beside the output; --keep-frames keeps those frames (raw BGR, one file each), without it the
// folder goes.
TEST_F(JobCommand, KeepFramesKeepsTheSpilledChunk) {
  const auto target = clip();
  // Under 0.1 GB stage does not fit; its printed plan is then the stage alone with 2 frames.
  const auto probe = dlc(with(job(target, dir_ / "never.mp4"), {"--max-memory", "0.1"}));
  ASSERT_EQ(probe.exit_code, kExitMemoryBudget) << probe.err;
  ASSERT_NE(probe.err.find("stage    does NOT fit, chunks of 64 frames on disk"), std::string::npos) << probe.err;
  const auto stage_with_two = printed_plans(probe.err).stage_mb;
  ASSERT_GT(stage_with_two, 0);
  // 3 more frames of 2,764,800 bytes: 5 fit in memory, under the 8 a chunk in memory needs.
  const auto budget = gb(stage_with_two + 3 * 2'764'800 / kMiB);
  const auto spill_folders = [&] {
    std::vector<std::filesystem::path> found;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      if (e.path().filename().string().starts_with(".kept.dlc-frames-") ||
          e.path().filename().string().starts_with(".gone.dlc-frames-")) {
        found.push_back(e.path());
      }
    }
    return found;
  };
  const auto gone = dlc(with(job(target, dir_ / "gone.mp4"), {"--max-memory", budget}));
  ASSERT_EQ(gone.exit_code, kExitOk) << gone.err;
  EXPECT_TRUE(spill_folders().empty());
  const auto kept = dlc(with(job(target, dir_ / "kept.mp4"), {"--max-memory", budget, "--keep-frames"}));
  ASSERT_EQ(kept.exit_code, kExitOk) << kept.err;
  const auto folders = spill_folders();
  ASSERT_EQ(folders.size(), 1u) << "the spill folder of kept.mp4";
  EXPECT_TRUE(folders[0].filename().string().starts_with(".kept.dlc-frames-"));
  std::size_t frames = 0;
  for (const auto& e : std::filesystem::directory_iterator(folders[0])) {
    ++frames;
    EXPECT_EQ(std::filesystem::file_size(e.path()), 2'764'800u) << e.path();
  }
  EXPECT_EQ(frames, 6u);
  EXPECT_TRUE(read_file(dir_ / "kept.mp4") == read_file(dir_ / "gone.mp4"));
}

}  // namespace
}  // namespace dlc::app
