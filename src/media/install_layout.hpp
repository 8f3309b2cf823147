#pragma once

#include <filesystem>

namespace dlc::media {

// Where the running dlc binary is, and the folders an installed dlc has beside it (cmake
// --install, the .deb): PREFIX/bin/dlc, PREFIX/lib/dlc/ (its module and ONNX Runtime),
// PREFIX/share/dlc/ (BlazeFace, the manifest). In the build tree the binary sits in build/ and
// these folders do not exist, so callers try them after the build tree's own places.
std::filesystem::path executable_dir();
std::filesystem::path installed_lib_dir();   // executable_dir()/../lib/dlc
std::filesystem::path installed_data_dir();  // executable_dir()/../share/dlc

}  // namespace dlc::media
