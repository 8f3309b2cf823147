#pragma once

#include <onnxruntime_cxx_api.h>

#include <cstdint>
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
};

// Session options for the policy, without providers.
Ort::SessionOptions make_session_options(const SessionPolicy& policy);

// The CUDA provider options (keys of OrtCUDAProviderOptionsV2) the policy asks for.
std::unordered_map<std::string, std::string> cuda_provider_options(const SessionPolicy& policy);

// Appends one provider by short name; throws Ort::Exception when ORT cannot load it and
// std::invalid_argument for a name the loaded ORT does not have.
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
