#include "pipeline/video_job.hpp"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include <fstream>
#include <system_error>
#include <thread>

#include "media/subprocess.hpp"
#include "media/video_probe.hpp"
#include "media/video_reader.hpp"
#include "processors/nsfw_filter.hpp"
#include "runtime/stage_times.hpp"
#include "support/paths.hpp"

namespace dlc::pipeline {
namespace {

class VideoJob : public testing::Test {
 protected:
  void SetUp() override {
    grace_ = test::source_tree_file(".cache/media/grace_hopper.jpg");
    if (!std::filesystem::exists(grace_)) GTEST_SKIP() << "the Debian photos are missing: run scripts/setup.sh";
    dir_ = test::make_temp_dir();
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Grace Hopper's photo as a 12-frame 25 fps clip, with a sine tone when asked.
  std::filesystem::path clip(bool audio) {
    const auto path = dir_ / (audio ? "with-audio.mp4" : "silent.mp4");
    std::vector<std::string> argv{"ffmpeg", "-v", "error", "-loop", "1", "-i", grace_.string()};
    if (audio) argv.insert(argv.end(), {"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"});
    argv.insert(argv.end(), {"-frames:v", "12", "-r", "25", "-c:v", "libx264", "-pix_fmt", "yuv420p"});
    if (audio) argv.insert(argv.end(), {"-c:a", "aac", "-t", "0.48"});
    argv.push_back(path.string());
    const auto r = media::run_process(argv);
    if (r.exit_code != 0) throw std::runtime_error("ffmpeg could not make the clip: " + r.err);
    return path;
  }

  VideoJobOptions options(const std::filesystem::path& target, const char* output) {
    VideoJobOptions o;
    o.source = test::source_tree_file(".cache/media/astronaut.png");
    o.target = target;
    o.output = dir_ / output;
    o.analyser.search_path = {dir_ / "no-models"};
    o.workers = 2;
    return o;
  }

  std::size_t files_in_dir() const {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir_), {}));
  }

  std::filesystem::path grace_;
  std::filesystem::path dir_;
};

// Same frame count, rate and size, the audio copied, the face swapped in every frame.
TEST_F(VideoJob, KeepsFramesRateAndAudio) {
  const auto target = clip(true);
  std::vector<std::int64_t> progress;
  const auto report = run_video_job(options(target, "out.mp4"), [&](const VideoProgress& p) { progress.push_back(p.frames_done); });
  EXPECT_EQ(report.frames, 12);
  EXPECT_EQ(report.frames_without_face, 0);
  EXPECT_TRUE(report.audio);
  EXPECT_FALSE(report.truncated_input);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), 12);
  const auto in = media::probe_video(target);
  const auto out = media::probe_video(report.output);
  EXPECT_EQ(out.frame_count, in.frame_count);
  EXPECT_EQ(out.fps, in.fps);
  EXPECT_EQ(out.width, in.width);
  EXPECT_EQ(out.height, in.height);
  EXPECT_TRUE(out.has_audio);

  // Frame 6 of both: the face region differs far more than the rest (lossy codec both ways).
  media::VideoReader a(target);
  media::VideoReader b(report.output);
  cv::Mat fa, fb;
  for (int i = 0; i <= 6; ++i) {
    ASSERT_TRUE(a.read(fa));
    ASSERT_TRUE(b.read(fb));
  }
  cv::Mat diff;
  cv::absdiff(fa, fb, diff);
  const cv::Rect face(200, 170, 130, 150);  // Grace Hopper's face in the 512×600 photo
  const cv::Rect background(0, 400, 150, 200);
  EXPECT_GT(cv::mean(diff(face))[1], 4 * cv::mean(diff(background))[1] + 2);
  EXPECT_EQ(files_in_dir(), 2u) << "the clip and the output, no temporary left";
}

TEST_F(VideoJob, SilentTargetGivesASilentVideo) {
  const auto report = run_video_job(options(clip(false), "silent-out.mp4"));
  EXPECT_FALSE(report.audio);
  EXPECT_FALSE(media::probe_video(report.output).has_audio);
  EXPECT_EQ(report.frames, 12);
}

// A stop in the middle of the run (after 3 of 12 frames were encoded into the temporary file):
// the temporary goes, no output appears.
TEST_F(VideoJob, StopLeavesNoOutputAndNoTemporary) {
  const auto target = clip(false);
  std::atomic<bool> stop{false};
  auto o = options(target, "stopped.mp4");
  o.stop = &stop;
  std::size_t files_while_running = 0;
  o.on_frame = [&](std::int64_t written) {
    if (written != 3) return;
    files_while_running = files_in_dir();
    stop = true;
  };
  const auto report = run_video_job(o);
  EXPECT_TRUE(report.stopped);
  EXPECT_EQ(report.frames, 3);
  EXPECT_EQ(files_while_running, 2u) << "the clip and the temporary output being written";
  EXPECT_FALSE(std::filesystem::exists(dir_ / "stopped.mp4"));
  EXPECT_EQ(files_in_dir(), 1u) << "only the clip";
}

// std::thread throws std::system_error when the process cannot have another thread: the job ends
// the threads it started and says so, instead of std::terminate, and leaves no output.
TEST_F(VideoJob, AThreadThatCannotStartIsAnErrorAndLeavesNothing) {
  const auto target = clip(false);
  for (const int failing : {1, 2, 3}) {  // the decoder, the first worker, the second
    SCOPED_TRACE(failing);
    auto o = options(target, "out.mp4");
    int started = 0;
    o.start_thread = [&](std::function<void()> body) {
      if (++started == failing) throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again));
      return std::thread(std::move(body));
    };
    try {
      run_video_job(o);
      ADD_FAILURE() << "the job ran without its threads";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("cannot start thread " + std::to_string(failing) + " of the video job"),
                std::string::npos)
          << e.what();
    }
    EXPECT_EQ(files_in_dir(), 1u) << "only the clip";
  }
}

// 10 frames of Grace Hopper, then 15 of an empty grey picture: the grey frames pass through
// unchanged and are counted.
TEST_F(VideoJob, FramesWithoutAFaceAreCountedAndLeftAlone) {
  const auto target = dir_ / "half.mp4";
  const auto r = media::run_process(
      {"ffmpeg", "-v", "error", "-loop", "1", "-t", "0.4", "-i", grace_.string(), "-f", "lavfi", "-i",
       "color=c=gray:s=512x600:d=0.6:r=25", "-filter_complex", "[0:v]fps=25,format=yuv420p[a];[1:v]format=yuv420p[b];"
       "[a][b]concat=n=2:v=1[v]", "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", target.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = run_video_job(options(target, "half-out.mp4"));
  EXPECT_EQ(report.frames, 25);
  EXPECT_EQ(report.frames_without_face, 15);
  media::VideoReader in(target);
  media::VideoReader out(report.output);
  cv::Mat a, b;
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(in.read(a));
    ASSERT_TRUE(out.read(b));
  }
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  // Up to the codec and its colour conversion: a swapped face would differ by far more.
  EXPECT_LE(cv::mean(diff)[1], 3.0) << "a grey frame comes out as it went in";
}

// Staged with the chunk on disk: a stop leaves neither the output nor the spill folder.
TEST_F(VideoJob, StopWhileStagedLeavesNoSpilledFrames) {
  const auto target = clip(false);
  std::atomic<bool> stop{false};
  auto o = options(target, "staged.mp4");
  o.swapper.strategy = MemoryStrategy::kStage;
  o.chunk_frames = 4;
  o.spill_folder = dir_ / "spill";
  o.stop = &stop;
  o.on_frame = [&](std::int64_t written) {
    if (written == 2) stop = true;  // halfway through the first chunk
  };
  const auto report = run_video_job(o);
  EXPECT_TRUE(report.stopped);
  EXPECT_EQ(report.frames, 2);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "staged.mp4"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "spill"));
  EXPECT_EQ(files_in_dir(), 1u) << "only the clip";
}

TEST_F(VideoJob, NotAVideoIsAVideoError) {
  const auto text = dir_ / "not-a-video.mp4";
  std::ofstream(text) << "hello";
  EXPECT_THROW(run_video_job(options(text, "x.mp4")), media::VideoError);
}

std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Swapper and enhancer from the fixture models, BlazeFace finding the face: resident, lru with
// room for one model at a time, and stage in chunks of 5 (5 + 5 + 2 frames) write the same file.
TEST_F(VideoJob, StrategiesGiveTheSamePixels) {
  const auto models = dir_ / "models";
  std::filesystem::create_directory(models);
  for (const char* name : {"w600k_r50.onnx", "inswapper_128.onnx", "GFPGANv1.4.onnx"}) {
    std::filesystem::copy_file(test::fixture_model(name), models / name);
  }
  const auto target = clip(false);
  const auto run = [&](MemoryStrategy strategy, const char* output) {
    auto o = options(target, output);
    o.analyser.search_path = {models};
    o.chain.frame_processors = {"face_swapper", "face_enhancer"};
    o.swapper.strategy = strategy;
    o.swapper.lru_room_bytes = 1;  // any second model needs the room of the others
    o.chunk_frames = 5;
    return run_video_job(o);
  };
  const auto resident = run(MemoryStrategy::kResident, "resident.mp4");
  const auto lru = run(MemoryStrategy::kLru, "lru.mp4");
  const auto stage = run(MemoryStrategy::kStage, "stage.mp4");
  // The same chunks spilled to a folder instead of memory; the folder goes with the run.
  const auto spill_folder = dir_ / "spill";
  auto o = options(target, "spilled.mp4");
  o.analyser.search_path = {models};
  o.chain.frame_processors = {"face_swapper", "face_enhancer"};
  o.swapper.strategy = MemoryStrategy::kStage;
  o.chunk_frames = 5;
  o.spill_folder = spill_folder;
  const auto spilled = run_video_job(o);
  EXPECT_FALSE(std::filesystem::exists(spill_folder));
  EXPECT_EQ(resident.frames_without_face, 0);
  EXPECT_EQ(resident.model_releases, 0u);
  // lru: analysis, swapper and enhancer push each other out, at least once a frame (two workers
  // sometimes find the model the other one just loaded).
  EXPECT_GE(lru.model_releases, 12u);
  // stage: analysis, swapper and enhancer released once per chunk.
  EXPECT_EQ(stage.model_releases, 3u * 3);
  for (const auto* other : {&lru, &stage, &spilled}) {
    EXPECT_EQ(other->frames, 12);
    EXPECT_EQ(other->frames_without_face, 0);
    EXPECT_TRUE(file_bytes(other->output) == file_bytes(resident.output))
        << strategy_name(other->strategy) << " differs from resident";
  }
}

// --detect-every 4 on 12 frames: the detector runs on frames 0, 4 and 8; the faces of the frames
// between are reused and swapped all the same.
TEST_F(VideoJob, DetectEveryReusesTheKeyFramesFaces) {
  const auto target = clip(false);
  for (const int every : {1, 4}) {
    runtime::StageTimes times;
    runtime::set_stage_sink(&times);
    auto o = options(target, every == 1 ? "every1.mp4" : "every4.mp4");
    o.swapper.detect_every = every;
    const auto report = run_video_job(o);
    runtime::set_stage_sink(nullptr);
    EXPECT_EQ(report.frames_without_face, 0);
    // One more: the source photo's face.
    EXPECT_EQ(times.summary(runtime::Stage::kDetect).count, every == 1 ? 13u : 4u);
    EXPECT_EQ(times.summary(runtime::Stage::kDecode).count, 13u) << "12 frames and the end";
    EXPECT_EQ(times.summary(runtime::Stage::kEncode).count, 12u);
    EXPECT_EQ(times.summary(runtime::Stage::kSwapInference).count, 12u);
  }
}

// The governor in the video job, with RSS readings injected: over the budget it holds the decoder
// (three times here: over, then under, three times), says so once with the figures, and every
// frame still reaches the output.
TEST_F(VideoJob, GovernorHoldsTheDecoderOverTheBudgetAndSaysSo) {
  constexpr std::uint64_t kMiB = 1ULL << 20;
  const std::vector<std::uint64_t> rss{1990 * kMiB, 100 * kMiB, 1990 * kMiB, 100 * kMiB, 1990 * kMiB, 100 * kMiB};
  std::size_t reading = 0;
  int relieved = 0;
  std::vector<std::string> warnings;
  memory::RssGovernor governor(
      2048 * kMiB, [&] { return reading < rss.size() ? rss[reading++] : 100 * kMiB; }, [&] { ++relieved; },
      [&](const std::string& text) { warnings.push_back(text); });
  auto o = options(clip(false), "governed.mp4");
  o.governor = &governor;
  const auto report = run_video_job(o, {});
  EXPECT_EQ(report.frames, 12);
  EXPECT_EQ(media::probe_video(report.output).frame_count, 12);
  EXPECT_EQ(governor.throttle_count(), 3u);
  EXPECT_EQ(governor.timeout_count(), 0u);
  EXPECT_EQ(relieved, 3);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "RSS 1990.0 MB reached 95 % of the 2048.0 MB budget (--max-memory): holding frames back (at most 2000 ms "
            "each) until it falls under 90 % (said once; the counts come at the end)");
}

// --nsfw-filter on a video: every 100th frame is scored (0, 100, ...), as Deep-Live-Cam's
// predict_video. A dark clip with one white frame: at frame 100 the job is refused, no output and
// no temporary left; at frame 50 (never scored) it runs to the end.
TEST_F(VideoJob, NsfwFilterScoresEveryHundredthFrame) {
  for (const int white : {100, 50}) {
    const auto target = dir_ / ("white-at-" + std::to_string(white) + ".mp4");
    const auto r = media::run_process(
        {"ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=0x202020:s=64x64:r=25:d=4.8", "-vf",
         "drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='eq(n," + std::to_string(white) + ")'", "-c:v",
         "libx264", "-pix_fmt", "yuv420p", target.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto o = options(target, white == 100 ? "refused.mp4" : "passed.mp4");
    o.nsfw_model = test::fixture_model("open_nsfw.onnx");
    const auto before = files_in_dir();
    if (white == 100) {
      try {
        run_video_job(o);
        ADD_FAILURE() << "frame 100 is white: the job must be refused";
      } catch (const processors::NsfwRefused& e) {
        EXPECT_NE(std::string(e.what()).find("frame 100 of"), std::string::npos) << e.what();
      }
      EXPECT_FALSE(std::filesystem::exists(o.output));
      EXPECT_EQ(files_in_dir(), before) << "nothing written, not even a temporary";
    } else {
      const auto report = run_video_job(o);
      EXPECT_EQ(report.frames, 120);
      EXPECT_TRUE(std::filesystem::exists(o.output));
    }
  }
}

}  // namespace
}  // namespace dlc::pipeline
