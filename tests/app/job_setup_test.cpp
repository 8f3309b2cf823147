// The VRAM budget where the user meets it: `dlc run` and `dlc live` (their command functions, in
// this process) under a fake NVML device of known size, with every session's CUDA options
// recorded as they are appended. The CUDA provider need not load: on a CPU build each session
// then falls back to the CPU after its options were seen. This binary runs with the fake
// libnvidia-ml.so.1 first on LD_LIBRARY_PATH (tests/CMakeLists.txt), as a driver would be.
#include "app/job_setup.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <tuple>

#include "app/commands.hpp"
#include "app/exit_codes.hpp"
#include "media/subprocess.hpp"
#include "runtime/model_session.hpp"
#include "pipeline/strategy_plan.hpp"
#include "support/paths.hpp"

namespace dlc::app {
namespace {

constexpr std::uint64_t kDeviceMiB = 24564;  // the fake device below: an RTX 4090's 24564 MiB
constexpr double kFraction = 0.6;

class GpuBudget : public testing::Test {
 protected:
  void SetUp() override {
    grace_ = test::grace_hopper_photo();
    astronaut_ = test::astronaut_photo();
    if (const auto why = test::missing_inputs(test::Dlib68::kNotNeeded); !why.empty()) GTEST_SKIP() << why;
    setenv("FAKE_NVML_DEVICES", "NVIDIA GeForce RTX 4090:24564:1000", 1);
    dir_ = test::make_temp_dir();
    models_ = test::copy_fixture_models(dir_, {"w600k_r50.onnx", "inswapper_128.onnx", "GFPGANv1.4.onnx"});
    job_.source = astronaut_.string();
    job_.models_dir = models_.string();
    job_.execution_providers = {"cuda", "cpu"};
    job_.gpu_memory_fraction = kFraction;
    job_.frame_processors = {"face_swapper", "face_enhancer"};
    job_.memory_monitor_interval_s = 0;
    job_.face_detector = "blazeface";
    // The shares as --log-level debug prints them, in the test's output.
    spdlog::set_level(spdlog::level::debug);
    runtime::set_provider_observer([this](const runtime::ProviderRequest& request) {
      if (request.provider != "cuda") return;
      std::lock_guard lock(mutex_);
      const auto limit = request.options.find("gpu_mem_limit");
      limits_[request.model.filename().string()].push_back(
          limit == request.options.end() ? 0 : std::stoull(limit->second));
    });
  }
  void TearDown() override {
    runtime::set_provider_observer({});
    spdlog::set_level(spdlog::level::info);
    unsetenv("FAKE_NVML_DEVICES");
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::filesystem::path grace_clip(int frames) {
    const auto path = dir_ / "grace.mp4";
    const auto r = media::run_process({"ffmpeg", "-v", "error", "-loop", "1", "-i", grace_.string(), "-frames:v",
                                       std::to_string(frames), "-r", "25", "-c:v", "libx264", "-preset", "ultrafast",
                                       "-pix_fmt", "yuv420p", path.string()});
    if (r.exit_code != 0) throw std::runtime_error("ffmpeg: " + r.err);
    return path;
  }

  // Each session that was created has its share; the shares of the job's models add up to the
  // budget (rounding aside) and never more; every session of a model (rebuilt ones too) has the same.
  void expect_one_budget(const std::vector<std::string>& must_have) {
    std::lock_guard lock(mutex_);
    const auto budget = static_cast<double>(kDeviceMiB << 20) * kFraction;
    std::uint64_t total = 0;
    for (const auto& [model, limits] : limits_) {
      ASSERT_FALSE(limits.empty());
      for (const auto limit : limits) {
        EXPECT_GT(limit, 0u) << model;
        EXPECT_EQ(limit, limits.front()) << model << ": a rebuilt session has another share";
      }
      total += limits.front();
    }
    for (const auto& model : must_have) EXPECT_TRUE(limits_.contains(model)) << model << " was never created";
    EXPECT_LE(static_cast<double>(total), budget);
    // The recorded sessions are the job's (BlazeFace's second model is only built on a miss).
    std::uint64_t planned_total = 0;
    for (const auto& s : job_sessions(job_)) {
      if (limits_.contains(s.model.filename().string())) planned_total += s.need_bytes;
    }
    EXPECT_GT(planned_total, 0u);
    EXPECT_GE(static_cast<double>(total), 0.5 * budget);
  }

  std::filesystem::path grace_, astronaut_, dir_, models_;
  JobOptions job_;
  std::mutex mutex_;
  std::map<std::string, std::vector<std::uint64_t>> limits_;
};

// start_models_early's argument, checked: under every budget from 0.25 to 4 GB, a plan at the bound
// (3840x2160) that takes resident means a plan that takes resident at every size up to it; and
// plan_with_video gives what plan_job gives for the video itself, its measured process figure aside.
TEST(VideoPlan, ResidentAtTheBoundIsResidentAtEverySmallerSize) {
  if (const auto why = test::missing_inputs(test::Dlib68::kNotNeeded); !why.empty()) GTEST_SKIP() << why;
  const auto dir = test::make_temp_dir();
  JobOptions job;
  job.source = test::astronaut_photo().string();
  job.models_dir = test::copy_fixture_models(dir, {"w600k_r50.onnx", "inswapper_128.onnx", "GFPGANv1.4.onnx"}).string();
  job.frame_processors = {"face_swapper", "face_enhancer"};
  job.face_detector = "blazeface";
  job.execution_providers = {"cpu"};
  // As in dlc, which finds dlc-decode beside it: a video without a decoder named would be its.
  setenv("DLC_DECODE", (test::dlc_binary().parent_path() / media::kDlcDecode).c_str(), 1);
  const auto bound = bound_video();
  const auto takes_resident = [](const JobPlan& p) {
    return p.choice.chosen && p.choice.plans[*p.choice.chosen].strategy == pipeline::MemoryStrategy::kResident;
  };
  int resident_at_bound = 0;
  int resident_only_below = 0;
  for (int centi_gb = 25; centi_gb <= 400; centi_gb += 5) {
    job.max_memory_gb = centi_gb / 100.0;
    const auto at_bound = plan_job(job, false, std::uint64_t{kBoundWidth} * kBoundHeight * 3, 4, 2, &bound);
    resident_at_bound += takes_resident(at_bound) ? 1 : 0;
    // Either decoder: dlc-decode's report may hand the video to ffmpeg (rotated, a variable rate).
    for (const auto& [w, h, decoder] :
         {std::tuple{320, 240, media::kDlcDecode}, {641, 481, media::kFfmpegDecoder}, {1280, 720, media::kDlcDecode},
          {1920, 1080, media::kFfmpegDecoder}, {2560, 1440, media::kDlcDecode}, {3840, 2160, media::kDlcDecode},
          {3840, 2160, media::kFfmpegDecoder}}) {
      media::VideoInfo video;
      video.width = w;
      video.height = h;
      video.decoder = decoder;
      const auto real = plan_with_video(at_bound, job, video);
      if (takes_resident(at_bound)) {
        EXPECT_TRUE(takes_resident(real)) << job.max_memory_gb.value() << " GB, " << w << "x" << h << " " << decoder;
      }
      if (!takes_resident(at_bound) && takes_resident(real)) ++resident_only_below;
      auto direct = plan_job(job, false, std::uint64_t(w) * h * 3, 4, 2, &video);
      direct.shape.process_bytes = real.shape.process_bytes;
      direct.choice = pipeline::choose_strategy(direct.shape, direct.budget_bytes, std::nullopt, false);
      EXPECT_EQ(pipeline::describe_strategies(direct.choice), pipeline::describe_strategies(real.choice));
      ASSERT_EQ(direct.choice.chosen, real.choice.chosen);
      if (real.choice.chosen) {
        EXPECT_EQ(direct.choice.plans[*direct.choice.chosen].plan.describe(direct.budget_bytes),
                  real.choice.plans[*real.choice.chosen].plan.describe(real.budget_bytes));
      }
    }
  }
  // Both sides were tried: budgets the bound fits, and budgets only smaller videos fit with resident.
  EXPECT_GT(resident_at_bound, 0);
  EXPECT_GT(resident_only_below, 0);
  unsetenv("DLC_DECODE");
  std::filesystem::remove_all(dir);
}

TEST_F(GpuBudget, RunOnAnImageGivesEverySessionItsShare) {
  job_.target = grace_.string();
  job_.output = (dir_ / "out.png").string();
  CliOptions options;
  options.command = Command::Run;
  options.job = job_;
  ASSERT_EQ(job_command(options, 1), kExitOk);
  expect_one_budget({"face_detection_back_256x256_barracuda.onnx", "w600k_r50.onnx", "inswapper_128.onnx",
                     "GFPGANv1.4.onnx"});
}

TEST_F(GpuBudget, StagedVideoRebuildsSessionsWithTheirShares) {
  job_.target = grace_clip(66).string();  // two chunks: 64 frames, then 2
  job_.output = (dir_ / "out.mp4").string();
  job_.memory_strategy = "stage";
  job_.keep_audio = false;
  CliOptions options;
  options.command = Command::Run;
  options.job = job_;
  ASSERT_EQ(job_command(options, 1), kExitOk);
  expect_one_budget({"face_detection_back_256x256_barracuda.onnx", "inswapper_128.onnx", "GFPGANv1.4.onnx"});
  std::lock_guard lock(mutex_);
  // Every model is released after each chunk and built again for the next one.
  for (const char* model : {"face_detection_back_256x256_barracuda.onnx", "inswapper_128.onnx", "GFPGANv1.4.onnx"}) {
    EXPECT_GE(limits_[model].size(), 2u) << model;
  }
}

TEST_F(GpuBudget, LiveGivesEverySessionItsShare) {
  job_.camera = grace_clip(3).string();
  job_.headless = true;
  job_.max_frames = 3;
  ASSERT_EQ(live_command(job_, 1), kExitOk);
  expect_one_budget({"face_detection_back_256x256_barracuda.onnx", "w600k_r50.onnx", "inswapper_128.onnx",
                     "GFPGANv1.4.onnx"});
}

TEST_F(GpuBudget, NoLimitWithoutAGpu) {
  setenv("FAKE_NVML_DEVICES", "", 1);
  const auto policy = job_session_policy(job_, 1);
  EXPECT_TRUE(policy.gpu_mem_limits.empty());
}

TEST_F(GpuBudget, SharesFollowThePlannedNeeds) {
  const auto policy = job_session_policy(job_, 1);
  const auto sessions = job_sessions(job_);
  ASSERT_EQ(policy.gpu_mem_limits.size(), sessions.size());
  std::uint64_t need = 0;
  std::uint64_t total = 0;
  for (const auto& s : sessions) need += s.need_bytes;
  for (const auto& s : sessions) {
    const auto share = policy.gpu_mem_limits.at(s.model);
    total += share;
    const double expected = static_cast<double>(kDeviceMiB << 20) * kFraction * static_cast<double>(s.need_bytes) /
                            static_cast<double>(need);
    EXPECT_NEAR(static_cast<double>(share), expected, static_cast<double>(sessions.size()) + 1) << s.model;
  }
  EXPECT_EQ(total, static_cast<std::uint64_t>(static_cast<double>(kDeviceMiB << 20) * kFraction));
}

}  // namespace
}  // namespace dlc::app
