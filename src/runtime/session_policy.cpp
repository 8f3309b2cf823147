#include "runtime/session_policy.hpp"

#include <onnxruntime_session_options_config_keys.h>

#include <stdexcept>

#include "runtime/ort_runtime.hpp"
#include "runtime/providers.hpp"

namespace dlc::runtime {

Ort::SessionOptions make_session_options(const SessionPolicy& policy, SessionSettings* recorded) {
  Ort::SessionOptions options;
  SessionSettings settings;
  if (!policy.memory_optimization) {
    if (policy.intra_op_threads > 0) {
      options.SetIntraOpNumThreads(policy.intra_op_threads);
      settings.intra_op_threads = policy.intra_op_threads;
    }
    if (recorded != nullptr) *recorded = settings;
    return options;
  }
  options.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
  settings.graph_optimization = GraphOptimizationLevel::ORT_ENABLE_ALL;
  // No memory pattern: it plans one block for every intermediate tensor of a call from the first
  // call's shapes, far larger than what a call holds at once without it (issue 20, the stand-ins,
  // ORT 1.29, 2 threads, dlc_session_load_peak --run 2: over the loaded RSS det_10g 102 -> 54 MB,
  // inswapper 263 -> 155, GFPGAN 1148 -> 694), for the same output bytes and about the same speed.
  options.DisableMemPattern();
  options.SetExecutionMode(ExecutionMode::ORT_SEQUENTIAL);
  if (policy.cpu_arena) {
    options.EnableCpuMemArena();
    // Allocate from the arena registered on the env (OrtRuntime) instead of a private one.
    options.AddConfigEntry(kOrtSessionOptionsConfigUseEnvAllocators, "1");
  } else {
    // No arena at all: the env's is an arena, so the session does not ask the env either.
    options.DisableCpuMemArena();
  }
  settings.cpu_arena = policy.cpu_arena;
  // Weights through malloc, not the arena: a released session gives them back to the system
  // instead of leaving them reserved in the shared arena (the lru and stage strategies).
  options.AddConfigEntry(kOrtSessionOptionsUseDeviceAllocatorForInitializers, "1");
  options.DisablePerSessionThreads();
  settings.per_session_threads = false;
  if (recorded != nullptr) *recorded = settings;
  return options;
}

SessionSettings read_session_settings(const Ort::SessionOptions& options, SessionSettings recorded) {
  recorded.memory_pattern = options.GetMemPatternEnabled();
  recorded.execution_mode = options.GetExecutionMode();
  recorded.env_allocators = options.GetConfigEntryOrDefault(kOrtSessionOptionsConfigUseEnvAllocators, "0") == "1";
  recorded.initializers_through_malloc =
      options.GetConfigEntryOrDefault(kOrtSessionOptionsUseDeviceAllocatorForInitializers, "0") == "1";
  return recorded;
}

SessionPolicy SessionPolicy::for_model(const std::filesystem::path& model) const {
  SessionPolicy policy = *this;
  if (const auto share = gpu_mem_limits.find(model); share != gpu_mem_limits.end()) {
    policy.gpu_mem_limit_bytes = share->second;
  }
  if (without_cpu_arena.contains(model.filename().string())) policy.cpu_arena = false;
  return policy;
}

ProviderOptions cuda_provider_options(const SessionPolicy& policy) {
  ProviderOptions cuda{{"device_id", std::to_string(policy.device_id)}};
  if (!policy.memory_optimization) return cuda;
  // The seed's CUDA settings (PRODUCT.md §5): grow the arena only by what is asked for, pick
  // convolution algorithms without benchmarking every one, keep copies on the compute stream.
  cuda.insert({{"arena_extend_strategy", "kSameAsRequested"},
               {"cudnn_conv_algo_search", "HEURISTIC"},
               {"do_copy_in_default_stream", "1"},
               {"cudnn_conv_use_max_workspace", "1"}});
  if (policy.gpu_mem_limit_bytes > 0) cuda.emplace("gpu_mem_limit", std::to_string(policy.gpu_mem_limit_bytes));
  return cuda;
}

ProviderOptions provider_options(std::string_view short_name, const SessionPolicy& policy) {
  if (short_name == "cuda") return cuda_provider_options(policy);
  if (short_name == "tensorrt") return {{"device_id", std::to_string(policy.device_id)}};
  return {};
}

void append_provider(Ort::SessionOptions& options, std::string_view short_name, const ProviderOptions& provider) {
  if (short_name == "cpu") return;  // ORT always has the CPU provider last
  if (!ort_provider_name(short_name)) {
    throw std::invalid_argument("execution provider '" + std::string(short_name) +
                                "' is not in this ONNX Runtime build");
  }
  if (short_name == "cuda") {
    Ort::CUDAProviderOptions cuda;
    cuda.Update(provider);
    options.AppendExecutionProvider_CUDA_V2(*cuda);
  } else if (short_name == "tensorrt") {
    Ort::TensorRTProviderOptions trt;
    trt.Update(provider);
    options.AppendExecutionProvider_TensorRT_V2(*trt);
  } else {
    // QNN, SNPE, XNNPACK, OpenVINO, ... take their ORT short names through the generic call.
    options.AppendExecutionProvider(*ort_provider_name(short_name), {});
  }
}

void append_provider(Ort::SessionOptions& options, std::string_view short_name, const SessionPolicy& policy) {
  append_provider(options, short_name, provider_options(short_name, policy));
}

}  // namespace dlc::runtime

namespace dlc::runtime {

std::string ort_error_summary(std::string_view message) {
  message = message.substr(0, message.find('\n'));
  // ORT prefixes its source location and status code: keep what a user can act on.
  for (const std::string_view marker : {"FAIL : ", "was false. ", "] : "}) {
    if (const auto at = message.rfind(marker); at != std::string_view::npos) {
      message.remove_prefix(at + marker.size());
      break;
    }
  }
  if (const auto at = message.find(" with error: "); at != std::string_view::npos) {
    message.remove_prefix(at + std::string_view(" with error: ").size());
  }
  return std::string(message);
}

std::string provider_load_problem(std::string_view short_name) {
  OrtRuntime::instance();  // ORT's provider bridge logs through the env's logger
  try {
    Ort::SessionOptions options;
    append_provider(options, short_name, SessionPolicy{});
    return {};
  } catch (const std::exception& e) {
    return ort_error_summary(e.what());
  }
}

std::vector<std::string> default_providers() {
  if (cuda_provider_library_present() && ort_provider_name("cuda") && provider_load_problem("cuda").empty()) {
    return {"cuda", "cpu"};
  }
  return {"cpu"};
}

}  // namespace dlc::runtime
