// The dlc binary end to end: exit codes and what a user sees.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <thread>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>

#include "app/exit_codes.hpp"
#include "support/paths.hpp"
#include "media/child_process.hpp"
#include "media/subprocess.hpp"
#include "media/video_probe.hpp"

namespace dlc::app {
namespace {

media::ProcessResult dlc(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
  args.insert(args.begin(), test::dlc_binary().string());
  return media::run_process(args, env);
}

std::size_t count_matches(const std::string& text, const std::regex& pattern) {
  return static_cast<std::size_t>(std::distance(std::sregex_iterator(text.begin(), text.end(), pattern), std::sregex_iterator()));
}

TEST(Main, VersionNamesOrtAndItsProviders) {
  const auto r = dlc({"--version"});
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("^dlc \\d+\\.\\d+\\.\\d+\\n"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\\nONNX Runtime 1\\.\\d+\\.\\d+ "))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("execution providers compiled in: .*cpu"))) << r.out;
}

// Every dlc process maps its libraries at start: OpenCV's imgcodecs (GDAL and ~85 more libraries, 35 MB
// of RSS) is not among them (it is in dlc_opencv_codecs.so, for formats other than PNG/JPEG/WebP),
// nor libcurl (4.6 MB with its libraries; `dlc models download` loads it).
TEST(Main, TheBinaryLinksNeitherImgcodecsNorCurl) {
  const auto r = dlc({"--version"}, {"LD_TRACE_LOADED_OBJECTS=1"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("libonnxruntime"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("libopencv_imgcodecs"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("libgdal"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("libcurl"), std::string::npos) << r.out;
}

// Nor dlib (1.4 MB; dlc_dlib_face.so, loaded by a dlib detector or landmarker), libcrypto (1.4 MB;
// loaded by the first sha256) or the full libprotobuf (1.3 MB more than protobuf-lite, which is all
// onnx_file.cpp uses): README "Start-up cost". (LAPACK and gfortran stay: OpenCV needs them.)
TEST(Main, TheBinaryLinksNeitherDlibNorLibcryptoNorFullProtobuf) {
  const auto r = dlc({"--version"}, {"LD_TRACE_LOADED_OBJECTS=1"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  for (const char* library : {"libdlib", "libcrypto", "libprotobuf.so"}) {
    EXPECT_EQ(r.out.find(library), std::string::npos) << library << " in\n" << r.out;
  }
}

// The binary looks for its libraries in ONNX Runtime's folder and the system's, never in the folder
// it is run from: there a file named like one of its libraries (not even an ELF here) is not opened.
// An empty entry in the RUNPATH (what CMake leaves for the install rewrite) would make it the loader's
// second place to look, and the run would fail "file too short".
TEST(Main, TheBinaryNeverLoadsLibrariesFromTheCurrentFolder) {
  const auto folder = test::make_temp_dir();
  for (const char* library : {"libopencv_core.so.406", "libstdc++.so.6", "libspdlog.so.1.10"}) {
    std::ofstream(folder / library) << "not a library\n";
  }
  const auto r = media::run_process({"env", "--chdir=" + folder.string(), test::dlc_binary().string(), "--version"});
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_EQ(r.err, "");
  std::filesystem::remove_all(folder);
}

// ONNX Runtime's telemetry stays off: making its environment (diagnose does) leaves no device id or
// cache in the home folder and no /tmp/mat-debug-PID.log, unless the user asked for it. Both runs
// get an empty environment but HOME and PATH: ORT turns its telemetry off by itself where a CI
// variable is set (CI, GITHUB_ACTIONS, JENKINS_URL and nine more), which would hide both cases.
TEST(Main, OnnxRuntimeTelemetryIsOffUnlessTheUserTurnsItOn) {
  const auto home = test::make_temp_dir();
  const auto run = [&home](const std::vector<std::string>& env) {
    std::vector<std::string> argv{"env", "-i", "HOME=" + home.string(), "PATH=/usr/bin:/bin"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(), {test::dlc_binary().string(), "diagnose"});
    return media::run_process(argv);
  };
  const auto quiet = run({});
  ASSERT_EQ(quiet.exit_code, kExitOk) << quiet.err;
  EXPECT_FALSE(std::filesystem::exists(home / ".cache" / "Microsoft")) << "telemetry made its cache";
  // The same command with telemetry asked for does make it: the check above can see it.
  const auto asked = run({"ORT_DISABLE_TELEMETRY=0"});
  ASSERT_EQ(asked.exit_code, kExitOk) << asked.err;
  EXPECT_TRUE(std::filesystem::exists(home / ".cache" / "Microsoft" / "DeveloperTools")) << "no telemetry to see";
  std::filesystem::remove_all(home);
}

TEST(Main, OutOfRangeFlagsExitTwoNamingTheFlag) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"run", "--gpu-memory-fraction", "1.5", "-s", "a.jpg", "-t", "b.jpg", "-o", "c.jpg"}, "--gpu-memory-fraction"},
      {{"run", "--video-quality", "60"}, "--video-quality"},
      {{"run", "--execution-threads", "0"}, "--execution-threads"},
      {{"run", "--max-memory", "0"}, "--max-memory"},
  };
  for (const auto& [args, flag] : cases) {
    const auto r = dlc(args);
    EXPECT_EQ(r.exit_code, kExitUsage) << flag;
    EXPECT_NE(r.err.find(flag + ": "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("allowed: "), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty());
  }
}

TEST(Main, MissingInputExitsThreeNamingTheFile) {
  const auto r = dlc({"run", "-s", "/nonexistent/face.jpg", "-t", "/nonexistent/video.mp4", "-o", "/tmp/out.mp4"});
  EXPECT_EQ(r.exit_code, kExitBadInput);
  EXPECT_NE(r.err.find("source '/nonexistent/face.jpg'"), std::string::npos) << r.err;
}

TEST(Main, RunWithoutPathsIsAUsageError) {
  const auto r = dlc({"run"});
  EXPECT_EQ(r.exit_code, kExitUsage);
  EXPECT_NE(r.err.find("-s/--source"), std::string::npos) << r.err;
}

std::uint64_t meminfo_total_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::uint64_t kb = 0;
  in >> key >> kb;
  return key == "MemTotal:" ? kb * 1024 : 0;
}

TEST(Main, DiagnoseJsonReportsThisMachine) {
  const auto r = dlc({"diagnose", "--json"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  const auto& system = doc["system"];
  // The total is MemTotal, or a cgroup limit below it.
  if (system["cgroup_limit_bytes"].is_null()) {
    EXPECT_EQ(system["total_bytes"].get<std::uint64_t>(), meminfo_total_bytes());
  } else {
    EXPECT_EQ(system["total_bytes"], system["cgroup_limit_bytes"]);
    EXPECT_LT(system["total_bytes"].get<std::uint64_t>(), meminfo_total_bytes());
  }
  EXPECT_LE(system["available_bytes"].get<std::uint64_t>(), system["total_bytes"].get<std::uint64_t>());
  EXPECT_GT(doc["process"]["rss_bytes"].get<std::uint64_t>(), 0u);
  EXPECT_TRUE(doc["gpus"].is_array());
  EXPECT_FALSE(doc["frameworks"]["onnxruntime"]["version"].get<std::string>().empty());
  EXPECT_TRUE(doc["frameworks"]["onnxruntime"]["providers"].is_array());
  EXPECT_EQ(doc["frameworks"]["onnxruntime"]["provider_status"]["cpu"], "loads");
  EXPECT_TRUE(doc["bottlenecks"].is_array());
  const auto& rec = doc["recommendation"];
  EXPECT_FALSE(rec["tier"].get<std::string>().empty());
  EXPECT_EQ(rec["command"].get<std::string>().rfind("dlc run --execution-provider ", 0), 0u);
  // Never more threads than this machine has cores.
  const auto args = rec["args"].get<std::vector<std::string>>();
  const auto threads = std::find(args.begin(), args.end(), "--execution-threads");
  ASSERT_NE(threads, args.end());
  EXPECT_LE(std::stoi(*(threads + 1)), system["cpu_cores"].get<int>());
}

// The NVML path through the binary: a fake libnvidia-ml.so.1 found by the dynamic loader.
TEST(Main, DiagnoseSeesGpusThroughNvml) {
  const auto r = dlc({"diagnose", "--json"}, {std::string("LD_LIBRARY_PATH=") + DLC_FAKE_NVML_DIR,
                                              "FAKE_NVML_DEVICES=NVIDIA GeForce RTX 4090:24564:23000"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["gpus"].size(), 1u);
  EXPECT_EQ(doc["gpus"][0]["name"], "NVIDIA GeForce RTX 4090");
  EXPECT_EQ(doc["gpus"][0]["total_bytes"].get<std::uint64_t>(), 24564ULL << 20);
  EXPECT_EQ(doc["gpus"][0]["free_bytes"].get<std::uint64_t>(), 1564ULL << 20);
  EXPECT_EQ(doc["recommendation"]["tier"], "high-vram");
  const auto bottlenecks = doc["bottlenecks"].dump();
  EXPECT_NE(bottlenecks.find("GPU 0: low free VRAM 1.5GB"), std::string::npos) << bottlenecks;
  // A GPU without a usable CUDA provider is a bottleneck; with one it is not.
  const bool cuda_loads = doc["frameworks"]["onnxruntime"]["provider_status"]["cuda"] == "loads";
  EXPECT_EQ(bottlenecks.find("CUDA provider cannot be used") != std::string::npos, !cuda_loads) << bottlenecks;
}

TEST(Main, DiagnoseSaysWhenNoGpuIsFound) {
  const auto r = dlc({"diagnose"}, {"LD_LIBRARY_PATH=/nonexistent"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  if (r.out.find("GPU 0 (") != std::string::npos) GTEST_SKIP() << "this machine has an NVIDIA driver";
  EXPECT_NE(r.out.find("no GPU found"), std::string::npos) << r.out;
}

std::string fixtures() { return test::fixture_model("").string(); }

TEST(Main, BenchRunsTheFixturePipelineUnderItsBudget) {
  const auto r = dlc({"bench", "--models-dir", fixtures(), "--frames", "5", "--max-memory", "1", "--json",
                      "--memory-monitor-interval", "0"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["stages"].size(), 3u);
  const auto& memory = doc["memory"];
  EXPECT_EQ(memory["budget_bytes"].get<std::uint64_t>(), 1ULL << 30);
  EXPECT_LE(memory["peak_rss_bytes"].get<std::uint64_t>(), memory["budget_bytes"].get<std::uint64_t>());
  // The plan is an upper bound of what the run measured.
  EXPECT_GE(memory["planned_peak_bytes"].get<std::uint64_t>(), memory["peak_rss_bytes"].get<std::uint64_t>());
}

TEST(Main, BenchWithTooSmallABudgetExitsFiveWithThePlan) {
  const auto r = dlc({"bench", "--models-dir", fixtures(), "--max-memory", "0.1"});
  EXPECT_EQ(r.exit_code, kExitMemoryBudget);
  EXPECT_NE(r.err.find("dlc: the memory budget of 102.4 MB cannot be met"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("dlc process now  (measured RSS)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("swapper inswapper_128.onnx"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("budget (--max-memory): does NOT fit"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << "no work was done";
}

TEST(Main, BenchWithoutModelsExitsFourNamingTheFile) {
  const auto dir = test::make_temp_dir();
  const auto r = dlc({"bench", "--models-dir", dir.string()});
  std::filesystem::remove_all(dir);
  EXPECT_EQ(r.exit_code, kExitModel);
  EXPECT_NE(r.err.find("det_10g.onnx: not found"), std::string::npos) << r.err;
}

// Counts that load can only loosen, never tighten: rounds come one interval apart on the steady
// clock (the first one interval after the start), so a process that lived W seconds prints at most
// W / 0.1 of them however slow the machine; a busy machine makes W longer, not the count larger.
// The run lasts far more than one interval, so at least one round comes. How close the count comes
// to W / 0.1 depends on the load, so it is not asserted (the monitor's own test pins the cadence
// with an injected clock).
TEST(Main, MonitorLinesComeAtTheIntervalAskedFor) {
  const auto start = std::chrono::steady_clock::now();
  const auto r = dlc({"bench", "--models-dir", fixtures(), "--frames", "1500", "--memory-monitor-interval", "0.1",
                      "--json"});
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  const std::regex system_line(R"(\[DLC\.MEMORY\] System Memory: \d+\.\dGB/\d+\.\dGB \(\d+\.\d%\)\n)");
  const std::regex own_line(
      R"(\[DLC\.MEMORY\] dlc: RSS \d+\.\dGB \(peak \d+\.\dGB\), model arenas \d+\.\dGB \(peak \d+\.\dGB\)\n)");
  const auto rounds = count_matches(r.err, system_line);
  EXPECT_EQ(count_matches(r.err, own_line), rounds) << r.err;
  EXPECT_GE(rounds, 1u) << r.err;
  EXPECT_LE(static_cast<double>(rounds), wall / 0.1) << "wall " << wall << " s";
  const auto quiet = dlc({"bench", "--models-dir", fixtures(), "--frames", "50", "--memory-monitor-interval", "0",
                          "--json"});
  ASSERT_EQ(quiet.exit_code, kExitOk) << quiet.err;
  EXPECT_EQ(quiet.err.find("[DLC.MEMORY]"), std::string::npos) << quiet.err;
}

TEST(Main, DiagnoseShowsMemoryInDeepLiveCamFormat) {
  const auto r = dlc({"diagnose"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\[DLC\.MEMORY\] System Memory: \d+\.\dGB/\d+\.\dGB \(\d+\.\d%\))")))
      << r.out;
}

}  // namespace
}  // namespace dlc::app

namespace dlc::app {
namespace {

// The processes left running whose parent is this test process: with this process a subreaper,
// they are what a dlc that exited left behind (an orphan is re-parented here when dlc exits, before
// waitpid on dlc returns). Zombies are reaped on the way.
std::vector<pid_t> orphans_left_running() {
  std::vector<pid_t> running;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(text.substr(close + 2));
    char state = 0;
    pid_t parent = 0;
    rest >> state >> parent;
    if (parent != getpid()) continue;
    const pid_t pid = std::stoi(name);
    if (state == 'Z') {
      waitpid(pid, nullptr, 0);
    } else {
      running.push_back(pid);
    }
  }
  return running;
}

// Makes this process the subreaper of everything started in its scope, and ends what is left.
class Subreaper {
 public:
  Subreaper() { prctl(PR_SET_CHILD_SUBREAPER, 1); }
  ~Subreaper() {
    for (const pid_t pid : orphans_left_running()) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    prctl(PR_SET_CHILD_SUBREAPER, 0);
  }
  Subreaper(const Subreaper&) = delete;
  Subreaper& operator=(const Subreaper&) = delete;
};

bool has_partial_file(const std::filesystem::path& dir) {
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().find("dlc-partial") != std::string::npos) return true;
  }
  return false;
}

// Waits (polling, up to a generous bound, so a loaded machine only makes it slower) until the
// job has started writing: its temporary output exists.
bool wait_for_partial_file(const std::filesystem::path& dir, const media::ChildProcess& dlc) {
  for (int i = 0; i < 1200; ++i) {
    if (has_partial_file(dir)) return true;
    siginfo_t ended{};
    // dlc ended on its own; WNOWAIT leaves it for dlc.wait() to reap.
    if (waitid(P_PID, static_cast<id_t>(dlc.pid()), &ended, WEXITED | WNOHANG | WNOWAIT) == 0 && ended.si_pid != 0) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// A video run stopped by SIGINT / SIGTERM exits 130 / 143 and leaves neither output nor temporary.
// The signal goes to dlc's whole process group, as a terminal's Ctrl-C does (dlc leads its own
// group here: ChildProcess starts every child so); dlc's ffmpeg children are not in it.
class StopSignal : public testing::TestWithParam<int> {};

TEST_P(StopSignal, LeavesNothingBehind) {
  const auto photo = test::grace_hopper_photo();
  if (const auto why = test::missing_inputs(test::Dlib68::kNotNeeded); !why.empty()) GTEST_SKIP() << why;
  const auto dir = test::make_temp_dir();
  const auto clip = dir / "long.mp4";
  // 40 s of video: far more than the run gets before the signal.
  ASSERT_EQ(media::run_process({"ffmpeg", "-v", "error", "-loop", "1", "-i", photo.string(), "-frames:v", "1000", "-r",
                                "25", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", clip.string()})
                .exit_code,
            0);
  const Subreaper subreaper;
  media::ChildProcess dlc({test::dlc_binary().string(), "run", "-s",
                           test::source_tree_file(".cache/media/astronaut.png").string(), "-t", clip.string(), "-o",
                           (dir / "out.mp4").string(), "--memory-monitor-interval", "0", "--models-dir",
                           (dir / "no-models").string()},
                          media::ChildPipes{});
  ASSERT_EQ(getpgid(dlc.pid()), dlc.pid());
  ASSERT_TRUE(wait_for_partial_file(dir, dlc)) << "the run never started writing: " << dlc.stderr_tail();
  ASSERT_EQ(::kill(-dlc.pid(), GetParam()), 0);
  EXPECT_EQ(dlc.wait(), 128 + GetParam()) << dlc.stderr_tail();
  EXPECT_NE(dlc.stderr_tail().find("no output written"), std::string::npos) << dlc.stderr_tail();
  EXPECT_TRUE(orphans_left_running().empty()) << "dlc left children running";
  EXPECT_FALSE(std::filesystem::exists(dir / "out.mp4"));
  EXPECT_FALSE(has_partial_file(dir));
  std::filesystem::remove_all(dir);
}

// Ctrl-C ends `dlc live` normally: exit 0, the recording finished and kept. The recording's
// ffmpeg must not get the terminal's SIGINT, or the file is lost.
TEST(Main, CtrlCToTheProcessGroupKeepsALiveRecording) {
  const auto photo = test::astronaut_photo();
  if (const auto why = test::missing_inputs(test::Dlib68::kNotNeeded); !why.empty()) GTEST_SKIP() << why;
  const auto dir = test::make_temp_dir();
  // 60 s of camera at 25 fps: the session is still running when the signal comes. Plain grey
  // with ultrafast encodes in a moment even on a loaded machine.
  const auto clip = dir / "camera.mp4";
  const auto made = media::run_process({"ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi", "-i",
                                        "color=c=gray:s=320x240:r=25:d=60", "-c:v", "libx264", "-preset", "ultrafast",
                                        "-pix_fmt", "yuv420p", clip.string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const auto record = dir / "r.mp4";
  const Subreaper subreaper;
  media::ChildProcess dlc({test::dlc_binary().string(), "live", "-s", photo.string(), "--camera", clip.string(),
                           "--headless", "--record", record.string(), "--memory-monitor-interval", "0",
                           "--models-dir", (dir / "no-models").string()},
                          media::ChildPipes{.stderr_bytes = media::kWholeStderr});
  ASSERT_TRUE(wait_for_partial_file(dir, dlc)) << "the recording never started: " << dlc.stderr_tail();
  ASSERT_EQ(::kill(-dlc.pid(), SIGINT), 0);
  EXPECT_EQ(dlc.wait(), kExitOk) << dlc.stderr_tail();
  EXPECT_TRUE(orphans_left_running().empty()) << "dlc left children running";
  ASSERT_TRUE(std::filesystem::exists(record)) << dlc.stderr_tail();
  EXPECT_FALSE(has_partial_file(dir));
  const auto info = media::probe_video(record);
  EXPECT_GE(info.frame_count, 1);
  EXPECT_EQ(info.width, 320);
  EXPECT_EQ(info.height, 240);
  // Every frame decodes: ffmpeg finished the file rather than dying mid-write.
  const auto decoded = media::run_process({"ffmpeg", "-v", "error", "-nostdin", "-i", record.string(), "-f", "null", "-"});
  EXPECT_EQ(decoded.exit_code, 0) << decoded.err;
  EXPECT_TRUE(decoded.err.empty()) << decoded.err;
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Signals, StopSignal, testing::Values(SIGINT, SIGTERM),
                         [](const testing::TestParamInfo<int>& param_info) {
                           return param_info.param == SIGINT ? std::string("SIGINT") : std::string("SIGTERM");
                         });

}  // namespace
}  // namespace dlc::app

namespace dlc::app {
namespace {

TEST(Main, RunRefusesABudgetItsPlanCannotMeet) {
  const auto photo = test::grace_hopper_photo();
  if (const auto why = test::missing_inputs(test::Dlib68::kNotNeeded); !why.empty()) GTEST_SKIP() << why;
  const auto dir = test::make_temp_dir();
  const auto r = dlc({"run", "-s", test::source_tree_file(".cache/media/astronaut.png").string(), "-t", photo.string(),
                      "-o", (dir / "out.png").string(), "--max-memory", "0.1", "--models-dir", (dir / "none").string()});
  EXPECT_EQ(r.exit_code, kExitMemoryBudget) << r.err;
  EXPECT_NE(r.err.find("dlc: the memory budget of 102.4 MB cannot be met"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("dlib's 68-point shape predictor"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "out.png"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dlc::app

namespace dlc::app {
namespace {

// Progress lines on stderr (plain lines when it is not a terminal), silenced by --log-level warning.
TEST(Main, VideoProgressFollowsTheLogLevel) {
  const auto photo = test::astronaut_photo();
  if (const auto why = test::missing_inputs(test::Dlib68::kNotNeeded); !why.empty()) GTEST_SKIP() << why;
  const auto dir = test::make_temp_dir();
  const auto clip = test::make_test_clip(dir, "pattern.mp4", false);
  const std::vector<std::string> common{"run", "-s", photo.string(), "-t", clip.string(), "--memory-monitor-interval",
                                        "0", "--models-dir", (dir / "none").string()};
  auto args = common;
  args.insert(args.end(), {"-o", (dir / "loud.mp4").string()});
  const auto loud = dlc(args);
  ASSERT_EQ(loud.exit_code, kExitOk) << loud.err;
  EXPECT_NE(loud.err.find("dlc: frame 50/50, "), std::string::npos) << loud.err;
  EXPECT_NE(loud.out.find("50 frames"), std::string::npos) << loud.out;
  args = common;
  args.insert(args.end(), {"-o", (dir / "quiet.mp4").string(), "--log-level", "warning"});
  const auto quiet = dlc(args);
  ASSERT_EQ(quiet.exit_code, kExitOk) << quiet.err;
  EXPECT_EQ(quiet.err.find("dlc: frame"), std::string::npos) << quiet.err;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dlc::app

namespace dlc::app {
namespace {

// A copy of file cut to its first bytes, as an interrupted download leaves it.
std::filesystem::path cut_copy(const std::filesystem::path& file, const std::filesystem::path& to, std::uintmax_t bytes) {
  std::filesystem::copy_file(file, to);
  std::filesystem::resize_file(to, bytes);
  return to;
}

// A damaged input image exits 3 naming the file and the damage, with nothing written; libjpeg's
// own "Premature end of JPEG file" never shows (the file is refused before it is decoded).
TEST(Main, TruncatedImagesExitThreeNamingTheDamage) {
  const auto grace = test::grace_hopper_photo();
  const auto astronaut = test::astronaut_photo();
  if (const auto why = test::missing_inputs(test::Dlib68::kNotNeeded); !why.empty()) GTEST_SKIP() << why;
  const auto dir = test::make_temp_dir();
  const auto jpeg = cut_copy(grace, dir / "cut.jpg", 3000);
  const auto png = cut_copy(astronaut, dir / "cut.png", std::filesystem::file_size(astronaut) / 2);
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  };
  const std::vector<Case> cases{
      {{"-s", astronaut.string(), "-t", jpeg.string(), "-o", (dir / "out.jpg").string()},
       "target '" + jpeg.string() + "' is damaged: truncated JPEG data: the file ends at byte 3000"},
      {{"-s", png.string(), "-t", grace.string(), "-o", (dir / "out.jpg").string()},
       "source '" + png.string() + "' is damaged: truncated PNG data"},
      {{"-s", astronaut.string(), "-t", png.string(), "-o", (dir / "out.png").string()},
       "target '" + png.string() + "' is damaged: truncated PNG data"},
  };
  for (const auto& c : cases) {
    auto args = c.args;
    args.insert(args.begin(), "run");
    args.insert(args.end(), {"--models-dir", (dir / "no-models").string()});
    const auto r = dlc(args);
    EXPECT_EQ(r.exit_code, kExitBadInput) << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("Premature end"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "out.jpg"));
    EXPECT_FALSE(std::filesystem::exists(dir / "out.png"));
    EXPECT_FALSE(has_partial_file(dir));
  }
  std::filesystem::remove_all(dir);
}

// astronaut.png carries the HP/Microsoft sRGB profile libpng calls "known incorrect": harmless, so
// the user is not told about it.
TEST(Main, PngWithAnIncorrectSrgbProfileReadsQuietly) {
  const auto grace = test::grace_hopper_photo();
  const auto astronaut = test::astronaut_photo();
  if (const auto why = test::missing_inputs(test::Dlib68::kNotNeeded); !why.empty()) GTEST_SKIP() << why;
  const auto dir = test::make_temp_dir();
  const auto r = dlc({"run", "-s", astronaut.string(), "-t", grace.string(), "-o", (dir / "out.jpg").string(),
                      "--models-dir", (dir / "no-models").string()});
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_EQ(r.err.find("libpng"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("iCCP"), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "out.jpg"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dlc::app

namespace dlc::app {
namespace {

// Plain grey at 25 fps, encoded in a moment even on a loaded machine.
std::filesystem::path grey_clip(const std::filesystem::path& dir, int seconds) {
  const auto clip = dir / "grey.mp4";
  const auto made = media::run_process({"ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi", "-i",
                                        "color=c=gray:s=320x240:r=25:d=" + std::to_string(seconds), "-c:v", "libx264",
                                        "-preset", "ultrafast", "-pix_fmt", "yuv420p", clip.string()});
  if (made.exit_code != 0) throw std::runtime_error("ffmpeg could not make the clip: " + made.err);
  return clip;
}

// The child of parent whose command line has word among its arguments; 0 when none.
pid_t child_with_argument(pid_t parent, const std::string& word) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(text.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid != parent) continue;
    std::ifstream cmdline(entry.path() / "cmdline");
    std::string arg;
    while (std::getline(cmdline, arg, '\0')) {
      if (arg == word) return std::stoi(entry.path().filename().string());
    }
  }
  return 0;
}

// The encoder (ffmpeg reading pipe:0) or the decoder (dlc-decode, the only child given
// --threads; ffmpeg writing pipe:1 where DLC_DECODE names no program) dies in the middle of a
// video run: a clear error, non-zero exit, neither output nor temporary file.
class FfmpegDies : public testing::TestWithParam<const char*> {};

TEST_P(FfmpegDies, MidRunLeavesNothingBehind) {
  const auto photo = test::astronaut_photo();
  if (const auto why = test::missing_inputs(test::Dlib68::kNotNeeded); !why.empty()) GTEST_SKIP() << why;
  const auto dir = test::make_temp_dir();
  const auto clip = grey_clip(dir, 60);
  const bool encoder = std::string(GetParam()) == "pipe:0";
  const bool ffmpeg_decodes = std::string(GetParam()) == "pipe:1";
  media::ChildProcess dlc({test::dlc_binary().string(), "run", "-s", photo.string(), "-t", clip.string(), "-o",
                           (dir / "out.mp4").string(), "--memory-monitor-interval", "0", "--models-dir",
                           (dir / "no-models").string()},
                          media::ChildPipes{.stderr_bytes = media::kWholeStderr},
                          ffmpeg_decodes ? std::vector<std::string>{"DLC_DECODE=none"} : std::vector<std::string>{});
  ASSERT_TRUE(wait_for_partial_file(dir, dlc)) << "the run never started writing: " << dlc.stderr_tail();
  const pid_t ffmpeg = child_with_argument(dlc.pid(), GetParam());
  ASSERT_GT(ffmpeg, 0) << "no child with " << GetParam();
  ASSERT_EQ(::kill(ffmpeg, SIGKILL), 0);
  EXPECT_EQ(dlc.wait(), kExitBadInput) << dlc.stderr_tail();
  const auto expected = encoder ? std::string("the encoder stopped taking frames for '") + (dir / "out.mp4").string()
                                : std::string("decoding '") + clip.string() + "' failed after ";
  EXPECT_NE(dlc.stderr_tail().find(expected), std::string::npos) << dlc.stderr_tail();
  EXPECT_FALSE(std::filesystem::exists(dir / "out.mp4"));
  EXPECT_FALSE(has_partial_file(dir));
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Ffmpeg, FfmpegDies, testing::Values("pipe:0", "pipe:1", "--threads"),
                         [](const testing::TestParamInfo<const char*>& param_info) {
                           const std::string param = param_info.param;
                           return param == "pipe:0" ? std::string("Encoder")
                                  : param == "pipe:1" ? std::string("Decoder")
                                                      : std::string("DlcDecode");
                         });

// The finished video cannot take the output's name (a non-empty folder has it): exit 3 saying so,
// the folder untouched, no temporary left.
TEST(Main, AVideoWhoseRenameFailsLeavesNothingBehind) {
  const auto photo = test::astronaut_photo();
  if (const auto why = test::missing_inputs(test::Dlib68::kNotNeeded); !why.empty()) GTEST_SKIP() << why;
  const auto dir = test::make_temp_dir();
  const auto clip = grey_clip(dir, 1);
  const auto taken = dir / "astronaut-grey.mp4";  // the name -o DIR resolves to
  std::filesystem::create_directory(taken);
  std::ofstream(taken / "keep.txt") << "mine\n";
  const auto r = dlc({"run", "-s", photo.string(), "-t", clip.string(), "-o", dir.string(), "--models-dir",
                      (dir / "no-models").string()});
  EXPECT_EQ(r.exit_code, kExitBadInput) << r.err;
  EXPECT_NE(r.err.find("cannot rename"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(taken.string()), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::exists(taken / "keep.txt"));
  EXPECT_FALSE(has_partial_file(dir));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dlc::app

namespace dlc::app {
namespace {

// An image job with --events json sends memory events too (measured, the video job's fields), so
// dlc-gui's Memory tab plots it: at least the one read when the image is done, before "done".
TEST(Main, AnImageJobSendsMemoryEvents) {
  const auto photo = test::source_tree_file(".cache/media/grace_hopper.jpg");
  if (!std::filesystem::exists(photo)) GTEST_SKIP() << "the Debian photos are missing: run scripts/setup.sh";
  const auto dir = test::make_temp_dir();
  const auto r = dlc({"run", "-s", test::source_tree_file(".cache/media/astronaut.png").string(), "-t", photo.string(),
                      "-o", (dir / "out.png").string(), "--events", "json", "--max-memory", "3", "--models-dir",
                      (dir / "none").string(), "--execution-threads", "2"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  std::vector<nlohmann::json> memory;
  bool done_after = false;
  std::istringstream lines(r.err);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.front() != '{') continue;
    const auto event = nlohmann::json::parse(line);
    if (event["event"] == "memory") memory.push_back(event);
    if (event["event"] == "done") done_after = !memory.empty();
  }
  ASSERT_GE(memory.size(), 1u) << r.err;
  EXPECT_TRUE(done_after) << "no memory event before done";
  const auto& m = memory.back();
  for (const char* field : {"seconds", "budget_bytes", "rss_bytes", "peak_rss_bytes", "tree_rss_bytes", "children",
                            "arena_bytes", "arena_peak_bytes", "system_used_bytes", "system_total_bytes"}) {
    EXPECT_TRUE(m.contains(field)) << field << ": " << m.dump();
  }
  EXPECT_EQ(m["budget_bytes"].get<std::uint64_t>(), 3ULL << 30);
  EXPECT_GT(m["rss_bytes"].get<std::uint64_t>(), 10'000'000u);  // dlc with the dlib model loaded is far above
  EXPECT_GE(m["peak_rss_bytes"].get<std::uint64_t>(), m["rss_bytes"].get<std::uint64_t>());
  EXPECT_GT(m["system_total_bytes"].get<std::uint64_t>(), 0u);
  std::filesystem::remove_all(dir);
}

// --draw-mouth-mask: the result is the plain result with the mask's outline on it, a larger one
// for a larger size; nothing differs away from the mouth.
TEST(Main, DrawMouthMaskDrawsTheOutlineOnTheResult) {
  const auto photo = test::source_tree_file(".cache/media/grace_hopper.jpg");
  if (!std::filesystem::exists(photo)) GTEST_SKIP() << "the Debian photos are missing: run scripts/setup.sh";
  const auto dir = test::make_temp_dir();
  const auto swap = [&](const std::string& name, std::vector<std::string> extra) {
    std::vector<std::string> args{"run", "-s", test::source_tree_file(".cache/media/astronaut.png").string(), "-t",
                                  photo.string(), "-o", (dir / name).string(), "--models-dir", (dir / "none").string(),
                                  "--execution-threads", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = dlc(args);
    EXPECT_EQ(r.exit_code, kExitOk) << r.err;
    return dir / name;
  };
  const auto plain = swap("plain.png", {"--mouth-mask-size", "20"});
  const auto small = swap("small.png", {"--mouth-mask-size", "20", "--draw-mouth-mask"});
  const auto large = swap("large.png", {"--mouth-mask-size", "80", "--draw-mouth-mask"});
  // The box of the pixels that differ (by more than 40 in a channel).
  const auto changed_box = [](const std::filesystem::path& a, const std::filesystem::path& b) {
    cv::Mat difference;
    cv::absdiff(cv::imread(a.string()), cv::imread(b.string()), difference);
    cv::Mat changed(difference.rows, difference.cols, CV_8U, cv::Scalar(0));
    for (int y = 0; y < difference.rows; ++y) {
      for (int x = 0; x < difference.cols; ++x) {
        const auto p = difference.at<cv::Vec3b>(y, x);
        changed.at<unsigned char>(y, x) = std::max({p[0], p[1], p[2]}) > 40 ? 255 : 0;
      }
    }
    const auto box = cv::boundingRect(changed);
    return std::array<int, 4>{box.x, box.y, box.br().x, box.br().y};
  };
  const auto s = changed_box(plain, small);
  const auto l = changed_box(plain, large);
  ASSERT_GT(s[2], s[0]) << "--draw-mouth-mask changed nothing";
  // Around Grace Hopper's mouth (about x 220-300, y 260-300 in the photo), and only there.
  EXPECT_GT(s[0], 150);
  EXPECT_LT(s[2], 360);
  EXPECT_GT(s[1], 200);
  EXPECT_LT(s[3], 400);
  EXPECT_GT((l[2] - l[0]) * (l[3] - l[1]), 2 * (s[2] - s[0]) * (s[3] - s[1]));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dlc::app
