#include "runtime/model_session.hpp"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <fmt/format.h>
#include <onnxruntime_session_options_config_keys.h>

#include <fstream>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

#include "runtime/onnx_file.hpp"
#include "runtime/ort_runtime.hpp"

namespace dlc::runtime {
namespace {

TensorInfo tensor_info(std::string name, const Ort::TypeInfo& type) {
  TensorInfo info;
  info.name = std::move(name);
  if (type.GetONNXType() != ONNX_TYPE_TENSOR) return info;
  const auto tensor = type.GetTensorTypeAndShapeInfo();
  info.element_type = tensor.GetElementType();
  info.shape = tensor.GetShape();
  const auto symbolic = tensor.GetSymbolicDimensions();
  info.dim_names.assign(symbolic.begin(), symbolic.end());
  return info;
}

// Names are copied out of ORT's allocated strings at once, so nothing is left to free later.
template <typename NameFn, typename TypeFn>
std::vector<TensorInfo> list_tensors(std::size_t count, NameFn name_of, TypeFn type_of) {
  std::vector<TensorInfo> tensors;
  tensors.reserve(count);
  for (std::size_t i = 0; i < count; ++i) tensors.push_back(tensor_info(name_of(i), type_of(i)));
  return tensors;
}

std::vector<const char*> name_pointers(const std::vector<TensorInfo>& tensors) {
  std::vector<const char*> names;
  for (const auto& t : tensors) names.push_back(t.name.c_str());
  return names;
}

// One model call at a time on the CPU, across every session (memory optimization on). The calls
// share ONNX Runtime's one global intra-op pool, which a single call already keeps busy on every
// core: a second call at once only splits the same cores, while its tensors sit in the arena
// beside the first's (issue 20: two workers' inswapper calls held two working memories).
std::mutex g_cpu_call_mutex;

std::unique_lock<std::mutex> cpu_call_turn(bool take) {
  return take ? std::unique_lock<std::mutex>(g_cpu_call_mutex) : std::unique_lock<std::mutex>();
}

std::mutex g_observer_mutex;
std::shared_ptr<const ProviderObserver> g_observer;

// Called outside the mutex: sessions built on two threads at once report at once.
void report_provider(const ProviderRequest& request) {
  std::shared_ptr<const ProviderObserver> observer;
  {
    std::lock_guard lock(g_observer_mutex);
    observer = g_observer;
  }
  if (observer && *observer) (*observer)(request);
}

// Its data file is written after it (move_optimized_copy), and only when a weight of the
// optimized graph is large enough to go there.
bool optimized_copy_there(const std::filesystem::path& optimized) {
  std::error_code ec;
  return std::filesystem::is_regular_file(optimized, ec);
}

// Asks ORT to write the optimized graph while it builds this session, into `temp_dir` (the data
// file keeps its final name: the graph refers to it by that name).
void save_optimized_copy(Ort::SessionOptions& options, const std::filesystem::path& optimized,
                         const std::filesystem::path& temp_dir) {
  const auto temp_model = temp_dir / optimized.filename();
  options.SetOptimizedModelFilePath(temp_model.c_str());
  options.AddConfigEntry(kOrtSessionOptionsOptimizedModelExternalInitializersFileName,
                         (optimized.filename().string() + ".data").c_str());
  options.AddConfigEntry(kOrtSessionOptionsOptimizedModelExternalInitializersMinSizeInBytes,
                         std::to_string(kExternalDataMinBytes).c_str());
  options.AddConfigEntry(kOrtSessionOptionsSavePrePackedConstantInitializers, "1");
}

// The data first (when ORT wrote one): an optimized copy in place always has its data beside it.
void move_optimized_copy(const std::filesystem::path& optimized, const std::filesystem::path& temp_dir) {
  const auto data_name = optimized.filename().string() + ".data";
  std::error_code ec;
  if (std::filesystem::exists(temp_dir / data_name, ec)) {
    std::filesystem::rename(temp_dir / data_name, optimized.parent_path() / data_name);
  }
  std::filesystem::rename(temp_dir / optimized.filename(), optimized);
}

struct BuiltSession {
  Ort::Session session{nullptr};
  SessionSettings settings;
};

// The CPU session of `model` from its optimized copy, or built from `mapped` (its mapped copy)
// while ORT writes that copy; an empty session when that cannot be done (the caller builds it
// plainly). A copy that cannot be written is warned about once per model.
BuiltSession build_from_optimized_copy(const std::filesystem::path& model, const std::filesystem::path& mapped,
                                       const SessionPolicy& policy) {
  namespace fs = std::filesystem;
  auto& runtime = OrtRuntime::instance();
  const auto optimized = optimized_copy_name(mapped);
  SessionSettings recorded;
  if (optimized_copy_there(optimized)) {
    try {
      auto options = make_session_options(policy, &recorded);
      // Its graph is already optimized at recorded.graph_optimization: running the optimizers
      // again would rewrite the mapped weights into the heap.
      options.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_DISABLE_ALL);
      BuiltSession built{Ort::Session(runtime.env(), optimized.c_str(), options), {}};
      built.settings = read_session_settings(options, recorded);
      return built;
    } catch (const Ort::Exception& e) {
      spdlog::warn("{}: cannot load its optimized copy {} ({}); building it again", model.filename().string(),
                   optimized.string(), ort_error_summary(e.what()));
      std::error_code ec;
      fs::remove(optimized, ec);
      fs::remove(optimized.string() + ".data", ec);
    }
  }
  // Two sessions of one model built at once write their own folders; the second rename wins.
  const auto temp_dir = optimized.parent_path() / fmt::format(".tmp-ort-{}-{}", ::getpid(),
                                                              std::hash<std::thread::id>{}(std::this_thread::get_id()));
  std::error_code ec;
  BuiltSession built;
  try {
    fs::create_directories(temp_dir);
    auto options = make_session_options(policy, &recorded);
    save_optimized_copy(options, optimized, temp_dir);
    built.session = Ort::Session(runtime.env(), mapped.c_str(), options);
    built.settings = read_session_settings(options, recorded);
    move_optimized_copy(optimized, temp_dir);
    spdlog::info("{}: wrote ONNX Runtime's optimized graph once to {}, whose weights later sessions map",
                 model.filename().string(), optimized.string());
  } catch (const std::exception& e) {
    if (runtime.first_time("optimized-copy:" + model.string())) {
      spdlog::warn("{}: cannot write its optimized copy in {} ({}); building from the mapped copy",
                   model.filename().string(), optimized.parent_path().string(), ort_error_summary(e.what()));
    }
  }
  fs::remove_all(temp_dir, ec);
  return built;
}

void check_model_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw ModelError(path, "file does not exist");
  if (!std::filesystem::is_regular_file(path, ec)) throw ModelError(path, "not a regular file");
}

}  // namespace

void set_provider_observer(ProviderObserver observer) {
  auto shared = std::make_shared<const ProviderObserver>(std::move(observer));
  std::lock_guard lock(g_observer_mutex);
  g_observer = std::move(shared);
}

ModelError::ModelError(std::filesystem::path path, const std::string& problem)
    : std::runtime_error(path.string() + ": " + problem), path_(std::move(path)) {}

std::string element_type_name(ONNXTensorElementDataType type) {
  switch (type) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: return "float32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16: return "float16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE: return "float64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16: return "bfloat16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8: return "uint8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8: return "int8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32: return "int32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64: return "int64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL: return "bool";
    default: return "type" + std::to_string(static_cast<int>(type));
  }
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ",";
    text += shape[i] >= 0 ? std::to_string(shape[i]) : "?";
  }
  return text + "]";
}

std::string describe(const TensorInfo& info) {
  std::string text = info.name + " " + element_type_name(info.element_type) + " [";
  for (std::size_t i = 0; i < info.shape.size(); ++i) {
    if (i > 0) text += ",";
    if (info.shape[i] >= 0) {
      text += std::to_string(info.shape[i]);
    } else {
      const bool named = i < info.dim_names.size() && !info.dim_names[i].empty();
      text += named ? info.dim_names[i] : "?";
    }
  }
  return text + "]";
}

ModelSession::ModelSession(std::filesystem::path model, const SessionPolicy& job_policy)
    : path_(std::move(model)) {
  check_model_file(path_);
  const auto policy = job_policy.for_model(path_);
  auto& runtime = OrtRuntime::instance();
  // The weights mapped from a copy in external-data form: ONNX Runtime parsing the file itself
  // holds them twice while it builds the session (issue 20: inswapper peaked at 2.1x its RSS).
  const auto file = mapped_model_file(path_);

  // First with the accelerators the policy lists; if any of them cannot be loaded or cannot
  // create this session, once more on the CPU alone.
  std::string accelerator;
  std::string problem;
  for (const auto& name : policy.providers) {
    if (name != "cpu") {
      accelerator = name;
      break;
    }
  }
  if (!accelerator.empty()) {
    try {
      SessionSettings recorded;
      auto options = make_session_options(policy, &recorded);
      for (const auto& name : policy.providers) {
        ProviderRequest request{path_, name, provider_options(name, policy)};
        if (const auto limit = request.options.find("gpu_mem_limit"); limit != request.options.end()) {
          spdlog::debug("session {}: {} gpu_mem_limit {} bytes", path_.filename().string(), name, limit->second);
        }
        report_provider(request);
        append_provider(options, name, request.options);
      }
      session_ = Ort::Session(runtime.env(), file.c_str(), options);
      settings_ = read_session_settings(options, recorded);
      provider_ = accelerator;
    } catch (const std::exception& e) {
      problem = ort_error_summary(e.what());
    }
  }
  // On the CPU alone, from a mapped copy: ONNX Runtime's optimized graph of it when one was
  // written, else written now while this session is built.
  const bool cache_optimized = accelerator.empty() && policy.memory_optimization && file != path_;
  if (!session_ && cache_optimized) {
    auto built = build_from_optimized_copy(path_, file, policy);
    if (built.session) {
      session_ = std::move(built.session);
      settings_ = built.settings;
      provider_ = "cpu";
    }
  }
  if (!session_) {
    try {
      SessionSettings recorded;
      const auto options = make_session_options(policy, &recorded);
      session_ = Ort::Session(runtime.env(), file.c_str(), options);
      settings_ = read_session_settings(options, recorded);
      provider_ = "cpu";
    } catch (const Ort::Exception& e) {
      throw ModelError(path_, "ONNX Runtime cannot load it: " + ort_error_summary(e.what()));
    }
    if (!problem.empty() && runtime.first_time("provider-fallback:" + accelerator)) {
      spdlog::warn("execution provider '{}' cannot be used ({}); running on the CPU", accelerator, problem);
    }
  }

  Ort::AllocatorWithDefaultOptions names;
  inputs_ = list_tensors(
      session_.GetInputCount(), [&](std::size_t i) { return std::string(session_.GetInputNameAllocated(i, names).get()); },
      [&](std::size_t i) { return session_.GetInputTypeInfo(i); });
  outputs_ = list_tensors(
      session_.GetOutputCount(), [&](std::size_t i) { return std::string(session_.GetOutputNameAllocated(i, names).get()); },
      [&](std::size_t i) { return session_.GetOutputTypeInfo(i); });
  input_names_ = name_pointers(inputs_);
  output_names_ = name_pointers(outputs_);
  shared_arena_ = policy.memory_optimization && uses_cpu_arena();
  shrink_every_call_ = shared_arena_ && provider_ == "cpu";
  one_call_at_a_time_ = policy.memory_optimization && provider_ == "cpu";
  shrinking_run_.AddConfigEntry("memory.enable_memory_arena_shrinkage", "cpu:0");
  runtime.add_session(this);
  // Building the session freed the file's bytes and the parsed model; hand those pages back now
  // rather than let them count in RSS for the rest of the run.
  if (policy.memory_optimization) return_free_heap();
}

ModelSession::~ModelSession() { OrtRuntime::instance().remove_session(this); }

void ModelSession::check_input_count(std::size_t given) const {
  if (given != input_names_.size()) {
    throw std::invalid_argument(path_.string() + ": run() got " + std::to_string(given) + " inputs, the model takes " +
                                std::to_string(input_names_.size()));
  }
}

std::vector<Ort::Value> ModelSession::run(std::span<const Ort::Value> inputs) {
  check_input_count(inputs.size());
  const auto turn = cpu_call_turn(one_call_at_a_time_);
  return session_.Run(run_options(), input_names_.data(), inputs.data(), inputs.size(),
                      output_names_.data(), output_names_.size());
}

void ModelSession::run(std::span<const Ort::Value> inputs, std::span<Ort::Value> outputs) {
  check_input_count(inputs.size());
  if (outputs.size() != output_names_.size()) {
    throw std::invalid_argument(path_.string() + ": run() got " + std::to_string(outputs.size()) +
                                " output tensors, the model has " + std::to_string(output_names_.size()));
  }
  const auto turn = cpu_call_turn(one_call_at_a_time_);
  session_.Run(run_options(), input_names_.data(), inputs.data(), inputs.size(), output_names_.data(),
               outputs.data(), outputs.size());
}

AllocatorStats ModelSession::allocator_stats() {
  if (!uses_cpu_arena()) return {};
  const Ort::Allocator allocator(session_, OrtRuntime::instance().cpu_memory_info());
  return parse_allocator_stats(allocator.GetStats().GetKeyValuePairs());
}

// A CPU call on the shared arena gives its free regions back when it ends. The next call is
// mostly another model's, and the arena (BFC) hands a request a whole free chunk when what it
// would leave unused is under max_dead_bytes_per_chunk (128 MB by default), so one model's tensors
// did not fit the chunks another left: the stand-in swap job held det_10g's 36 MB of working
// memory beside inswapper's 108 MB (issue 20, heaptrack's peak consumers).
const Ort::RunOptions& ModelSession::run_options() {
  const bool requested = shrink_requested_.exchange(false);
  return requested || shrink_every_call_ ? shrinking_run_ : plain_run_;
}

}  // namespace dlc::runtime
