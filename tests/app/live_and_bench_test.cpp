// `dlc bench` on the pipeline, `dlc run` with a memory strategy, and `dlc live` from a file camera,
// end to end through the binary.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>

#include "app/exit_codes.hpp"
#include "app/live_command.hpp"
#include "media/child_process.hpp"
#include "media/subprocess.hpp"
#include "media/video_probe.hpp"
#include "media/video_reader.hpp"
#include "pipeline/live_job.hpp"
#include "support/paths.hpp"

namespace dlc::app {
namespace {

class EndToEnd : public testing::Test {
 protected:
  void SetUp() override {
    grace_ = test::grace_hopper_photo();
    astronaut_ = test::astronaut_photo();
    if (const auto why = test::missing_inputs(test::Dlib68::kNotNeeded); !why.empty()) GTEST_SKIP() << why;
    dir_ = test::make_temp_dir();
    // The swapper's path with fixture models; BlazeFace finds the faces.
    models_ = test::copy_fixture_models(dir_, {"w600k_r50.onnx", "inswapper_128.onnx"});
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  media::ProcessResult dlc(std::vector<std::string> args) {
    args.insert(args.end(), {"--memory-monitor-interval", "0"});
    return dlc_with_monitor(std::move(args));
  }
  // The same with the [DLC.MEMORY] lines as asked in `args` (10 s apart if not).
  media::ProcessResult dlc_with_monitor(std::vector<std::string> args) {
    args.insert(args.begin(), test::dlc_binary().string());
    args.insert(args.end(), {"--models-dir", models_.string()});
    return media::run_process(args);
  }

  // Grace Hopper's photo as a clip (25 fps unless asked).
  std::filesystem::path grace_clip(int frames, int fps = 25) {
    const auto path = dir_ / ("grace-" + std::to_string(frames) + "-" + std::to_string(fps) + ".mp4");
    const auto r = media::run_process({"ffmpeg", "-y", "-v", "error", "-loop", "1", "-i", grace_.string(), "-frames:v",
                                       std::to_string(frames), "-r", std::to_string(fps), "-c:v", "libx264",
                                       "-preset", "ultrafast", "-pix_fmt", "yuv420p", path.string()});
    if (r.exit_code != 0) throw std::runtime_error("ffmpeg: " + r.err);
    return path;
  }

  std::filesystem::path grace_;
  std::filesystem::path astronaut_;
  std::filesystem::path dir_;
  std::filesystem::path models_;
};

TEST_F(EndToEnd, BenchTimesEachStageOfThePipeline) {
  const auto r = dlc({"bench", "-s", astronaut_.string(), "-t", grace_clip(8).string(), "--frames", "6", "--json"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["frames"].get<int>(), 6);
  EXPECT_GT(doc["fps"].get<double>(), 0);
  EXPECT_EQ(doc["strategy"].get<std::string>(), "resident");
  std::vector<std::string> stages;
  for (const auto& s : doc["stages"]) {
    stages.push_back(s["stage"].get<std::string>());
    EXPECT_LE(s["p50_ms"].get<double>(), s["p95_ms"].get<double>()) << stages.back();
  }
  for (const char* expected : {"decode", "detect", "align", "swap inference", "paste-back", "encode"}) {
    EXPECT_NE(std::ranges::find(stages, expected), stages.end()) << expected;
  }
  const auto& memory = doc["memory"];
  EXPECT_LE(memory["base_rss_bytes"].get<std::uint64_t>(), memory["rss_after_load_bytes"].get<std::uint64_t>());
}

// `dlc bench` on the models alone, on a fresh models folder: like a first `dlc run`, a child
// writes inswapper's optimized copy before the bench loads it (dlc does not write it itself); the
// next bench finds it.
TEST_F(EndToEnd, BenchOnTheModelsHasTheFirstRunsCopiesWrittenByAChild) {
  std::filesystem::copy_file(test::fixture_model("det_10g.onnx"), models_ / "det_10g.onnx");  // the bench's detector
  for (const bool first : {true, false}) {
    const auto r = dlc({"bench", "--frame-processor", "face_swapper", "--frames", "1", "--json"});
    ASSERT_EQ(r.exit_code, kExitOk) << r.err;
    EXPECT_EQ(r.err.find("inswapper_128.onnx: wrote its optimized copy once in a child dlc process") != std::string::npos,
              first)
        << r.err;
    EXPECT_EQ(r.err.find("wrote ONNX Runtime's optimized graph once"), std::string::npos) << r.err;
  }
}

TEST_F(EndToEnd, BenchComparesMemoryOptimizationInTwoProcesses) {
  const auto r = dlc({"bench", "-s", astronaut_.string(), "-t", grace_clip(5).string(), "--frames", "3", "--json",
                      "--compare-memory-optimization"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_TRUE(doc["on"]["memory_optimization"].get<bool>());
  EXPECT_FALSE(doc["off"]["memory_optimization"].get<bool>());
  EXPECT_EQ(doc["on"]["frames"].get<int>(), 3);
  EXPECT_EQ(doc["off"]["frames"].get<int>(), 3);
}

TEST_F(EndToEnd, RunSaysWhichMemoryStrategyItTook) {
  const auto r = dlc({"run", "-s", astronaut_.string(), "-t", grace_clip(6).string(), "-o",
                      (dir_ / "staged.mp4").string(), "--memory-strategy", "stage"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("memory strategy stage"), std::string::npos) << r.out;
  EXPECT_EQ(media::probe_video(dir_ / "staged.mp4").frame_count, 6);
}

// A file played as a camera, headless, recorded: the figures are printed, and the recording has
// one frame per camera frame of the session (each processed frame repeated over the frames not
// processed), whatever the machine's load made of the counts.
TEST_F(EndToEnd, LiveFromAFileCameraRecordsTheWholeSession) {
  const auto record = dir_ / "live.mp4";
  const auto r = dlc({"live", "-s", astronaut_.string(), "--camera", grace_clip(40).string(), "--headless", "--record",
                      record.string()});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      r.out, m,
      std::regex(R"((\d+) frames captured at [\d.]+ fps, (\d+) processed at [\d.]+ fps, (\d+) dropped \((\d+) before processing, (\d+) before output, (\d+) over the memory budget\))")))
      << r.out;
  const auto captured = std::stoi(m[1]);
  const auto processed = std::stoi(m[2]);
  EXPECT_LE(captured, 40) << "a file camera gives each frame at most once";
  EXPECT_GT(processed, 0);
  EXPECT_EQ(std::stoi(m[3]), std::stoi(m[4]) + std::stoi(m[5]) + std::stoi(m[6]));
  EXPECT_EQ(processed + std::stoi(m[4]) + std::stoi(m[6]), captured);
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(latency capture->display p50 \d+ ms, p95 \d+ ms)"))) << r.out;
  ASSERT_TRUE(std::regex_search(
      r.out, m, std::regex(R"(dlc live: (\d+) frames \(([\d.]+) s at 25/1 fps; (\d+) repeat the last processed frame, the swapper being late; \d+ written late, \d+ skipped as the outputs fell over a second behind\) recorded to )")))
      << r.out;
  const auto recorded = std::stoi(m[1]);
  EXPECT_EQ(recorded, 40);  // a frame per frame of the file, whichever were captured or processed
  EXPECT_GE(std::stoi(m[3]), recorded - processed);
  EXPECT_NEAR(std::stod(m[2]), recorded / 25.0, 0.005);
  const auto info = media::probe_video(record);
  EXPECT_EQ(info.frame_count, recorded);
  EXPECT_EQ(info.fps, (media::Rational{25, 1}));
}

// A free UDP port on 127.0.0.1, for a receiver to listen on.
int free_udp_port() {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  close(fd);
  return ntohs(address.sin_port);
}

// The stream end to end: dlc live on a file camera sends MPEG-TS over UDP to an ffmpeg receiver
// on this machine, which keeps what arrives. Every paced frame arrives, at the fixed size, with the
// face changed and the rest of the picture as it was. (The rate is not asserted here: a wall-clock
// figure; bench/live_stream.sh measures it.)
TEST_F(EndToEnd, LiveStreamsTheSwappedFaceOverUdpAtTheFixedSize) {
  const auto port = std::to_string(free_udp_port());
  const auto received = dir_ / "received.ts";
  const auto clip = grace_clip(50);
  // timeout: the receiver ends 15 s after the last packet, or when none came for 15 s (dlc's
  // start on a busy machine); its exit code says which.
  media::ChildProcess receiver({"ffmpeg", "-v", "error", "-nostdin", "-y", "-i",
                                "udp://127.0.0.1:" + port + "?timeout=15000000&fifo_size=100000&overrun_nonfatal=1",
                                "-c", "copy", "-f", "mpegts", received.string()},
                               media::ChildPipes{.to_stdin = false, .from_stdout = false});
  // Half the photo's 512x600 each way: the same aspect, so the frame maps onto the clip's by a
  // factor of 2.
  const auto r = dlc({"live", "-s", astronaut_.string(), "--camera", clip.string(), "--headless", "--stream",
                      "udp://127.0.0.1:" + port, "--virtual-camera-size", "256x300"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(dlc live: (\d+) frames \(([\d.]+) s at 25/1 fps; (\d+) repeat)")))
      << r.out;
  EXPECT_EQ(std::stoi(m[1]), 50);  // one per frame period of the file camera
  EXPECT_NE(r.out.find("streamed to udp://127.0.0.1:" + port + " at 256x300"), std::string::npos) << r.out;
  ASSERT_EQ(receiver.wait(), 0) << receiver.stderr_tail();

  const auto info = media::probe_video(received);
  EXPECT_EQ(info.width, 256);
  EXPECT_EQ(info.height, 300);
  EXPECT_GE(info.frame_count, 45) << "frames lost on the loopback";  // UDP: a few may go, not more
  EXPECT_LE(info.frame_count, 50);

  cv::Mat photo = cv::imread(grace_.string());
  cv::resize(photo, photo, {256, 300}, 0, 0, cv::INTER_AREA);
  media::VideoReader reader(received);
  cv::Mat frame;
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(reader.read(frame));  // well into the stream
  cv::Mat diff;
  cv::absdiff(frame, photo, diff);
  cv::cvtColor(diff, diff, cv::COLOR_BGR2GRAY);
  const cv::Mat changed = diff > 40;
  const auto changed_pixels = cv::countNonZero(changed);
  EXPECT_GT(changed_pixels, 256 * 300 / 100) << "no face was swapped";
  // The strongly changed pixels are in the middle of the picture, where the face is (at least
  // 90 % of them: the paste's soft edge reaches a little further); the border (a sixth of each
  // side) is as the camera gave it, but for compression.
  const cv::Rect middle(256 / 6, 300 / 6, 256 * 4 / 6, 300 * 4 / 6);
  EXPECT_GE(cv::countNonZero(changed(middle)), changed_pixels * 9 / 10);
  EXPECT_LT(cv::mean(diff(cv::Rect(0, 0, 256, 300 / 6)))[0], 16.0);  // the top band: compression noise (about 8) only
}

// Ctrl-C through dlc live's own wiring: the handlers installed, a real SIGINT sent to the process
// in the middle of the run, and run_live ends as after `q`, the recording complete. In a fresh
// process (the death test re-executes this binary): the handlers must not outlive the test.
TEST_F(EndToEnd, SigintEndsALiveRunAndKeepsTheRecording) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const auto clip = grace_clip(50);
  const auto record = dir_ / "interrupted.mp4";
  EXPECT_EXIT(
      {
        pipeline::LiveOptions o;
        o.camera.camera = clip.string();
        o.headless = true;
        o.record = record;
        o.stop = &install_live_stop_handlers();
        const auto r = pipeline::run_live(o, [](cv::Mat&, std::int64_t index) {
          if (index == 5) kill(getpid(), SIGINT);
        });
        const auto info = media::probe_video(record);
        std::fprintf(stderr, "end: %s; captured fewer than 50: %s; recording %lld frames of %lld recorded\n",
                     std::string(pipeline::to_string(r.end)).c_str(), r.captured < 50 ? "yes" : "no",
                     static_cast<long long>(info.frame_count), static_cast<long long>(r.recorded));
        const bool kept = info.frame_count == r.recorded && r.recorded > 5;
        std::filesystem::remove_all(dir_);  // the child's own folder: TearDown does not run here
        std::_Exit(kept ? 0 : 1);
      },
      testing::ExitedWithCode(0), "end: stop requested; captured fewer than 50: yes; recording");
}

// The [DLC.MEMORY] lines in Deep-Live-Cam's format while a video job runs, and none with 0.
TEST_F(EndToEnd, RunPrintsMemoryLinesAtTheIntervalAndNoneWithZero) {
  const std::regex system_line(R"(^\[DLC\.MEMORY\] System Memory: \d+\.\dGB/\d+\.\dGB \(\d+\.\d%\)$)");
  // With the tree (dlc and its running ffmpeg children) beside dlc's own figure.
  const std::regex own_line(
      R"(^\[DLC\.MEMORY\] dlc: RSS \d+\.\dGB \(peak \d+\.\dGB\)(, with its \d+ ffmpeg child(ren)? \d+\.\dGB)?, model arenas .*$)");
  const auto clip = grace_clip(6);
  // 10 ms apart: the job (loading the models, two ffmpeg processes) lasts far longer than that.
  const auto r = dlc_with_monitor({"run", "-s", astronaut_.string(), "-t", clip.string(), "-o",
                                   (dir_ / "monitored.mp4").string(), "--memory-monitor-interval", "0.01"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  int system_lines = 0;
  int own_lines = 0;
  std::istringstream err(r.err);
  for (std::string line; std::getline(err, line);) {
    if (!line.starts_with("[DLC.MEMORY] System Memory")) continue;
    ++system_lines;
    EXPECT_TRUE(std::regex_match(line, system_line)) << line;
  }
  std::istringstream err2(r.err);
  for (std::string line; std::getline(err2, line);) own_lines += std::regex_match(line, own_line) ? 1 : 0;
  EXPECT_GE(system_lines, 1) << r.err;
  EXPECT_EQ(own_lines, system_lines) << r.err;

  const auto quiet = dlc({"run", "-s", astronaut_.string(), "-t", clip.string(), "-o", (dir_ / "quiet.mp4").string()});
  ASSERT_EQ(quiet.exit_code, kExitOk) << quiet.err;
  EXPECT_EQ(quiet.err.find("[DLC.MEMORY]"), std::string::npos) << quiet.err;
}

TEST_F(EndToEnd, LivePrintsMemoryLinesAtTheIntervalAndNoneWithZero) {
  const std::regex system_line(R"(\[DLC\.MEMORY\] System Memory: \d+\.\dGB/\d+\.\dGB \(\d+\.\d%\)\n)");
  const auto clip = grace_clip(10);  // 0.4 s at least: the file camera is paced
  const auto r = dlc_with_monitor(
      {"live", "-s", astronaut_.string(), "--camera", clip.string(), "--headless", "--memory-monitor-interval", "0.01"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_TRUE(std::regex_search(r.err, system_line)) << r.err;
  const auto quiet = dlc({"live", "-s", astronaut_.string(), "--camera", clip.string(), "--headless"});
  ASSERT_EQ(quiet.exit_code, kExitOk) << quiet.err;
  EXPECT_EQ(quiet.err.find("[DLC.MEMORY]"), std::string::npos) << quiet.err;
}

// --camera-size and --camera-fps are asked of a device; a file camera keeps its own size and rate.
TEST_F(EndToEnd, FileCameraKeepsItsOwnSizeAndRate) {
  const auto clip = grace_clip(5);
  const auto record = dir_ / "sized.mp4";
  const auto r = dlc({"live", "-s", astronaut_.string(), "--camera", clip.string(), "--headless", "--camera-size",
                      "640x480", "--camera-fps", "10", "--record", record.string()});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  const auto in = media::probe_video(clip);
  const auto out = media::probe_video(record);
  EXPECT_EQ(out.width, in.width);
  EXPECT_EQ(out.height, in.height);
  EXPECT_NE(cv::Size(out.width, out.height), cv::Size(640, 480));
  EXPECT_EQ(out.fps, (media::Rational{25, 1}));
}

// Deep-Live-Cam's live cadence: a detection every round(0.08 × the camera's rate) frames, unless
// --detect-every says otherwise.
TEST_F(EndToEnd, LiveDetectsEveryPointZeroEightSecondsByDefault) {
  const auto detecting = [&](std::vector<std::string> extra, int fps) {
    std::vector<std::string> args{"live", "-s", astronaut_.string(), "--camera", grace_clip(3, fps).string(),
                                  "--headless", "--max-frames", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = dlc(args);
    EXPECT_EQ(r.exit_code, kExitOk) << r.err;
    std::smatch m;
    if (!std::regex_search(r.err, m, std::regex(R"(detecting every (\d+) frames)"))) return -1;
    return std::stoi(m[1]);
  };
  EXPECT_EQ(detecting({}, 20), 2);  // 0.08 × 20 = 1.6 rounds to 2 (not down to 1)
  EXPECT_EQ(detecting({}, 50), 4);  // 0.08 × 50 = 4
  EXPECT_EQ(detecting({"--detect-every", "3"}, 25), 3);
}

// Live's classic swapper solves its Poisson clone at half its work size (kLiveCloneFactor: its cost
// capped the frame rate); `dlc run` keeps the full solve.
TEST_F(EndToEnd, LiveSolvesTheClassicCloneAtHalfSize) {
  if (const auto why = test::missing_inputs(test::Dlib68::kNeeded); !why.empty()) GTEST_SKIP() << why;
  const auto no_models = dir_ / "no-models";
  std::filesystem::create_directories(no_models);
  const auto classic = [&](std::vector<std::string> args) {
    args.insert(args.begin(), test::dlc_binary().string());
    args.insert(args.end(), {"--models-dir", no_models.string(), "--memory-monitor-interval", "0"});
    return media::run_process(args);
  };
  const auto live = classic({"live", "-s", astronaut_.string(), "--camera", grace_clip(2).string(), "--headless",
                             "--max-frames", "1"});
  ASSERT_EQ(live.exit_code, kExitOk) << live.err;
  EXPECT_NE(live.err.find("face_swapper (classic: no inswapper_128.onnx; clone solved at 1/2 size)"), std::string::npos)
      << live.err;
  const auto run = classic({"run", "-s", astronaut_.string(), "-t", grace_.string(), "-o", (dir_ / "one.png").string()});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_NE(run.out.find("face_swapper (classic: no inswapper_128.onnx)"), std::string::npos) << run.out;
}

// The plan is checked before the camera is opened: a budget too small with a missing camera is
// exit 5 about the budget, not exit 3 about the camera.
TEST_F(EndToEnd, LiveChecksThePlanBeforeOpeningTheCamera) {
  const auto r = dlc({"live", "-s", astronaut_.string(), "--camera", "/dev/video99", "--headless", "--max-memory", "0.1"});
  EXPECT_EQ(r.exit_code, kExitMemoryBudget) << r.err;
  EXPECT_NE(r.err.find("the smallest budget that works is"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("/dev/video99"), std::string::npos) << r.err;
}

TEST_F(EndToEnd, LiveChecksTheSourceFaceBeforeTheCamera) {
  const auto blank = dir_ / "blank.png";
  cv::imwrite(blank.string(), cv::Mat(240, 320, CV_8UC3, cv::Scalar(40, 80, 120)));
  const auto r = dlc({"live", "-s", blank.string(), "--camera", "/dev/video99", "--headless"});
  EXPECT_EQ(r.exit_code, kExitBadInput);
  EXPECT_NE(r.err.find("no face found in the source image"), std::string::npos) << r.err;
}

TEST_F(EndToEnd, LiveWithoutTheCameraExitsThreeNamingIt) {
  const auto r = dlc({"live", "-s", astronaut_.string(), "--camera", "/dev/video99", "--headless"});
  EXPECT_EQ(r.exit_code, kExitBadInput);
  EXPECT_NE(r.err.find("/dev/video99"), std::string::npos) << r.err;
}

TEST_F(EndToEnd, LiveNamesTheSmallestBudgetThatWorks) {
  const auto r = dlc({"live", "-s", astronaut_.string(), "--camera", grace_clip(5).string(), "--headless",
                      "--max-memory", "0.1"});
  EXPECT_EQ(r.exit_code, kExitMemoryBudget);
  EXPECT_NE(r.err.find("the smallest budget that works is"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace dlc::app
