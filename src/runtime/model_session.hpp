#pragma once

#include <onnxruntime_cxx_api.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/allocator_stats.hpp"
#include "runtime/session_policy.hpp"

namespace dlc::runtime {

// A model file that is missing, unreadable or not a model ONNX Runtime can run.
class ModelError : public std::runtime_error {
 public:
  ModelError(std::filesystem::path path, const std::string& problem);
  const std::filesystem::path& path() const { return path_; }

 private:
  void check_input_count(std::size_t given) const;

  std::filesystem::path path_;
};

struct TensorInfo {
  std::string name;
  ONNXTensorElementDataType element_type = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
  std::vector<std::int64_t> shape;     // -1 where the dimension is dynamic
  std::vector<std::string> dim_names;  // symbolic names of dynamic dimensions ("" otherwise)
};

// "float32", "float16", ...
std::string element_type_name(ONNXTensorElementDataType type);
// "[1,3,?,?]": a shape, '?' where a dimension is dynamic.
std::string shape_text(const std::vector<std::int64_t>& shape);
// "target float32 [1,3,128,128]"; a dynamic dimension shows its symbolic name or '?'.
std::string describe(const TensorInfo& info);

// One provider as a session appends it: the model, the provider's short name and the options it
// is appended with (for CUDA, the gpu_mem_limit of this session's share).
struct ProviderRequest {
  std::filesystem::path model;
  std::string provider;
  ProviderOptions options;
};
using ProviderObserver = std::function<void(const ProviderRequest&)>;
// From now on every session being created reports each provider to the observer just before it
// is appended, so a provider that then fails to load is still seen (tests of the VRAM budget on a
// machine without CUDA). An empty function stops it. Called from the thread building the session,
// from several at once when several build; a call made before the observer is replaced may
// still run.
void set_provider_observer(ProviderObserver observer);

// One ONNX model loaded into a session under a SessionPolicy. Run() is thread-safe, so one
// ModelSession serves every worker; callers own their input and output buffers.
class ModelSession {
 public:
  // Throws ModelError when the file cannot be loaded. A provider that cannot be used is reported
  // once per process as a warning and the session is created on the CPU.
  ModelSession(std::filesystem::path model, const SessionPolicy& policy);
  ~ModelSession();
  // Registered with OrtRuntime by address: neither copied nor moved.
  ModelSession(const ModelSession&) = delete;
  ModelSession& operator=(const ModelSession&) = delete;

  const std::filesystem::path& path() const { return path_; }
  const std::vector<TensorInfo>& inputs() const { return inputs_; }
  const std::vector<TensorInfo>& outputs() const { return outputs_; }
  // The provider the session was created with ("cpu", "cuda", ...).
  const std::string& provider() const { return provider_; }
  // The settings of the options the session was created with (read back from them).
  const SessionSettings& settings() const { return settings_; }

  // Runs with inputs in inputs() order; returns the outputs in outputs() order.
  std::vector<Ort::Value> run(std::span<const Ort::Value> inputs);
  // Runs into caller-owned output tensors (outputs() order), so a hot loop allocates nothing.
  void run(std::span<const Ort::Value> inputs, std::span<Ort::Value> outputs);

  // The CPU allocator this session allocates from: the shared arena under memory optimization,
  // its own arena otherwise; empty figures for a session without a CPU arena.
  AllocatorStats allocator_stats();
  bool uses_shared_arena() const { return shared_arena_; }
  // False: SessionPolicy::cpu_arena was off for this file (every CPU tensor malloc'd and freed).
  bool uses_cpu_arena() const { return settings_.cpu_arena.value_or(true); }
  // The next run() gives the free chunks of this session's own arena back to the system.
  void shrink_arena_after_next_run() { shrink_requested_ = true; }

 private:
  void check_input_count(std::size_t given) const;

  std::filesystem::path path_;
  Ort::Session session_{nullptr};
  std::string provider_;
  SessionSettings settings_;
  bool shared_arena_ = false;
  bool shrink_every_call_ = false;
  bool one_call_at_a_time_ = false;  // CPU calls of every such session take turns
  std::atomic<bool> shrink_requested_{false};
  Ort::RunOptions plain_run_;
  Ort::RunOptions shrinking_run_;
  const Ort::RunOptions& run_options();
  std::vector<TensorInfo> inputs_;
  std::vector<TensorInfo> outputs_;
  std::vector<const char*> input_names_;
  std::vector<const char*> output_names_;
};

}  // namespace dlc::runtime
