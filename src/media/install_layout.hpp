#pragma once

#include <filesystem>
#include <string>

namespace dlc::media {

// Where the running dlc binary is, and the folders an installed dlc has beside it (cmake
// --install, the .deb): PREFIX/bin/dlc, PREFIX/lib/dlc/ (its module and ONNX Runtime),
// PREFIX/share/dlc/ (BlazeFace, the manifest). In the build tree the binary sits in build/ and
// these folders do not exist, so callers try them after the build tree's own places.
std::filesystem::path executable_dir();
std::filesystem::path installed_lib_dir();   // executable_dir()/../lib/dlc
std::filesystem::path installed_data_dir();  // executable_dir()/../share/dlc

// Where one of dlc's modules (a .so it loads with dlopen when a command needs it) is: $env_var
// when set, else beside the running binary (the build tree), else installed_lib_dir() if it is there.
std::filesystem::path module_path(const char* env_var, const char* file_name);

// Opens that module and returns its exported symbol entry, or nullptr with error naming the
// file, why, and where it belongs. A module found is never closed: it lives as long as the process.
void* open_module(const char* env_var, const char* file_name, const char* entry, std::string& error);

}  // namespace dlc::media
