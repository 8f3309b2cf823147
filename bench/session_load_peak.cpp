// dlc_session_load_peak: what building one ONNX Runtime session costs in RSS at its peak, against
// the RSS once it is built, for each way of handing ORT the model (issue 20, item 2).
//
//   dlc_session_load_peak --model FILE [--way NAME]... [--threads N] [--run [N]] [--set OPTION]...
//
// Each way runs in its own child process (fork), so one way's heap does not colour the next:
// the child clears its peak (/proc/self/clear_refs 5), builds the session, trims the heap and
// reads VmHWM (peak during the build) and VmRSS (steady, the session held); with --run it then
// runs the model once on zero inputs and reads them again. Ways:
//   path         Ort::Session(env, path): dlc's way before this change
//   path-noprepack   the same with session.disable_prepacking=1
//   mmap         Ort::Session(env, bytes, size) on the file mmapped read-only
//   external     the external-data copy dlc loads (runtime::mapped_model_file: .dlc-mapped/
//                beside FILE, written once), whose weights ORT maps
//   external-noprepack  the same with session.disable_prepacking=1
//   optimized    ONNX Runtime's own optimized model (written once beside FILE as
//                FILE.ort-optimized.onnx by a session on the mapped copy with these settings:
//                session.optimized_model_filepath, its initializers and pre-packed weights in an
//                external file), loaded with the graph optimizations off: the load neither rewrites
//                nor pre-packs the weights, it maps them
// Session options as dlc's memory-optimized policy (ORT_ENABLE_ALL, memory pattern, sequential,
// initializers through the device allocator), changed by each --set (issue 20: which option
// costs or saves what):
//   graph=basic|extended|all   the graph optimization level (all: NCHWc layouts, reordered
//                              weight copies)
//   mempattern=0               no memory pattern
//   arena=0                    no CPU arena (malloc per tensor)
//   arena=env                  dlc's shared arena on the env (OrtRuntime: grows by what is
//                              requested, kSameAsRequested) instead of the session's own
//   shrink=1                   every run gives the arena's free regions back (what dlc's
//                              CPU calls do: memory.enable_memory_arena_shrinkage)
//   nodestats=CSV              ORT writes each node's output and scratch bytes to CSV
//                              (session.collect_node_memory_stats_to_file)
// With the arena on, --run also prints the arena's most in use and reserved bytes.
// --run N runs the model N times on fixed pseudo-random inputs: peak and RSS during the runs,
// the median call in ms (a timing on a shared machine: say its load), and an FNV-1a hash of the
// outputs' bytes, so two settings' outputs can be compared bit for bit.
// Prints one line per way, MB = 2^20 bytes.

#include <fcntl.h>
#include <malloc.h>
#include <onnxruntime_cxx_api.h>
#include <onnxruntime_session_options_config_keys.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/onnx_file.hpp"
#include "runtime/ort_runtime.hpp"

namespace {

double status_mb(std::string_view key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(key)) {
      double kb = 0;
      const auto at = line.find_first_of("0123456789");
      std::from_chars(line.data() + at, line.data() + line.size(), kb);
      return kb / 1024.0;
    }
  }
  return 0;
}

void clear_peak() { std::ofstream("/proc/self/clear_refs") << "5"; }

struct Settings {
  GraphOptimizationLevel graph = GraphOptimizationLevel::ORT_ENABLE_ALL;
  bool memory_pattern = true;
  bool arena = true;
  bool env_arena = false;
  std::string node_stats;  // session.collect_node_memory_stats_to_file
  bool shrink = false;     // every run with memory.enable_memory_arena_shrinkage
};

bool apply_setting(Settings& settings, std::string_view option) {
  if (option == "graph=basic") settings.graph = GraphOptimizationLevel::ORT_ENABLE_BASIC;
  else if (option == "graph=extended") settings.graph = GraphOptimizationLevel::ORT_ENABLE_EXTENDED;
  else if (option == "graph=all") settings.graph = GraphOptimizationLevel::ORT_ENABLE_ALL;
  else if (option == "mempattern=0") settings.memory_pattern = false;
  else if (option == "arena=0") settings.arena = settings.env_arena = false;
  else if (option == "arena=env") settings.env_arena = true;
  else if (option == "shrink=1") settings.shrink = true;
  else if (option.starts_with("nodestats=")) settings.node_stats = option.substr(std::string_view("nodestats=").size());
  else return false;
  return true;
}

Ort::SessionOptions dlc_options(int threads, bool prepack, const Settings& settings) {
  Ort::SessionOptions options;
  options.SetGraphOptimizationLevel(settings.graph);
  if (settings.memory_pattern) options.EnableMemPattern();
  else options.DisableMemPattern();
  if (settings.arena) options.EnableCpuMemArena();
  else options.DisableCpuMemArena();
  options.SetExecutionMode(ExecutionMode::ORT_SEQUENTIAL);
  options.SetIntraOpNumThreads(threads);
  options.AddConfigEntry(kOrtSessionOptionsUseDeviceAllocatorForInitializers, "1");
  if (!prepack) options.AddConfigEntry(kOrtSessionOptionsConfigDisablePrepacking, "1");
  if (settings.env_arena) options.AddConfigEntry(kOrtSessionOptionsConfigUseEnvAllocators, "1");
  if (!settings.node_stats.empty()) {
    options.AddConfigEntry(kOrtSessionOptionsCollectNodeMemoryStatsToFile, settings.node_stats.c_str());
  }
  return options;
}

// FNV-1a over the outputs' bytes.
std::uint64_t hash_outputs(const std::vector<Ort::Value>& outputs) {
  std::uint64_t hash = 1469598103934665603ULL;
  for (const auto& value : outputs) {
    const auto info = value.GetTensorTypeAndShapeInfo();
    const auto* bytes = static_cast<const unsigned char*>(value.GetTensorRawData());
    const std::size_t size = info.GetElementCount() * sizeof(float);
    for (std::size_t i = 0; i < size; ++i) hash = (hash ^ bytes[i]) * 1099511628211ULL;
  }
  return hash;
}

struct RunResult {
  double median_ms = 0;
  std::uint64_t hash = 0;
};

RunResult run_model(Ort::Session& session, int runs, const Settings& settings) {
  Ort::RunOptions run_options;
  if (settings.shrink) run_options.AddConfigEntry("memory.enable_memory_arena_shrinkage", "cpu:0");
  Ort::AllocatorWithDefaultOptions allocator;
  std::vector<Ort::Value> inputs;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < session.GetInputCount(); ++i) {
    names.emplace_back(session.GetInputNameAllocated(i, allocator).get());
    auto shape = session.GetInputTypeInfo(i).GetTensorTypeAndShapeInfo().GetShape();
    for (auto& d : shape) d = d < 0 ? (shape.size() == 4 ? 640 : 1) : d;
    inputs.push_back(Ort::Value::CreateTensor<float>(allocator, shape.data(), shape.size()));
    auto* data = inputs.back().GetTensorMutableData<float>();
    // Fixed pseudo-random values in [-1, 1): zeros would hide a difference between settings.
    std::uint32_t state = 12345;
    const auto count = inputs.back().GetTensorTypeAndShapeInfo().GetElementCount();
    for (std::size_t k = 0; k < count; ++k) {
      state = state * 1664525U + 1013904223U;
      data[k] = static_cast<float>(state >> 8) / static_cast<float>(1U << 23) - 1.0F;
    }
  }
  std::vector<std::string> out_names;
  for (std::size_t i = 0; i < session.GetOutputCount(); ++i) {
    out_names.emplace_back(session.GetOutputNameAllocated(i, allocator).get());
  }
  std::vector<const char*> in_ptrs, out_ptrs;
  for (auto& n : names) in_ptrs.push_back(n.c_str());
  for (auto& n : out_names) out_ptrs.push_back(n.c_str());
  RunResult result;
  std::vector<double> times;
  for (int r = 0; r < runs; ++r) {
    const auto start = std::chrono::steady_clock::now();
    const auto outputs = session.Run(run_options, in_ptrs.data(), inputs.data(), inputs.size(),
                                     out_ptrs.data(), out_ptrs.size());
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    result.hash = hash_outputs(outputs);
  }
  std::sort(times.begin(), times.end());
  result.median_ms = times[times.size() / 2];
  return result;
}

std::filesystem::path optimized_file(const std::filesystem::path& model) {
  return std::filesystem::path(model.string() + ".ort-optimized.onnx");
}

// ORT writes the graph it runs, after its optimizers, with the weights (also the ones it
// rewrote, and the kernels' pre-packed ones) in FILE.ort-optimized.onnx.data.
void write_optimized(const std::filesystem::path& model, int threads, const Settings& settings) {
  const auto target = optimized_file(model);
  auto options = dlc_options(threads, true, settings);
  options.SetOptimizedModelFilePath(target.c_str());
  options.AddConfigEntry(kOrtSessionOptionsOptimizedModelExternalInitializersFileName,
                         (target.filename().string() + ".data").c_str());
  options.AddConfigEntry(kOrtSessionOptionsOptimizedModelExternalInitializersMinSizeInBytes, "65536");
  options.AddConfigEntry(kOrtSessionOptionsSavePrePackedConstantInitializers, "1");
  Ort::Session session(dlc::runtime::OrtRuntime::instance().env(), dlc::runtime::mapped_model_file(model).c_str(), options);
}

int measure(const std::filesystem::path& model, const std::string& way, int threads, int runs,
            const Settings& settings) {
  auto& env = dlc::runtime::OrtRuntime::instance().env();
  std::filesystem::path file = model;
  if (way.starts_with("external")) file = dlc::runtime::mapped_model_file(model);
  auto load_settings = settings;
  if (way == "optimized") {
    file = optimized_file(model);
    load_settings.graph = GraphOptimizationLevel::ORT_DISABLE_ALL;
  }
  const double base = status_mb("VmRSS");
  clear_peak();
  void* mapped = nullptr;
  std::size_t size = 0;
  Ort::Session session{nullptr};
  const bool prepack = way.find("noprepack") == std::string::npos;
  if (way == "mmap") {
    const int fd = open(model.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    fstat(fd, &st);
    size = static_cast<std::size_t>(st.st_size);
    mapped = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    session = Ort::Session(env, mapped, size, dlc_options(threads, prepack, settings));
    munmap(mapped, size);
  } else {
    session = Ort::Session(env, file.c_str(), dlc_options(threads, prepack, load_settings));
  }
  malloc_trim(0);
  const double peak = status_mb("VmHWM");
  const double steady = status_mb("VmRSS");
  std::printf("%-15s %-28s base %7.1f  load peak %7.1f  steady %7.1f  peak/steady %.3f  (over base: %.1f / %.1f)\n",
              way.c_str(), model.filename().c_str(), base, peak, steady, peak / steady, peak - base, steady - base);
  if (runs > 0) {
    clear_peak();
    const auto result = run_model(session, runs, settings);
    const double run_peak = status_mb("VmHWM");
    malloc_trim(0);
    std::printf("%-15s %-28s after %d run(s): peak %7.1f  rss %7.1f  (over steady: %.1f)  median %.0f ms  outputs %016llx\n",
                way.c_str(), model.filename().c_str(), runs, run_peak, status_mb("VmRSS"), run_peak - steady,
                result.median_ms, static_cast<unsigned long long>(result.hash));
    // The arena's own account: most handed out at once against what it took from the system.
    if (settings.arena) {
      const auto stats = settings.env_arena
                             ? dlc::runtime::OrtRuntime::instance().shared_cpu_arena_stats()
                             : dlc::runtime::parse_allocator_stats(
                                   Ort::Allocator(session, dlc::runtime::OrtRuntime::instance().cpu_memory_info())
                                       .GetStats()
                                       .GetKeyValuePairs());
      std::printf("%-15s %-28s arena: most in use %.1f MB, reserved %.1f MB, %lld allocations, %lld extensions\n",
                  way.c_str(), model.filename().c_str(), static_cast<double>(stats.peak_bytes) / (1 << 20),
                  static_cast<double>(stats.reserved_bytes) / (1 << 20), static_cast<long long>(stats.allocations),
                  static_cast<long long>(stats.extensions));
    }
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // As dlc's main(): blocks of 1 MiB and more get their own mappings, so a tensor malloc'd
  // without the arena (arena=0) goes back to the system when freed.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  std::filesystem::path model;
  std::vector<std::string> ways;
  int threads = 2;
  int runs = 0;
  Settings settings;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--model" && i + 1 < argc) {
      model = argv[++i];
    } else if (arg == "--way" && i + 1 < argc) {
      ways.emplace_back(argv[++i]);
    } else if (arg == "--threads" && i + 1 < argc) {
      threads = std::stoi(argv[++i]);
    } else if (arg == "--run") {
      runs = 1;
      if (i + 1 < argc && argv[i + 1][0] != '-') runs = std::stoi(argv[++i]);
    } else if (arg == "--set" && i + 1 < argc && apply_setting(settings, argv[i + 1])) {
      ++i;
    } else {
      std::fprintf(stderr, "usage: dlc_session_load_peak --model FILE [--way path|path-noprepack|mmap|external|external-noprepack|optimized]... "
                           "[--threads N] [--run [N]] [--set graph=basic|extended|all|mempattern=0|arena=0|arena=env|shrink=1|nodestats=CSV]...\n");
      return 2;
    }
  }
  if (model.empty()) {
    std::fprintf(stderr, "dlc_session_load_peak: --model FILE is needed\n");
    return 2;
  }
  if (ways.empty()) ways = {"path", "path-noprepack", "mmap", "external", "external-noprepack"};
  // Written here, before the children measure.
  dlc::runtime::mapped_model_file(model);
  if (std::find(ways.begin(), ways.end(), "optimized") != ways.end() && !std::filesystem::exists(optimized_file(model))) {
    const pid_t writer = fork();
    if (writer == 0) {
      write_optimized(model, threads, settings);
      _exit(0);
    }
    int status = 0;
    waitpid(writer, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  }
  for (const auto& way : ways) {
    const pid_t child = fork();
    if (child == 0) {
      try {
        _exit(measure(model, way, threads, runs, settings));
      } catch (const std::exception& e) {
        std::fprintf(stderr, "%s %s: %s\n", way.c_str(), model.c_str(), e.what());
        _exit(1);
      }
    }
    int status = 0;
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  }
  return 0;
}
