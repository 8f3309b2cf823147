// dlc_session_load_peak: what building one ONNX Runtime session costs in RSS at its peak, against
// the RSS once it is built, for each way of handing ORT the model (issue 20, item 2).
//
//   dlc_session_load_peak --model FILE [--way NAME]... [--threads N] [--run]
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
// Session options as dlc's memory-optimized policy (ORT_ENABLE_ALL, memory pattern, sequential,
// initializers through the device allocator). Prints one line per way, MB = 2^20 bytes.

#include <fcntl.h>
#include <malloc.h>
#include <onnxruntime_cxx_api.h>
#include <onnxruntime_session_options_config_keys.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
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

Ort::SessionOptions dlc_options(int threads, bool prepack) {
  Ort::SessionOptions options;
  options.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
  options.EnableMemPattern();
  options.SetExecutionMode(ExecutionMode::ORT_SEQUENTIAL);
  options.SetIntraOpNumThreads(threads);
  options.AddConfigEntry(kOrtSessionOptionsUseDeviceAllocatorForInitializers, "1");
  if (!prepack) options.AddConfigEntry(kOrtSessionOptionsConfigDisablePrepacking, "1");
  return options;
}

void run_once(Ort::Session& session) {
  Ort::AllocatorWithDefaultOptions allocator;
  std::vector<Ort::Value> inputs;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < session.GetInputCount(); ++i) {
    names.emplace_back(session.GetInputNameAllocated(i, allocator).get());
    auto shape = session.GetInputTypeInfo(i).GetTensorTypeAndShapeInfo().GetShape();
    for (auto& d : shape) d = d < 0 ? (shape.size() == 4 ? 640 : 1) : d;
    inputs.push_back(Ort::Value::CreateTensor<float>(allocator, shape.data(), shape.size()));
    auto* data = inputs.back().GetTensorMutableData<float>();
    std::fill(data, data + inputs.back().GetTensorTypeAndShapeInfo().GetElementCount(), 0.0F);
  }
  std::vector<std::string> out_names;
  for (std::size_t i = 0; i < session.GetOutputCount(); ++i) {
    out_names.emplace_back(session.GetOutputNameAllocated(i, allocator).get());
  }
  std::vector<const char*> in_ptrs, out_ptrs;
  for (auto& n : names) in_ptrs.push_back(n.c_str());
  for (auto& n : out_names) out_ptrs.push_back(n.c_str());
  session.Run(Ort::RunOptions{}, in_ptrs.data(), inputs.data(), inputs.size(), out_ptrs.data(), out_ptrs.size());
}

int measure(const std::filesystem::path& model, const std::string& way, int threads, bool run) {
  auto& env = dlc::runtime::OrtRuntime::instance().env();
  std::filesystem::path file = model;
  if (way.starts_with("external")) file = dlc::runtime::mapped_model_file(model);
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
    session = Ort::Session(env, mapped, size, dlc_options(threads, prepack));
    munmap(mapped, size);
  } else {
    session = Ort::Session(env, file.c_str(), dlc_options(threads, prepack));
  }
  malloc_trim(0);
  const double peak = status_mb("VmHWM");
  const double steady = status_mb("VmRSS");
  std::printf("%-15s %-28s base %7.1f  load peak %7.1f  steady %7.1f  peak/steady %.3f  (over base: %.1f / %.1f)\n",
              way.c_str(), model.filename().c_str(), base, peak, steady, peak / steady, peak - base, steady - base);
  if (run) {
    clear_peak();
    run_once(session);
    malloc_trim(0);
    std::printf("%-15s %-28s after one run: peak %7.1f  rss %7.1f\n", way.c_str(), model.filename().c_str(),
                status_mb("VmHWM"), status_mb("VmRSS"));
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path model;
  std::vector<std::string> ways;
  int threads = 2;
  bool run = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--model" && i + 1 < argc) {
      model = argv[++i];
    } else if (arg == "--way" && i + 1 < argc) {
      ways.emplace_back(argv[++i]);
    } else if (arg == "--threads" && i + 1 < argc) {
      threads = std::stoi(argv[++i]);
    } else if (arg == "--run") {
      run = true;
    } else {
      std::fprintf(stderr, "usage: dlc_session_load_peak --model FILE [--way path|path-noprepack|mmap|external|external-noprepack]... "
                           "[--threads N] [--run]\n");
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
  for (const auto& way : ways) {
    const pid_t child = fork();
    if (child == 0) {
      try {
        _exit(measure(model, way, threads, run));
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
