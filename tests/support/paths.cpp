#include "support/paths.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace dlc::test {

std::filesystem::path fixture_model(const char* name) { return std::filesystem::path(DLC_FIXTURE_DIR) / name; }

std::filesystem::path source_tree_file(const char* relative) { return std::filesystem::path(DLC_SOURCE_DIR) / relative; }

std::filesystem::path dlc_binary() { return DLC_BINARY; }

std::filesystem::path make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "dlc-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

}  // namespace dlc::test
