#pragma once

#include <onnxruntime_cxx_api.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dlc::runtime {

// How a model's session is created: the seed's memory settings and the providers to try.
struct SessionPolicy {
  // On (the default): ORT_ENABLE_ALL, memory pattern, sequential execution, the process-wide
  // shared CPU arena and the global thread pools, and the tuned CUDA options below.
  // Off: ONNX Runtime's defaults (a private arena and thread pool per session).
  bool memory_optimization = true;
  // Short provider names in priority order ("cuda", "tensorrt", "cpu", ...). The CPU is always
  // the last resort, listed or not.
  std::vector<std::string> providers{"cpu"};
  // Per-session intra-op threads when memory optimization is off (0 = ORT's choice); with it on,
  // the global pool of OrtRuntime serves every session.
  int intra_op_threads = 0;
  int device_id = 0;
  // VRAM cap of the CUDA arena in bytes; 0 leaves ORT's default (no cap).
  std::uint64_t gpu_mem_limit_bytes = 0;
  // A job's sessions share one VRAM budget: each model file's share, which every session made
  // from that file takes (a session rebuilt by lru or stage gets the same). A file not listed
  // takes gpu_mem_limit_bytes.
  std::map<std::filesystem::path, std::uint64_t> gpu_mem_limits;
  // Under memory optimization: false runs the session without a CPU arena (each tensor malloc'd
  // and freed, blocks of 1 MiB and more their own mappings), neither the shared one nor its own.
  bool cpu_arena = true;
  // File names (any folder) whose sessions run without a CPU arena; for_model sets cpu_arena.
  std::set<std::string> without_cpu_arena;

  // This policy for a session of one model file: its own share of the VRAM budget, its arena.
  SessionPolicy for_model(const std::filesystem::path& model) const;
};

using ProviderOptions = std::unordered_map<std::string, std::string>;

// What a session's options hold. ONNX Runtime reports the memory pattern, the execution mode and
// the config entries back (read_session_settings); it keeps no readable copy of the graph level,
// the CPU arena switch or the per-session threads, so make_session_options records those as it
// sets them.
struct SessionSettings {
  std::optional<GraphOptimizationLevel> graph_optimization;  // empty: ORT's default
  std::optional<bool> cpu_arena;                             // empty: ORT's default (on)
  bool per_session_threads = true;
  int intra_op_threads = 0;  // per-session pool size; 0: ORT's choice
  // Read back from the options.
  bool memory_pattern = false;
  ExecutionMode execution_mode = ExecutionMode::ORT_SEQUENTIAL;
  bool env_allocators = false;               // session.use_env_allocators: the shared arena
  bool initializers_through_malloc = false;  // session.use_device_allocator_for_initializers
};

// Session options for the policy, without providers; what could not be read back later goes to
// recorded.
Ort::SessionOptions make_session_options(const SessionPolicy& policy, SessionSettings* recorded = nullptr);
// recorded, with what ONNX Runtime reports of the options filled in from them.
SessionSettings read_session_settings(const Ort::SessionOptions& options, SessionSettings recorded);

// The CUDA provider options (keys of OrtCUDAProviderOptionsV2) the policy asks for.
ProviderOptions cuda_provider_options(const SessionPolicy& policy);
// The options one provider is appended with under the policy (CUDA's above, TensorRT's device).
ProviderOptions provider_options(std::string_view short_name, const SessionPolicy& policy);

// Appends one provider by short name with these options; throws Ort::Exception when ORT cannot
// load it and std::invalid_argument for a name the loaded ORT does not have.
void append_provider(Ort::SessionOptions& options, std::string_view short_name, const ProviderOptions& provider);
void append_provider(Ort::SessionOptions& options, std::string_view short_name, const SessionPolicy& policy);

// The part of an ONNX Runtime error message a user can act on: its first line, without ORT's
// source location and status prefix ("libonnxruntime_providers_shared.so: cannot open shared
// object file: No such file or directory").
std::string ort_error_summary(std::string_view message);

// Why a provider cannot be loaded by this process (ORT's first line of the error), or an empty
// string when it loads. Loading is not yet running: a CUDA provider that loads may still find no
// device when a session is created.
std::string provider_load_problem(std::string_view short_name);

// The default for --execution-provider ("best available"): CUDA when its provider library is
// installed beside ORT and loads (driver and CUDA libraries present), otherwise the CPU. A
// CUDA that loads but finds no device still falls back to the CPU, with one warning, when a
// session is created.
std::vector<std::string> default_providers();

}  // namespace dlc::runtime
