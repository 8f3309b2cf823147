#include <dlfcn.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "app/exit_codes.hpp"
#include "app/machine.hpp"
#include "media/ffmpeg_info.hpp"
#include "media/opencv_info.hpp"
#include "memory/units.hpp"
#include "runtime/ort_runtime.hpp"
#include "runtime/providers.hpp"
#include "runtime/session_policy.hpp"

namespace dlc::app {
namespace {

using nlohmann::json;

// The encoders dlc offers (--video-encoder) and the NVENC ones it switches to on CUDA.
constexpr const char* kEncoders[] = {"libx264", "libx265", "libvpx-vp9", "h264_nvenc", "hevc_nvenc"};

// NVIDIA libraries ONNX Runtime's CUDA (13) and TensorRT (10) providers load.
constexpr const char* kGpuLibraries[] = {"libcuda.so.1",     "libcudart.so.13", "libcublas.so.13",
                                         "libcublasLt.so.13", "libcudnn.so.9",   "libnvinfer.so.10"};

// Left loaded: diagnose ends soon, and unloading libraries with their own C++ runtimes inside
// leaves their start-up allocations orphaned (leak reports under LeakSanitizer).
bool library_loads(const char* name) { return dlopen(name, RTLD_LAZY | RTLD_LOCAL) != nullptr; }

// The GPU providers dlc configures are probed by loading them; others are only listed, since
// probing one (WebGPU) prints driver noise of its own.
json provider_status() {
  json status = json::object();
  for (const auto& name : runtime::compiled_providers()) {
    if (name == "cpu" || name == "cuda" || name == "tensorrt") {
      const auto problem = runtime::provider_load_problem(name);
      status[name] = problem.empty() ? "loads" : "cannot load: " + problem;
    } else {
      status[name] = "compiled in (not probed)";
    }
  }
  return status;
}

json opencv_status() {
  const auto info = media::probe_opencv();
  return {{"version", info.version}, {"video_backends", info.video_backends}};
}

json ffmpeg_status() {
  const auto info = media::probe_ffmpeg();
  if (!info.found) return {{"found", false}, {"problem", info.problem}};
  json encoders = json::object();
  for (const auto* name : kEncoders) encoders[name] = info.encoders.contains(name);
  return {{"found", true}, {"version", info.version}, {"encoders", encoders}};
}

json optional_bytes(const std::optional<std::uint64_t>& value) { return value ? json(*value) : json(nullptr); }

json diagnosis() {
  // Before the probes below map ONNX Runtime's providers and the NVIDIA libraries.
  const auto process = memory::read_process_memory().value_or(memory::ProcessMemory{});
  const auto facts = read_machine_facts();
  json doc;
  doc["system"] = {{"total_bytes", facts.system.total_bytes},
                   {"available_bytes", facts.system.available_bytes},
                   {"used_bytes", facts.system.used_bytes()},
                   {"physical_total_bytes", facts.system.physical_total_bytes},
                   {"cgroup_limit_bytes", optional_bytes(facts.system.cgroup_limit_bytes)},
                   {"swap_used_bytes", facts.system.swap_used_bytes},
                   {"cpu_cores", facts.cores}};
  doc["process"] = {{"rss_bytes", process.rss_bytes}, {"peak_rss_bytes", process.peak_bytes}};
  doc["gpus"] = json::array();
  for (const auto& gpu : facts.gpus) {
    doc["gpus"].push_back({{"index", gpu.index},
                           {"name", gpu.name},
                           {"total_bytes", gpu.total_bytes},
                           {"used_bytes", gpu.used_bytes},
                           {"free_bytes", gpu.free_bytes}});
  }
  json cuda_libraries = json::object();
  for (const auto* name : kGpuLibraries) cuda_libraries[name] = library_loads(name);
  doc["frameworks"] = {{"onnxruntime",
                        {{"version", runtime::OrtRuntime::version()},
                         {"library_dir", runtime::onnxruntime_library_dir()},
                         {"providers", runtime::compiled_providers()},
                         {"provider_status", provider_status()}}},
                       {"cuda_libraries", cuda_libraries},
                       {"ffmpeg", ffmpeg_status()},
                       {"opencv", opencv_status()}};
  doc["bottlenecks"] = json::array();
  for (const auto& b : memory::find_bottlenecks(facts)) {
    doc["bottlenecks"].push_back({{"severity", b.severity}, {"text", b.text}});
  }
  const auto r = memory::recommend(facts);
  doc["recommendation"] = {{"tier", r.tier}, {"args", r.args}, {"command", r.command}};
  return doc;
}

std::string percent(std::uint64_t part, std::uint64_t whole) {
  return whole == 0 ? "?" : fmt::format("{:.1f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

void print_text(const json& doc) {
  const auto& sys = doc["system"];
  const auto total = sys["total_bytes"].get<std::uint64_t>();
  const auto used = sys["used_bytes"].get<std::uint64_t>();
  fmt::print("System\n  [DLC.MEMORY] System Memory: {}/{} ({})\n", memory::format_gb(used), memory::format_gb(total),
             percent(used, total));
  fmt::print("  dlc's RSS {}\n", memory::format_mb(doc["process"]["rss_bytes"].get<std::uint64_t>()));
  fmt::print("  available {}, swap in use {}, {} CPU cores\n", memory::format_gb(sys["available_bytes"].get<std::uint64_t>()),
             memory::format_gb(sys["swap_used_bytes"].get<std::uint64_t>()), sys["cpu_cores"].get<int>());
  if (!sys["cgroup_limit_bytes"].is_null()) {
    fmt::print("  cgroup limit {} (the machine has {})\n", memory::format_gb(sys["cgroup_limit_bytes"].get<std::uint64_t>()),
               memory::format_gb(sys["physical_total_bytes"].get<std::uint64_t>()));
  }
  fmt::print("GPU\n");
  if (doc["gpus"].empty()) fmt::print("  no GPU found (no NVIDIA driver library, or no device)\n");
  for (const auto& gpu : doc["gpus"]) {
    fmt::print("  [DLC.MEMORY] GPU {} ({}): {}/{}, free {}\n", gpu["index"].get<unsigned>(), gpu["name"].get<std::string>(),
               memory::format_gb(gpu["used_bytes"].get<std::uint64_t>()),
               memory::format_gb(gpu["total_bytes"].get<std::uint64_t>()),
               memory::format_gb(gpu["free_bytes"].get<std::uint64_t>()));
  }
  const auto& fw = doc["frameworks"];
  fmt::print("Frameworks\n  ONNX Runtime {} ({})\n", fw["onnxruntime"]["version"].get<std::string>(),
             fw["onnxruntime"]["library_dir"].get<std::string>());
  for (const auto& [name, status] : fw["onnxruntime"]["provider_status"].items()) {
    fmt::print("    {:<10} {}\n", name, status.get<std::string>());
  }
  std::vector<std::string> found;
  std::vector<std::string> missing;
  for (const auto& [name, loads] : fw["cuda_libraries"].items()) (loads.get<bool>() ? found : missing).push_back(name);
  fmt::print("  NVIDIA libraries found: {}\n  NVIDIA libraries missing: {}\n",
             found.empty() ? "none" : fmt::format("{}", fmt::join(found, " ")),
             missing.empty() ? "none" : fmt::format("{}", fmt::join(missing, " ")));
  if (fw["ffmpeg"]["found"].get<bool>()) {
    std::vector<std::string> encoders;
    for (const auto& [name, has] : fw["ffmpeg"]["encoders"].items()) {
      encoders.push_back(has.get<bool>() ? name : fmt::format("{} (missing)", name));
    }
    fmt::print("  {}\n    encoders compiled in: {}\n", fw["ffmpeg"]["version"].get<std::string>(), fmt::join(encoders, ", "));
  } else {
    fmt::print("  ffmpeg: not found ({})\n", fw["ffmpeg"]["problem"].get<std::string>());
  }
  fmt::print("  OpenCV {}, video backends compiled in: {}\n", fw["opencv"]["version"].get<std::string>(),
             fmt::join(fw["opencv"]["video_backends"].get<std::vector<std::string>>(), ", "));
  fmt::print("Bottlenecks\n");
  if (doc["bottlenecks"].empty()) fmt::print("  none found\n");
  for (const auto& b : doc["bottlenecks"]) {
    fmt::print("  [{}] {}\n", b["severity"].get<std::string>(), b["text"].get<std::string>());
  }
  fmt::print("Recommended for this machine (tier {})\n  {}\n", doc["recommendation"]["tier"].get<std::string>(),
             doc["recommendation"]["command"].get<std::string>());
}

}  // namespace

int diagnose_command(const CliOptions& options) {
  const auto doc = diagnosis();
  if (options.json) {
    fmt::print("{}\n", doc.dump(2));
  } else {
    print_text(doc);
  }
  return kExitOk;
}

}  // namespace dlc::app
