// dlc_ort_baseline: one model timed with plain ONNX Runtime, no dlc code, as the yardstick for
// `dlc bench` (bench/compare_ort.sh puts the two side by side).
//
//   dlc_ort_baseline --model FILE [--threads N] [--runs R] [--warmup W] [--ort-defaults]
//                    [--no-spin] [--shape NAME=1x3x640x640]... [--json]
//
// Measures what dlc's model bench measures (src/pipeline/model_bench.cpp): the wall time of one
// Session::Run on inputs made once from the model's own signature (dynamic batch 1; dynamic H/W of
// an NCHW image 640, as dlc feeds the detector), outputs allocated by ORT on every run. Session:
// intra-op N threads, inter-op 1, sequential, ORT_ENABLE_ALL; --ort-defaults sets only the thread
// count. Exit codes as dlc's: 0 ok, 1 failure, 2 bad usage, 4 model missing or unloadable.

#include <onnxruntime_cxx_api.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitModel = 4;
// Fixed so two runs feed the same numbers (the values barely matter for float kernels, but
// denormals and NaNs would).
constexpr std::uint32_t kInputSeed = 20240601;
// What Deep-Live-Cam and dlc feed SCRFD (det_10g) when its input size is dynamic.
constexpr std::int64_t kDynamicImageSide = 640;

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Options {
  std::filesystem::path model;
  int threads = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  int runs = 20;
  int warmup = 1;
  bool ort_defaults = false;
  bool no_spin = false;
  bool json = false;
  std::map<std::string, std::vector<std::int64_t>> shapes;
};

constexpr std::string_view kUsage =
    "usage: dlc_ort_baseline --model FILE [--threads N] [--runs R] [--warmup W] [--ort-defaults]\n"
    "                        [--no-spin] [--shape NAME=1x3x640x640]... [--json]\n"
    "  --threads N       intra-op threads (default: the number of cores); inter-op is 1\n"
    "  --runs R          timed runs (default 20); --warmup W untimed runs first (default 1)\n"
    "  --ort-defaults    set nothing on the session but the thread count\n"
    "  --no-spin         session.intra_op.allow_spinning=0 (dlc's env thread pool does not spin)\n"
    "  --shape NAME=DIMS concrete shape of input NAME, overriding its signature\n"
    "  --json            one JSON object on stdout\n";

int parse_int(std::string_view flag, std::string_view text, int lo, int hi) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < lo || value > hi) {
    throw UsageError(std::string(flag) + ": '" + std::string(text) + "' is not a whole number from " +
                     std::to_string(lo) + " to " + std::to_string(hi));
  }
  return value;
}

std::pair<std::string, std::vector<std::int64_t>> parse_shape(std::string_view text) {
  const auto eq = text.rfind('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size()) {
    throw UsageError("--shape: '" + std::string(text) + "' is not NAME=DIMS, e.g. input.1=1x3x640x640");
  }
  std::vector<std::int64_t> dims;
  std::string_view rest = text.substr(eq + 1);
  while (true) {
    const auto x = rest.find('x');
    dims.push_back(parse_int("--shape", rest.substr(0, x), 1, 1 << 20));
    if (x == std::string_view::npos) break;
    rest.remove_prefix(x + 1);
  }
  return {std::string(text.substr(0, eq)), dims};
}

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) throw UsageError(std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "--model") {
      options.model = value();
    } else if (arg == "--threads") {
      options.threads = parse_int(arg, value(), 1, 256);
    } else if (arg == "--runs") {
      options.runs = parse_int(arg, value(), 1, 1'000'000);
    } else if (arg == "--warmup") {
      options.warmup = parse_int(arg, value(), 0, 1'000'000);
    } else if (arg == "--shape") {
      auto [name, dims] = parse_shape(value());
      options.shapes.insert_or_assign(std::move(name), std::move(dims));
    } else if (arg == "--ort-defaults") {
      options.ort_defaults = true;
    } else if (arg == "--no-spin") {
      options.no_spin = true;
    } else if (arg == "--json") {
      options.json = true;
    } else if (arg == "--help" || arg == "-h") {
      throw UsageError("help");
    } else {
      throw UsageError("unknown argument '" + std::string(arg) + "'");
    }
  }
  if (options.model.empty()) throw UsageError("--model FILE is required");
  return options;
}

Ort::SessionOptions session_options(const Options& options) {
  Ort::SessionOptions session;
  session.SetIntraOpNumThreads(options.threads);
  if (options.no_spin) session.AddConfigEntry("session.intra_op.allow_spinning", "0");
  if (options.ort_defaults) return session;
  session.SetInterOpNumThreads(1);
  session.SetExecutionMode(ExecutionMode::ORT_SEQUENTIAL);
  session.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
  return session;
}

// A model input with its buffer, filled once and reused by every run.
struct Input {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<float> data;
};

std::string join_dims(const std::vector<std::int64_t>& shape, std::string_view separator) {
  std::string text;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += separator;
    text += std::to_string(shape[i]);
  }
  return text;
}

// Dynamic dimensions: batch (dim 0) 1, height and width of an NCHW image 640, anything else 1.
std::vector<std::int64_t> concrete_shape(std::vector<std::int64_t> shape) {
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] >= 0) continue;
    shape[i] = (shape.size() == 4 && i >= 2) ? kDynamicImageSide : 1;
  }
  return shape;
}

std::vector<Input> make_inputs(Ort::Session& session, const Options& options) {
  Ort::AllocatorWithDefaultOptions allocator;
  std::mt19937 rng(kInputSeed);
  std::uniform_real_distribution<float> pixel(0.0F, 1.0F);
  std::vector<Input> inputs;
  auto overrides = options.shapes;
  for (std::size_t i = 0; i < session.GetInputCount(); ++i) {
    Input input;
    input.name = session.GetInputNameAllocated(i, allocator).get();
    const auto type = session.GetInputTypeInfo(i);
    const auto tensor = type.GetTensorTypeAndShapeInfo();
    if (tensor.GetElementType() != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT) {
      throw std::runtime_error("input '" + input.name + "' is not float32; only float inputs are supported");
    }
    const auto signature = tensor.GetShape();
    if (const auto it = overrides.find(input.name); it != overrides.end()) {
      if (it->second.size() != signature.size()) {
        throw UsageError("--shape " + input.name + ": " + std::to_string(it->second.size()) +
                         " dimensions given, the model's input has " + std::to_string(signature.size()));
      }
      input.shape = it->second;
      overrides.erase(it);
    } else {
      input.shape = concrete_shape(signature);
    }
    const auto count = std::accumulate(input.shape.begin(), input.shape.end(), std::int64_t{1}, std::multiplies<>());
    input.data.resize(static_cast<std::size_t>(count));
    for (auto& v : input.data) v = pixel(rng);
    inputs.push_back(std::move(input));
  }
  if (!overrides.empty()) throw UsageError("--shape: the model has no input '" + overrides.begin()->first + "'");
  return inputs;
}

// Nearest rank, as dlc's runtime::percentile, so both report the same statistic (this program
// links ONNX Runtime alone, so it has its own copy).
double percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
  const auto index = std::min(values.size() - 1, rank == 0 ? 0 : rank - 1);
  std::ranges::nth_element(values, values.begin() + static_cast<std::ptrdiff_t>(index));
  return values[index];
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

int run(const Options& options) {
  if (!std::filesystem::is_regular_file(options.model)) {
    std::fprintf(stderr, "dlc_ort_baseline: %s: no such file; pass an .onnx model with --model\n",
                 options.model.c_str());
    return kExitModel;
  }
  Ort::Env env(ORT_LOGGING_LEVEL_ERROR, "dlc_ort_baseline");
  const auto load_start = Clock::now();
  std::optional<Ort::Session> session;
  try {
    session.emplace(env, options.model.c_str(), session_options(options));
  } catch (const Ort::Exception& e) {
    std::fprintf(stderr, "dlc_ort_baseline: %s: ONNX Runtime cannot load it: %s\n", options.model.c_str(), e.what());
    return kExitModel;
  }
  const double load_ms = std::chrono::duration<double, std::milli>(Clock::now() - load_start).count();

  auto inputs = make_inputs(*session, options);
  const auto memory = Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeDefault);
  std::vector<Ort::Value> values;
  std::vector<const char*> input_names;
  for (auto& input : inputs) {
    values.push_back(Ort::Value::CreateTensor<float>(memory, input.data.data(), input.data.size(),
                                                     input.shape.data(), input.shape.size()));
    input_names.push_back(input.name.c_str());
  }
  Ort::AllocatorWithDefaultOptions allocator;
  std::vector<std::string> output_names_owned;
  for (std::size_t i = 0; i < session->GetOutputCount(); ++i) {
    output_names_owned.emplace_back(session->GetOutputNameAllocated(i, allocator).get());
  }
  std::vector<const char*> output_names;
  for (const auto& name : output_names_owned) output_names.push_back(name.c_str());

  const Ort::RunOptions run_options;
  std::vector<double> run_ms;
  run_ms.reserve(static_cast<std::size_t>(options.runs));
  for (int i = -options.warmup; i < options.runs; ++i) {
    const auto start = Clock::now();
    const auto outputs = session->Run(run_options, input_names.data(), values.data(), values.size(),
                                      output_names.data(), output_names.size());
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (i >= 0) run_ms.push_back(ms);
  }
  const double p50 = percentile(run_ms, 0.50);
  const double p95 = percentile(run_ms, 0.95);
  const double mean = std::accumulate(run_ms.begin(), run_ms.end(), 0.0) / static_cast<double>(run_ms.size());
  const char* settings = options.ort_defaults ? "ort-defaults" : "sequential+enable_all";

  std::string input_text;
  std::string json_inputs;
  for (const auto& input : inputs) {
    if (!input_text.empty()) {
      input_text += ", ";
      json_inputs += ", ";
    }
    input_text += input.name + " " + join_dims(input.shape, "x");
    json_inputs += json_string(input.name) + ": [" + join_dims(input.shape, ", ") + "]";
  }
  if (options.json) {
    std::printf("{\"model\": %s, \"ort_version\": %s, \"settings\": \"%s\", \"spinning\": %s, \"threads\": %d, "
                "\"warmup\": %d, \"runs\": %d, \"inputs\": {%s}, \"load_ms\": %.3f, \"p50_ms\": %.3f, "
                "\"p95_ms\": %.3f, \"mean_ms\": %.3f, \"min_ms\": %.3f, \"max_ms\": %.3f}\n",
                json_string(options.model.string()).c_str(), json_string(Ort::GetVersionString()).c_str(), settings,
                options.no_spin ? "false" : "true", options.threads, options.warmup, options.runs,
                json_inputs.c_str(), load_ms, p50, p95, mean, *std::ranges::min_element(run_ms),
                *std::ranges::max_element(run_ms));
  } else {
    std::printf("model:   %s (ONNX Runtime %s, %s, %d intra-op threads%s)\n", options.model.c_str(),
                Ort::GetVersionString().c_str(), settings, options.threads, options.no_spin ? ", no spinning" : "");
    std::printf("inputs:  %s\n", input_text.c_str());
    std::printf("load:    %.1f ms\n", load_ms);
    std::printf("run:     p50 %.2f ms, p95 %.2f ms, mean %.2f ms over %d runs (after %d warm-up)\n", p50, p95, mean,
                options.runs, options.warmup);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_options(argc, argv));
  } catch (const UsageError& e) {
    if (std::string_view(e.what()) == "help") {
      std::printf("%.*s", static_cast<int>(kUsage.size()), kUsage.data());
      return 0;
    }
    std::fprintf(stderr, "dlc_ort_baseline: %s\n%.*s", e.what(), static_cast<int>(kUsage.size()), kUsage.data());
    return kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dlc_ort_baseline: %s\n", e.what());
    return kExitFailure;
  }
}
