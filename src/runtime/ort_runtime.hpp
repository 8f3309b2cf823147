#pragma once

#include <onnxruntime_cxx_api.h>

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "runtime/allocator_stats.hpp"

namespace dlc::runtime {

class ModelSession;

// The CPU arenas of all live sessions together: the shared arena plus the private arenas of
// sessions made without memory optimization.
struct ArenaTotals {
  std::int64_t in_use_bytes = 0;
  std::int64_t peak_bytes = 0;      // sum of each arena's own peak
  std::int64_t reserved_bytes = 0;  // taken from the system
};

struct RuntimeOptions {
  int intra_op_threads = 0;  // size of the global intra-op pool; 0 = ORT's choice (one per core)
  int inter_op_threads = 1;  // sequential execution needs no inter-op pool
};

// Returns the free pages of the C heap to the system (glibc's malloc_trim): after a session is
// built or released, what it freed stops counting in RSS.
void return_free_heap();

// The one process-wide ONNX Runtime environment: global thread pools and one shared CPU arena
// that every memory-optimized session allocates from.
class OrtRuntime {
 public:
  // Sets the options of the environment; call before the first instance(). Throws
  // std::logic_error when the environment already exists with other options.
  static void configure(const RuntimeOptions& options);
  static OrtRuntime& instance();

  OrtRuntime(const OrtRuntime&) = delete;
  OrtRuntime& operator=(const OrtRuntime&) = delete;

  Ort::Env& env() { return env_; }
  const RuntimeOptions& options() const { return options_; }
  // The memory description of the shared CPU arena (what sessions ask the env for).
  const Ort::MemoryInfo& cpu_memory_info() const { return cpu_memory_info_; }
  AllocatorStats shared_cpu_arena_stats();
  ArenaTotals arena_totals();
  // Gives the arenas' free chunks back to the system (between jobs, or when the RSS governor
  // asks for room). Returns the bytes released.
  std::int64_t shrink_arenas();

  // ModelSession registers itself for arena_totals() and shrink_arenas().
  void add_session(ModelSession* session);
  void remove_session(ModelSession* session);
  // The model files of the sessions alive now (what a job holds at a given moment).
  std::vector<std::filesystem::path> session_models();

  // True the first time a key is seen: warnings that must be said once per process.
  bool first_time(const std::string& key);

  static std::string version();

 private:
  explicit OrtRuntime(const RuntimeOptions& options);

  RuntimeOptions options_;
  Ort::Env env_;
  Ort::MemoryInfo cpu_memory_info_;
  std::mutex mutex_;
  std::set<std::string> said_;
  std::set<ModelSession*> sessions_;
  // Reads the shared arena's statistics (see shared_cpu_arena_stats); made on first use.
  Ort::Session arena_probe_{nullptr};
  Ort::Allocator arena_reader_{nullptr};
  Ort::Allocator& shared_arena();  // under mutex_
};

}  // namespace dlc::runtime
