#include "runtime/ort_runtime.hpp"

#include <malloc.h>

#include "runtime/model_session.hpp"
#include "runtime/tensor_view.hpp"

#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

namespace dlc::runtime {
namespace {

// A one-node model (Identity on a float[1]), serialized by onnx 1.12 with IR 8 / opset 13:
// the smallest session that can look at the env's shared arena.
constexpr unsigned char kArenaProbeModel[] = {
    0x08, 0x08, 0x3a, 0x41, 0x0a, 0x10, 0x0a, 0x01, 0x78, 0x12, 0x01, 0x79, 0x22, 0x08, 0x49, 0x64, 0x65, 0x6e, 0x74,
    0x69, 0x74, 0x79, 0x12, 0x0b, 0x61, 0x72, 0x65, 0x6e, 0x61, 0x5f, 0x70, 0x72, 0x6f, 0x62, 0x65, 0x5a, 0x0f, 0x0a,
    0x01, 0x78, 0x12, 0x0a, 0x0a, 0x08, 0x08, 0x01, 0x12, 0x04, 0x0a, 0x02, 0x08, 0x01, 0x62, 0x0f, 0x0a, 0x01, 0x79,
    0x12, 0x0a, 0x0a, 0x08, 0x08, 0x01, 0x12, 0x04, 0x0a, 0x02, 0x08, 0x01, 0x42, 0x04, 0x0a, 0x00, 0x10, 0x0d};

std::mutex g_instance_mutex;
std::optional<RuntimeOptions> g_options;
std::unique_ptr<OrtRuntime> g_instance;

Ort::ThreadingOptions make_threading(const RuntimeOptions& options) {
  Ort::ThreadingOptions threading;
  threading.SetGlobalIntraOpNumThreads(options.intra_op_threads);
  threading.SetGlobalInterOpNumThreads(options.inter_op_threads);
  // Spinning threads burn a core each while the pipeline waits on decode or encode.
  threading.SetGlobalSpinControl(0);
  return threading;
}

Ort::Env make_env(const RuntimeOptions& options) {
  const auto threading = make_threading(options);
  return Ort::Env(threading, ORT_LOGGING_LEVEL_ERROR, "dlc");
}

}  // namespace

void OrtRuntime::configure(const RuntimeOptions& options) {
  std::lock_guard lock(g_instance_mutex);
  if (g_instance && (g_options->intra_op_threads != options.intra_op_threads ||
                     g_options->inter_op_threads != options.inter_op_threads)) {
    throw std::logic_error("OrtRuntime::configure called after the environment was created");
  }
  g_options = options;
}

OrtRuntime& OrtRuntime::instance() {
  std::lock_guard lock(g_instance_mutex);
  if (!g_instance) {
    if (!g_options) g_options = RuntimeOptions{};
    g_instance.reset(new OrtRuntime(*g_options));
  }
  return *g_instance;
}

OrtRuntime::OrtRuntime(const RuntimeOptions& options)
    : options_(options),
      env_(make_env(options)),
      cpu_memory_info_(Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault)) {
  // One arena for all sessions that opt in (session.use_env_allocators=1). It grows by what is
  // requested, not by powers of two, so its footprint follows the models' real need.
  // ArenaCfg(max_mem 0 = no cap, kSameAsRequested = 1, default initial chunk, default dead bytes).
  const Ort::ArenaCfg arena(0, 1, -1, -1);
  env_.CreateAndRegisterAllocator(cpu_memory_info_, arena);
}

Ort::Allocator& OrtRuntime::shared_arena() {
  // Env::GetSharedAllocator hands out a wrapper that reports no statistics (ORT 1.29), while a
  // session's allocator for the same memory info is a view of the arena itself.
  if (arena_reader_ == nullptr) {
    Ort::SessionOptions options;
    options.AddConfigEntry("session.use_env_allocators", "1");
    options.DisablePerSessionThreads();
    arena_probe_ = Ort::Session(env_, kArenaProbeModel, sizeof kArenaProbeModel, options);
    arena_reader_ = Ort::Allocator(arena_probe_, cpu_memory_info_);
  }
  return arena_reader_;
}

AllocatorStats OrtRuntime::shared_cpu_arena_stats() {
  std::lock_guard lock(mutex_);
  return parse_allocator_stats(shared_arena().GetStats().GetKeyValuePairs());
}

ArenaTotals OrtRuntime::arena_totals() {
  std::lock_guard lock(mutex_);
  std::vector<AllocatorStats> arenas{parse_allocator_stats(shared_arena().GetStats().GetKeyValuePairs())};
  for (auto* session : sessions_) {
    if (!session->uses_shared_arena() && session->uses_cpu_arena()) arenas.push_back(session->allocator_stats());
  }
  ArenaTotals totals;
  for (const auto& a : arenas) {
    totals.in_use_bytes += a.in_use_bytes;
    totals.peak_bytes += a.peak_bytes;
    totals.reserved_bytes += a.reserved_bytes;
  }
  return totals;
}

void return_free_heap() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

std::int64_t OrtRuntime::shrink_arenas() {
  const auto before = arena_totals().reserved_bytes;
  {
    std::lock_guard lock(mutex_);
    shared_arena();
    // ORT shrinks an arena at the end of a Run that asks for it; the probe's run is the cheapest
    // one that touches the shared arena. Private arenas shrink after their session's next run.
    Ort::RunOptions shrink;
    shrink.AddConfigEntry("memory.enable_memory_arena_shrinkage", "cpu:0");
    float value = 0;
    const std::int64_t shape[] = {1};
    const auto input = Ort::Value::CreateTensor<float>(host_memory_info(), &value, 1, shape, 1);
    const char* in_name = "x";
    const char* out_name = "y";
    arena_probe_.Run(shrink, &in_name, &input, 1, &out_name, 1);
    for (auto* session : sessions_) {
      if (!session->uses_shared_arena() && session->uses_cpu_arena()) session->shrink_arena_after_next_run();
    }
  }
  return before - arena_totals().reserved_bytes;
}

void OrtRuntime::add_session(ModelSession* session) {
  std::lock_guard lock(mutex_);
  sessions_.insert(session);
}

void OrtRuntime::remove_session(ModelSession* session) {
  std::lock_guard lock(mutex_);
  sessions_.erase(session);
}

std::vector<std::filesystem::path> OrtRuntime::session_models() {
  std::lock_guard lock(mutex_);
  std::vector<std::filesystem::path> models;
  for (const auto* session : sessions_) models.push_back(session->path());
  return models;
}

bool OrtRuntime::first_time(const std::string& key) {
  std::lock_guard lock(mutex_);
  return said_.insert(key).second;
}

std::string OrtRuntime::version() { return Ort::GetVersionString(); }

}  // namespace dlc::runtime
