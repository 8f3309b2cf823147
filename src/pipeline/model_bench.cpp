#include "pipeline/model_bench.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>

#include "memory/system_memory.hpp"
#include "runtime/model_session.hpp"
#include "runtime/ort_runtime.hpp"
#include "runtime/tensor_view.hpp"

namespace dlc::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Concrete input shapes: dynamic dimensions get what Deep-Live-Cam feeds (640×640 for the
// detector, batch 1 elsewhere).
std::vector<std::int64_t> concrete_shape(const runtime::TensorInfo& info, std::string_view role) {
  auto shape = info.shape;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] >= 0) continue;
    shape[i] = (role == "detector" && i >= 2) ? 640 : 1;
  }
  return shape;
}

// One model with its input buffers, made once and reused for every call.
struct Stage {
  const JobModel* model;
  std::unique_ptr<runtime::ModelSession> session;
  std::vector<std::vector<float>> buffers;
  std::vector<Ort::Value> inputs;
  StageFigures figures;

  Stage(const JobModel& job_model, const runtime::SessionPolicy& policy) : model(&job_model) {
    const auto start = Clock::now();
    session = std::make_unique<runtime::ModelSession>(job_model.path, policy);
    figures.load_ms = ms_since(start);
    figures.role = std::string(job_model.role->role);
    figures.file = job_model.path.filename().string();
    figures.provider = session->provider();

    for (const auto& info : session->inputs()) {
      const auto shape = concrete_shape(info, job_model.role->role);
      std::size_t count = 1;
      for (const auto d : shape) count *= static_cast<std::size_t>(d);
      auto& buffer = buffers.emplace_back(count);
      // A smooth pattern in [0, 1): real pixels are neither all zero nor white noise.
      for (std::size_t i = 0; i < count; ++i) buffer[i] = 0.5f + 0.5f * std::sin(static_cast<float>(i) * 0.001f);
      inputs.push_back(runtime::tensor_view(buffer, shape));
    }
  }

  std::vector<Ort::Value> run(bool timed) {
    const auto start = Clock::now();
    auto outputs = session->run(inputs);
    if (timed) figures.run_ms.push_back(ms_since(start));
    return outputs;
  }
};

}  // namespace

ModelBenchFigures run_model_bench(const std::vector<JobModel>& models, const runtime::SessionPolicy& policy,
                                  const std::vector<std::uint64_t>& gpu_limits, int frames,
                                  memory::RssGovernor* governor) {
  std::vector<std::unique_ptr<Stage>> stages;
  for (std::size_t i = 0; i < models.size(); ++i) {
    auto model_policy = policy;
    model_policy.gpu_mem_limit_bytes = i < gpu_limits.size() ? gpu_limits[i] : 0;
    stages.push_back(std::make_unique<Stage>(models[i], model_policy));
  }

  ModelBenchFigures figures;
  figures.frames = frames;
  const auto loaded = memory::read_process_memory().value_or(memory::ProcessMemory{});
  figures.rss_after_load_bytes = loaded.rss_bytes;
  figures.peak_after_load_bytes = loaded.peak_bytes;
  // From here VmHWM is the frames' peak alone (what running the models adds to the loaded RSS).
  figures.frames_peak_measured = memory::reset_peak_rss();

  // The source face is recognised once; nothing needs the recognizer after that.
  for (auto& stage : stages) {
    if (stage->model->role->role != "recognizer") continue;
    stage->run(true);
    figures.stages.push_back(std::move(stage->figures));
    stage.reset();
  }
  std::erase(stages, nullptr);
  runtime::OrtRuntime::instance().shrink_arenas();

  Clock::time_point timed_start;
  for (int frame = -1; frame < frames; ++frame) {
    const bool timed = frame >= 0;
    if (frame == 0) {
      timed_start = Clock::now();
      // The warm-up frame ran each model's first call, without ONNX Runtime's memory pattern yet
      // (a session rebuilt for every use, as under lru, only ever makes first calls).
      figures.first_frame_peak_bytes = memory::read_process_memory().value_or(memory::ProcessMemory{}).peak_bytes;
      memory::reset_peak_rss();
    }
    if (governor != nullptr) governor->wait_for_room();
    for (auto& stage : stages) stage->run(timed);
  }
  figures.seconds = std::chrono::duration<double>(Clock::now() - timed_start).count();
  figures.arenas = runtime::OrtRuntime::instance().arena_totals();
  for (auto& stage : stages) figures.stages.push_back(std::move(stage->figures));
  if (governor != nullptr) figures.governor_waits = governor->throttle_count();
  return figures;
}

}  // namespace dlc::pipeline
