#include "runtime/providers.hpp"

#include <dlfcn.h>
#include <onnxruntime_cxx_api.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace dlc::runtime {

std::string short_provider_name(std::string_view ort_name) {
  constexpr std::string_view kSuffix = "ExecutionProvider";
  if (ort_name.ends_with(kSuffix)) ort_name.remove_suffix(kSuffix.size());
  std::string name(ort_name);
  std::ranges::transform(name, name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

std::vector<std::string> compiled_providers() {
  std::vector<std::string> names;
  for (const auto& ort_name : Ort::GetAvailableProviders()) names.push_back(short_provider_name(ort_name));
  return names;
}

std::optional<std::string> ort_provider_name(std::string_view short_name) {
  for (const auto& ort_name : Ort::GetAvailableProviders()) {
    if (short_provider_name(ort_name) == short_name) return ort_name;
  }
  return std::nullopt;
}

std::string onnxruntime_library_dir() {
  Dl_info info{};
  // Any function exported by libonnxruntime tells dladdr which file it came from.
  if (dladdr(reinterpret_cast<void*>(&OrtGetApiBase), &info) == 0 || info.dli_fname == nullptr) return {};
  return std::filesystem::path(info.dli_fname).parent_path().string();
}

bool cuda_provider_library_present() {
  const auto dir = onnxruntime_library_dir();
  return !dir.empty() && std::filesystem::exists(std::filesystem::path(dir) / "libonnxruntime_providers_cuda.so");
}

}  // namespace dlc::runtime
