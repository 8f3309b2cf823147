#include "runtime/model_session.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <numbers>
#include <numeric>
#include <sstream>
#include <thread>
#include <vector>

#include "runtime/ort_runtime.hpp"
#include "runtime/providers.hpp"
#include "support/paths.hpp"

namespace dlc::runtime {
namespace {

using test::fixture_model;

const Ort::MemoryInfo& host_memory() {
  static const auto info = Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeDefault);
  return info;
}

Ort::Value tensor(std::vector<float>& data, const std::vector<std::int64_t>& shape) {
  return Ort::Value::CreateTensor<float>(host_memory(), data.data(), data.size(), shape.data(), shape.size());
}

std::vector<float> values(const Ort::Value& value) {
  const auto count = value.GetTensorTypeAndShapeInfo().GetElementCount();
  const float* data = value.GetTensorData<float>();
  return {data, data + count};
}

std::vector<std::int64_t> shape_of(const Ort::Value& value) { return value.GetTensorTypeAndShapeInfo().GetShape(); }

std::vector<std::string> names(const std::vector<TensorInfo>& tensors) {
  std::vector<std::string> result;
  for (const auto& t : tensors) result.push_back(t.name);
  return result;
}

// Captures what dlc logs while it lives.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_);
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_pattern("%l: %v");
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() const { return stream_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream stream_;
};

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(ModelSession, InswapperFixtureHasTheRealSignature) {
  ModelSession session(fixture_model("inswapper_128.onnx"), SessionPolicy{});
  ASSERT_EQ(session.inputs().size(), 2u);
  EXPECT_EQ(describe(session.inputs()[0]), "target float32 [1,3,128,128]");
  EXPECT_EQ(describe(session.inputs()[1]), "source float32 [1,512]");
  ASSERT_EQ(session.outputs().size(), 1u);
  EXPECT_EQ(describe(session.outputs()[0]), "output float32 [1,3,128,128]");
  EXPECT_EQ(session.provider(), "cpu");
}

TEST(ModelSession, InswapperFixtureRunsEndToEnd) {
  ModelSession session(fixture_model("inswapper_128.onnx"), SessionPolicy{});
  std::vector<float> target(3 * 128 * 128);
  for (std::size_t i = 0; i < target.size(); ++i) target[i] = static_cast<float>(i % 256) / 255.0f;
  std::vector<float> source(512, 0.0f);
  // The fixture's shift per plane c is |source · W[:, c]|, W[0] = (−6, −3, 0)/32: (0.25, 0.125, 0).
  source[0] = 4.0f / 3.0f;
  std::vector<Ort::Value> inputs;
  inputs.push_back(tensor(target, {1, 3, 128, 128}));
  inputs.push_back(tensor(source, {1, 512}));

  const auto outputs = session.run(inputs);
  ASSERT_EQ(outputs.size(), 1u);
  EXPECT_EQ(shape_of(outputs[0]), (std::vector<std::int64_t>{1, 3, 128, 128}));
  const auto out = values(outputs[0]);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const float shift = std::array{0.25f, 0.125f, 0.0f}[i / (128 * 128)];
    const float expected = std::clamp(1.0f - target[i] + shift, 0.0f, 1.0f);
    ASSERT_NEAR(out[i], expected, 1e-6f) << "at " << i;
  }
}

std::vector<float> run_swapper(ModelSession& session) {
  std::vector<float> target(3 * 128 * 128);
  for (std::size_t i = 0; i < target.size(); ++i) target[i] = static_cast<float>(i % 251) / 251.0f;
  std::vector<float> source(512, 0.5f);
  std::vector<Ort::Value> inputs;
  inputs.push_back(tensor(target, {1, 3, 128, 128}));
  inputs.push_back(tensor(source, {1, 512}));
  return values(session.run(inputs).at(0));
}

std::vector<std::filesystem::path> optimized_copies(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir / ".dlc-mapped", ec)) {
    if (entry.path().filename().string().find(".ort-") != std::string::npos) found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

// A CPU session built from a mapped copy has ONNX Runtime write its optimized graph beside it
// once (.dlc-mapped/NAME.ort-KEY.onnx, with NAME.ort-KEY.onnx.data for weights of 64 KiB and more,
// the ones it rewrote and pre-packed included); the next session loads that and computes the same
// bytes. A copy it cannot load is said and written again.
TEST(ModelSession, LaterSessionsLoadTheOptimizedCopy) {
  const auto dir = test::make_temp_dir();
  const auto model = dir / "inswapper_128.onnx";
  std::filesystem::copy_file(fixture_model("inswapper_128.onnx"), model);
  std::vector<float> first;
  {
    ModelSession session(model, SessionPolicy{});
    first = run_swapper(session);
  }
  // The fixture's weights are small: the optimized graph holds them itself, with no data file.
  const auto copies = optimized_copies(dir);
  ASSERT_GE(copies.size(), 1u) << "no optimized graph";
  EXPECT_TRUE(copies[0].string().ends_with(".onnx"));
  const auto written = std::filesystem::last_write_time(copies[0]);
  {
    ModelSession session(model, SessionPolicy{});
    EXPECT_EQ(run_swapper(session), first);
  }
  EXPECT_EQ(std::filesystem::last_write_time(copies[0]), written) << "loaded, not written again";

  std::ofstream(copies[0], std::ios::trunc) << "not a model";
  LogCapture log;
  {
    ModelSession session(model, SessionPolicy{});
    EXPECT_EQ(run_swapper(session), first);
  }
  EXPECT_EQ(count_of(log.text(), "cannot load its optimized copy"), 1u) << log.text();
  EXPECT_GT(std::filesystem::file_size(copies[0]), 100u) << "written again";
  std::filesystem::remove_all(dir);
}

TEST(ModelSession, RunsIntoCallerOwnedOutputs) {
  ModelSession session(fixture_model("GFPGANv1.4.onnx"), SessionPolicy{});
  std::vector<float> image(3 * 512 * 512);
  std::iota(image.begin(), image.end(), 0.0f);
  std::ranges::transform(image, image.begin(), [](float v) { return std::fmod(v, 2.0f) - 1.0f; });
  std::vector<float> result(image.size(), 99.0f);
  std::vector<Ort::Value> inputs;
  inputs.push_back(tensor(image, {1, 3, 512, 512}));
  std::vector<Ort::Value> outputs;
  outputs.push_back(tensor(result, {1, 3, 512, 512}));

  session.run(inputs, outputs);
  // The fixture enhancer's 1x1 convolution: plane c = 0.8 · plane (c + 1) % 3 − 0.1.
  constexpr std::size_t kPlane = 512 * 512;
  for (std::size_t i = 0; i < result.size(); ++i) {
    const auto from = ((i / kPlane + 1) % 3) * kPlane + i % kPlane;
    ASSERT_NEAR(result[i], 0.8f * image[from] - 0.1f, 1e-6f) << "at " << i;
  }
}

TEST(ModelSession, WrongNumberOfTensorsIsRefused) {
  ModelSession session(fixture_model("inswapper_128.onnx"), SessionPolicy{});
  std::vector<float> target(3 * 128 * 128, 0.5f);
  std::vector<Ort::Value> inputs;
  inputs.push_back(tensor(target, {1, 3, 128, 128}));
  EXPECT_THROW(session.run(inputs), std::invalid_argument);  // source is missing
  std::vector<float> source(512, 0.0f);
  inputs.push_back(tensor(source, {1, 512}));
  std::vector<Ort::Value> outputs;
  EXPECT_THROW(session.run(inputs, outputs), std::invalid_argument);
}

TEST(ModelSession, DetectorFixtureHasNineOutputsInScrfdOrder) {
  ModelSession session(fixture_model("det_10g.onnx"), SessionPolicy{});
  ASSERT_EQ(session.inputs().size(), 1u);
  EXPECT_EQ(describe(session.inputs()[0]), "input.1 float32 [1,3,height,width]");
  EXPECT_EQ(names(session.outputs()),
            (std::vector<std::string>{"448", "471", "494", "451", "474", "497", "454", "477", "500"}));

  // 64x96 image, bright in the top-left 8x8 cell only.
  constexpr int kH = 64, kW = 96;
  std::vector<float> image(3 * kH * kW, 0.0f);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 8; ++y)
      for (int x = 0; x < 8; ++x) image[static_cast<std::size_t>((c * kH + y) * kW + x)] = 1.0f;
  std::vector<Ort::Value> inputs;
  inputs.push_back(tensor(image, {1, 3, kH, kW}));
  const auto out = session.run(inputs);
  ASSERT_EQ(out.size(), 9u);
  const std::int64_t rows[] = {(kH / 8) * (kW / 8) * 2, (kH / 16) * (kW / 16) * 2, (kH / 32) * (kW / 32) * 2};
  for (int s = 0; s < 3; ++s) {
    EXPECT_EQ(shape_of(out[s]), (std::vector<std::int64_t>{rows[s], 1}));
    EXPECT_EQ(shape_of(out[3 + s]), (std::vector<std::int64_t>{rows[s], 4}));
    EXPECT_EQ(shape_of(out[6 + s]), (std::vector<std::int64_t>{rows[s], 10}));
  }
  const auto scores8 = values(out[0]);
  const float sigmoid4 = 1.0f / (1.0f + std::exp(-4.0f));
  EXPECT_NEAR(scores8[0], sigmoid4, 1e-5f);  // both anchors of the bright cell
  EXPECT_NEAR(scores8[1], sigmoid4, 1e-5f);
  EXPECT_NEAR(scores8[2], 0.5f, 1e-6f);  // the dark cell beside it: sigmoid(0)
  // Stride 16: the bright 8x8 block is a quarter of the first 16x16 cell.
  EXPECT_NEAR(values(out[1])[0], 1.0f / (1.0f + std::exp(-1.0f)), 1e-5f);
  const auto boxes = values(out[3]);
  EXPECT_EQ(std::vector<float>(boxes.begin(), boxes.begin() + 4), (std::vector<float>{1, 1, 2, 2}));
  const auto kps = values(out[6]);
  EXPECT_EQ(std::vector<float>(kps.begin(), kps.begin() + 10),
            (std::vector<float>{0, 0, 1, 0, 0.5f, 0.5f, 0, 1, 1, 1}));
}

TEST(ModelSession, RecognizerFixtureTakesADynamicBatch) {
  ModelSession session(fixture_model("w600k_r50.onnx"), SessionPolicy{});
  EXPECT_EQ(describe(session.inputs()[0]), "input.1 float32 [batch,3,112,112]");
  EXPECT_EQ(describe(session.outputs()[0]), "683 float32 [batch,512]");
  constexpr std::size_t kPlane = 112 * 112;
  std::vector<float> images(2 * 3 * kPlane);
  // Image n, channel c is the constant (3n + c + 1) / 8: exact in float32, so are its sums.
  for (std::size_t i = 0; i < images.size(); ++i) images[i] = static_cast<float>(i / kPlane + 1) / 8.0f;
  std::vector<Ort::Value> inputs;
  inputs.push_back(tensor(images, {2, 3, 112, 112}));
  const auto out = session.run(inputs);
  ASSERT_EQ(shape_of(out[0]), (std::vector<std::int64_t>{2, 512}));
  const auto embedding = values(out[0]);
  for (std::size_t n = 0; n < 2; ++n) {
    for (std::size_t k = 0; k < 512; ++k) {
      const float mean = static_cast<float>(3 * n + k % 3 + 1) / 8.0f;
      ASSERT_NEAR(embedding[n * 512 + k], mean * (1.0f + static_cast<float>(k) / 512.0f), 1e-6f);
    }
  }
}

TEST(ModelSession, LandmarkFixtureGivesItsCirclePattern) {
  ModelSession session(fixture_model("2d106det.onnx"), SessionPolicy{});
  EXPECT_EQ(describe(session.inputs()[0]), "data float32 [1,3,192,192]");
  EXPECT_EQ(describe(session.outputs()[0]), "fc1 float32 [1,212]");
  std::vector<float> image(3 * 192 * 192, 0.3f);
  std::vector<Ort::Value> inputs;
  inputs.push_back(tensor(image, {1, 3, 192, 192}));
  const auto points = values(session.run(inputs)[0]);
  ASSERT_EQ(points.size(), 212u);
  for (std::size_t k = 0; k < 106; ++k) {
    const double angle = 2.0 * std::numbers::pi * static_cast<double>(k) / 106.0;
    EXPECT_NEAR(points[2 * k], 0.5 * std::cos(angle), 1e-6);
    EXPECT_NEAR(points[2 * k + 1], 0.5 * std::sin(angle), 1e-6);
  }
}

TEST(ModelSession, RealBlazeFaceModelLoads) {
  const auto model = test::source_tree_file("third_party/blazeface/face_detection_front_128x128_barracuda.onnx");
  if (!std::filesystem::exists(model)) GTEST_SKIP() << model << " missing: run scripts/setup.sh";
  ModelSession session(model, SessionPolicy{});
  EXPECT_EQ(describe(session.inputs()[0]).substr(0, 7), "input:0");
  EXPECT_EQ(session.inputs()[0].shape, (std::vector<std::int64_t>{1, 128, 128, 3}));
  EXPECT_EQ(names(session.outputs()),
            (std::vector<std::string>{"Identity:0", "Identity_1:0", "Identity_2:0", "Identity_3:0"}));
}

TEST(ModelSession, MissingModelIsAModelErrorNamingTheFile) {
  try {
    ModelSession session("/nonexistent/inswapper_128.onnx", SessionPolicy{});
    FAIL() << "no error";
  } catch (const ModelError& e) {
    EXPECT_EQ(e.path(), "/nonexistent/inswapper_128.onnx");
    EXPECT_NE(std::string(e.what()).find("/nonexistent/inswapper_128.onnx: file does not exist"), std::string::npos);
  }
}

TEST(ModelSession, CorruptModelIsAModelError) {
  const auto dir = test::make_temp_dir();
  const auto path = dir / "broken.onnx";
  std::ofstream(path) << "this is not a protobuf";
  try {
    ModelSession session(path, SessionPolicy{});
    FAIL() << "no error";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("broken.onnx: ONNX Runtime cannot load it"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

// On a machine without the CUDA provider library (or without a GPU), asking for CUDA gives a
// working CPU session and one warning per process, not one per session.
TEST(ModelSession, UnavailableCudaFallsBackToCpuWithOneWarning) {
  if (!ort_provider_name("cuda")) GTEST_SKIP() << "this ONNX Runtime has no CUDA provider compiled in";
  if (provider_load_problem("cuda").empty()) GTEST_SKIP() << "the CUDA provider loads here; no fallback to show";
  LogCapture log;
  SessionPolicy policy;
  policy.providers = {"cuda", "cpu"};
  ModelSession first(fixture_model("GFPGANv1.4.onnx"), policy);
  ModelSession second(fixture_model("inswapper_128.onnx"), policy);
  EXPECT_EQ(first.provider(), "cpu");
  EXPECT_EQ(second.provider(), "cpu");
  const auto text = log.text();
  EXPECT_EQ(count_of(text, "warning: execution provider 'cuda' cannot be used"), 1u) << text;
  EXPECT_NE(text.find("running on the CPU"), std::string::npos) << text;

  std::vector<float> image(3 * 512 * 512, 0.5f);
  std::vector<Ort::Value> inputs;
  inputs.push_back(tensor(image, {1, 3, 512, 512}));
  // The fixture enhancer: 0.8 · 0.5 − 0.1 everywhere.
  EXPECT_EQ(values(first.run(inputs)[0]), std::vector<float>(image.size(), 0.8f * 0.5f - 0.1f));
}

void run_enhancer(ModelSession& session) {
  std::vector<float> image(3 * 512 * 512, 0.25f);
  std::vector<Ort::Value> inputs;
  inputs.push_back(tensor(image, {1, 3, 512, 512}));
  session.run(inputs);
}

// The same into a caller-owned output tensor: nothing of the call stays in the arena.
void run_enhancer_into_own_output(ModelSession& session) {
  std::vector<float> image(3 * 512 * 512, 0.25f);
  std::vector<float> result(image.size());
  std::vector<Ort::Value> inputs;
  inputs.push_back(tensor(image, {1, 3, 512, 512}));
  std::vector<Ort::Value> outputs;
  outputs.push_back(tensor(result, {1, 3, 512, 512}));
  session.run(inputs, outputs);
}

// On the CPU the calls take turns (one call at a time across the sessions): four workers' calls
// hold no more of the shared arena at once than one call alone (issue 20: two workers held two
// inswapper working memories). Outputs go to caller-owned tensors, so only a call's own tensors
// are in the arena.
TEST(ModelSession, CpuCallsTakeTurns) {
  auto& runtime = OrtRuntime::instance();
  ModelSession session(fixture_model("GFPGANv1.4.onnx"), SessionPolicy{});
  const auto call = [&session] { run_enhancer_into_own_output(session); };
  call();
  const auto one_call = runtime.shared_cpu_arena_stats().peak_bytes;
  ASSERT_GT(one_call, 0);
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&call] {
      for (int i = 0; i < 50; ++i) call();
    });
  }
  for (auto& worker : workers) worker.join();
  EXPECT_EQ(runtime.shared_cpu_arena_stats().peak_bytes, one_call);
}

// A CPU call gives the shared arena's free regions back when it ends, so the next call (mostly
// another model's, whose tensors do not fit this one's chunks) does not find them held (issue 20:
// det_10g's working memory sat beside inswapper's). Outputs go to caller-owned tensors, so nothing
// of the call is in use once it returns.
TEST(ModelSession, CpuCallsGiveTheSharedArenaBack) {
  auto& runtime = OrtRuntime::instance();
  ModelSession session(fixture_model("GFPGANv1.4.onnx"), SessionPolicy{});
  run_enhancer_into_own_output(session);
  const auto stats = runtime.shared_cpu_arena_stats();
  ASSERT_GT(stats.allocations, 0);
  EXPECT_GT(stats.peak_bytes, 1 << 20) << "the call's tensors were in the arena";
  EXPECT_GT(stats.shrinkages, 0);
  EXPECT_LT(stats.reserved_bytes - stats.in_use_bytes, 1 << 20) << "free regions still reserved after the call";
}

// Memory optimization on: every session allocates from the one arena registered on the env, so
// a second session's run shows up in the figures the first session reports.
TEST(ModelSession, OptimizedSessionsShareOneArena) {
  auto& runtime = OrtRuntime::instance();
  ModelSession a(fixture_model("GFPGANv1.4.onnx"), SessionPolicy{});
  ModelSession b(fixture_model("GFPGANv1.4.onnx"), SessionPolicy{});
  run_enhancer(a);
  const auto shared_after_a = runtime.shared_cpu_arena_stats();
  ASSERT_TRUE(shared_after_a.available);
  EXPECT_GT(shared_after_a.allocations, 0);
  EXPECT_GE(shared_after_a.peak_bytes, 3 * 512 * 512 * 4);  // at least the output tensor
  const auto a_before = a.allocator_stats();
  EXPECT_EQ(a_before.allocations, shared_after_a.allocations);

  run_enhancer(b);
  const auto shared_after_b = runtime.shared_cpu_arena_stats();
  EXPECT_GT(shared_after_b.allocations, shared_after_a.allocations);
  EXPECT_EQ(a.allocator_stats().allocations, shared_after_b.allocations);  // a sees b's work
  EXPECT_EQ(b.allocator_stats().allocations, shared_after_b.allocations);
}

// Memory optimization off: ORT's defaults, a private arena per session; the shared arena does
// not move and each session counts only its own allocations.
TEST(ModelSession, UnoptimizedSessionsKeepPrivateArenas) {
  auto& runtime = OrtRuntime::instance();
  SessionPolicy policy;
  policy.memory_optimization = false;
  ModelSession a(fixture_model("GFPGANv1.4.onnx"), policy);
  ModelSession b(fixture_model("GFPGANv1.4.onnx"), policy);
  const auto shared_before = runtime.shared_cpu_arena_stats();
  run_enhancer(a);
  const auto a_stats = a.allocator_stats();
  ASSERT_TRUE(a_stats.available);
  EXPECT_GT(a_stats.allocations, 0);
  run_enhancer(b);
  EXPECT_EQ(a.allocator_stats().allocations, a_stats.allocations);  // b's run is not in a's arena
  EXPECT_GT(b.allocator_stats().allocations, 0);
  EXPECT_EQ(runtime.shared_cpu_arena_stats().allocations, shared_before.allocations);
}

}  // namespace
}  // namespace dlc::runtime

namespace dlc::runtime {
namespace {

TEST(OrtRuntime, ArenaTotalsCountSharedAndPrivateArenas) {
  auto& runtime = OrtRuntime::instance();
  ModelSession shared(fixture_model("GFPGANv1.4.onnx"), SessionPolicy{});
  SessionPolicy own;
  own.memory_optimization = false;
  ModelSession private_arena(fixture_model("GFPGANv1.4.onnx"), own);
  run_enhancer(shared);
  run_enhancer(private_arena);
  const auto totals = runtime.arena_totals();
  const auto shared_stats = runtime.shared_cpu_arena_stats();
  const auto private_stats = private_arena.allocator_stats();
  EXPECT_EQ(totals.peak_bytes, shared_stats.peak_bytes + private_stats.peak_bytes);
  EXPECT_EQ(totals.reserved_bytes, shared_stats.reserved_bytes + private_stats.reserved_bytes);
  EXPECT_GE(totals.peak_bytes, 2 * 3 * 512 * 512 * 4);
}

TEST(OrtRuntime, ShrinkGivesFreeArenaMemoryBack) {
  auto& runtime = OrtRuntime::instance();
  {
    // Each call gives its own free regions back as it ends; the outputs they returned, held past
    // the calls, are freed only after them.
    ModelSession session(fixture_model("GFPGANv1.4.onnx"), SessionPolicy{});
    std::vector<float> image(3 * 512 * 512, 0.25f);
    std::vector<Ort::Value> inputs;
    inputs.push_back(tensor(image, {1, 3, 512, 512}));
    std::vector<std::vector<Ort::Value>> held;
    for (int i = 0; i < 3; ++i) held.push_back(session.run(inputs));
  }
  const auto before = runtime.arena_totals();
  ASSERT_GT(before.reserved_bytes, 2 * 3 * 512 * 512 * 4);
  const auto released = runtime.shrink_arenas();
  const auto after = runtime.arena_totals();
  EXPECT_GT(released, 0);
  EXPECT_EQ(after.reserved_bytes, before.reserved_bytes - released);
  EXPECT_GT(runtime.shared_cpu_arena_stats().shrinkages, 0);
}


// The settings a session was created with, from the options it was built from: ONNX Runtime
// reports the memory pattern, the execution mode and the config entries; the rest is what the
// factory set on those same options.
TEST(ModelSession, OptimizedSessionsHaveTheSeedSettings) {
  const ModelSession session(fixture_model("w600k_r50.onnx"), SessionPolicy{});
  const auto& s = session.settings();
  EXPECT_EQ(s.graph_optimization, GraphOptimizationLevel::ORT_ENABLE_ALL);
  // Off unless asked for: the pattern's block is larger than a call holds without it (issue 20).
  EXPECT_FALSE(s.memory_pattern);
  EXPECT_EQ(s.execution_mode, ExecutionMode::ORT_SEQUENTIAL);
  EXPECT_FALSE(s.per_session_threads);
  EXPECT_EQ(s.cpu_arena, true);
  EXPECT_TRUE(s.env_allocators);
  EXPECT_TRUE(s.initializers_through_malloc);
}

// A file the policy lists in without_cpu_arena runs without any CPU arena (issue 20 item 6: the
// enhancers' call peaks 204 MB lower): not on the shared arena, its calls allocate nothing
// there, and the arena totals and shrinking pass it by; other files keep the shared arena.
TEST(ModelSession, FilesListedWithoutCpuArenaRunWithoutOne) {
  auto& runtime = OrtRuntime::instance();
  SessionPolicy policy;
  policy.without_cpu_arena = {"GFPGANv1.4.onnx"};
  EXPECT_FALSE(policy.for_model(fixture_model("GFPGANv1.4.onnx")).cpu_arena);
  EXPECT_TRUE(policy.for_model(fixture_model("w600k_r50.onnx")).cpu_arena);
  ModelSession enhancer(fixture_model("GFPGANv1.4.onnx"), policy);
  EXPECT_EQ(enhancer.settings().cpu_arena, false);
  EXPECT_FALSE(enhancer.settings().env_allocators);
  EXPECT_FALSE(enhancer.uses_cpu_arena());
  EXPECT_FALSE(enhancer.uses_shared_arena());
  const ModelSession other(fixture_model("w600k_r50.onnx"), policy);
  EXPECT_TRUE(other.uses_shared_arena());
  const auto shared_before = runtime.shared_cpu_arena_stats();
  const auto totals_before = runtime.arena_totals();
  run_enhancer(enhancer);
  EXPECT_EQ(runtime.shared_cpu_arena_stats().allocations, shared_before.allocations);
  EXPECT_FALSE(enhancer.allocator_stats().available);
  EXPECT_EQ(runtime.arena_totals().reserved_bytes, totals_before.reserved_bytes);
  runtime.shrink_arenas();
  run_enhancer(enhancer);  // a shrink request is not sent to a session without an arena
}

TEST(ModelSession, UnoptimizedSessionsHaveOrtDefaults) {
  SessionPolicy policy;
  policy.memory_optimization = false;
  policy.intra_op_threads = 2;
  const ModelSession session(fixture_model("w600k_r50.onnx"), policy);
  const auto& s = session.settings();
  EXPECT_FALSE(s.graph_optimization.has_value());
  EXPECT_FALSE(s.cpu_arena.has_value());
  EXPECT_TRUE(s.per_session_threads);
  EXPECT_EQ(s.intra_op_threads, 2);
  EXPECT_FALSE(s.env_allocators);
  EXPECT_FALSE(s.initializers_through_malloc);
}

// The VRAM share travels with the model file: a policy with a share per file gives each session
// its own, and a file not listed the policy's flat limit.
TEST(ModelSession, EachSessionAppendsItsOwnShare) {
  SessionPolicy policy;
  policy.providers = {"cuda", "cpu"};
  policy.gpu_mem_limit_bytes = 7;
  policy.gpu_mem_limits[fixture_model("w600k_r50.onnx")] = 1000;
  std::vector<ProviderRequest> seen;
  set_provider_observer([&](const ProviderRequest& r) { seen.push_back(r); });
  { const ModelSession a(fixture_model("w600k_r50.onnx"), policy); }
  { const ModelSession b(fixture_model("2d106det.onnx"), policy); }
  set_provider_observer({});
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].provider, "cuda");
  EXPECT_EQ(seen[0].options.at("gpu_mem_limit"), "1000");
  EXPECT_EQ(seen[1].options.at("gpu_mem_limit"), "7");
}

}  // namespace
}  // namespace dlc::runtime
