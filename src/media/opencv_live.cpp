#include "media/opencv_live.hpp"

#include "media/install_layout.hpp"

#include <fmt/format.h>

#include <atomic>
#include <mutex>

namespace dlc::media {
namespace {

// The module, once loaded (open_module never closes it: Qt and OpenCV's backends leave threads,
// atexit handlers and thread-local state behind that would point into unmapped code after dlclose).
struct LoadedModule {
  std::mutex mutex;
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
  const auto entry =
      reinterpret_cast<OpenCvLiveEntry>(open_module("DLC_LIVE_MODULE", DLC_LIVE_MODULE_NAME, kOpenCvLiveEntry, error));
  if (entry == nullptr) return nullptr;
  const OpenCvLiveApi* api = entry();
  if (api == nullptr || api->abi != kOpenCvLiveAbi || api->open_capture == nullptr || api->open_window == nullptr) {
    error = fmt::format("{} is not this dlc's module (a different version): rebuild dlc", opencv_live_path().string());
    return nullptr;
  }
  m.api = api;
  return api;
}

bool opencv_live_loaded() { return module().api.load() != nullptr; }

}  // namespace dlc::media
