#include "media/opencv_live.hpp"

#include "media/install_layout.hpp"

#include <dlfcn.h>

#include <fmt/format.h>

#include <atomic>
#include <cstdlib>
#include <mutex>

namespace dlc::media {
namespace {

// The module's handle, owned by the process: it is never closed, because Qt and OpenCV's
// backends leave threads, atexit handlers and thread-local state behind that would point into
// unmapped code after dlclose.
struct LoadedModule {
  std::mutex mutex;
  void* handle = nullptr;
  std::atomic<const OpenCvLiveApi*> api{nullptr};
};

LoadedModule& module() {
  static LoadedModule* loaded = new LoadedModule;  // never destroyed, see above
  return *loaded;
}

}  // namespace

// Beside the binary in the build tree; in PREFIX/lib/dlc once installed.
std::filesystem::path opencv_live_path() { return module_path("DLC_LIVE_MODULE", DLC_LIVE_MODULE_NAME); }

const OpenCvLiveApi* load_opencv_live(std::string& error) {
  auto& m = module();
  std::lock_guard lock(m.mutex);
  if (const auto* api = m.api.load()) return api;
  const auto path = opencv_live_path();
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    error = fmt::format("{} cannot be loaded ({}): it is built with dlc and belongs next to the dlc binary (installed: "
                        "in {}), or DLC_LIVE_MODULE names it",
                        path.string(), why != nullptr ? why : "dlopen failed", installed_lib_dir().string());
    return nullptr;
  }
  const auto entry = reinterpret_cast<OpenCvLiveEntry>(dlsym(handle, kOpenCvLiveEntry));
  const OpenCvLiveApi* api = entry != nullptr ? entry() : nullptr;
  if (api == nullptr || api->abi != kOpenCvLiveAbi || api->open_capture == nullptr || api->open_window == nullptr) {
    error = fmt::format("{} is not this dlc's module ({}): rebuild dlc", path.string(),
                        entry == nullptr ? fmt::format("it has no {}", kOpenCvLiveEntry) : "a different version");
    dlclose(handle);
    return nullptr;
  }
  m.handle = handle;
  m.api = api;
  return api;
}

bool opencv_live_loaded() { return module().api.load() != nullptr; }

}  // namespace dlc::media
