#include "media/install_layout.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <system_error>

namespace dlc::media {

std::filesystem::path executable_dir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path(".") : exe.parent_path();
}

std::filesystem::path installed_lib_dir() { return executable_dir().parent_path() / "lib" / "dlc"; }

std::filesystem::path installed_data_dir() { return executable_dir().parent_path() / "share" / "dlc"; }

std::filesystem::path module_path(const char* env_var, const char* file_name) {
  if (const char* path = std::getenv(env_var); path != nullptr && *path != '\0') return path;
  const auto beside = executable_dir() / file_name;
  const auto installed = installed_lib_dir() / file_name;
  std::error_code ec;
  return !std::filesystem::exists(beside, ec) && std::filesystem::exists(installed, ec) ? installed : beside;
}

void* open_module(const char* env_var, const char* file_name, const char* entry, std::string& error) {
  const auto path = module_path(env_var, file_name);
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  void* symbol = handle != nullptr ? dlsym(handle, entry) : nullptr;
  if (symbol == nullptr) {
    const char* why = handle == nullptr ? dlerror() : nullptr;
    error = fmt::format("{} cannot be loaded ({}): it is built with dlc and belongs next to the dlc binary "
                        "(installed: in {}), or {} names it",
                        path.string(), why != nullptr ? why : fmt::format("it has no {}", entry),
                        installed_lib_dir().string(), env_var);
    if (handle != nullptr) dlclose(handle);
  }
  return symbol;
}

}  // namespace dlc::media
