#include "media/install_layout.hpp"

#include <system_error>

namespace dlc::media {

std::filesystem::path executable_dir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path(".") : exe.parent_path();
}

std::filesystem::path installed_lib_dir() { return executable_dir().parent_path() / "lib" / "dlc"; }

std::filesystem::path installed_data_dir() { return executable_dir().parent_path() / "share" / "dlc"; }

}  // namespace dlc::media
