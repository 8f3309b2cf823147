#pragma once

#include <filesystem>

namespace dlc::test {

// Generated fixture models (build/fixtures).
std::filesystem::path fixture_model(const char* name);
// Files fetched by scripts/setup.sh: third_party/... and .cache/media/...
std::filesystem::path source_tree_file(const char* relative);
// The dlc binary under test.
std::filesystem::path dlc_binary();
// A fresh empty folder under the system's temporary folder, removed by the caller.
std::filesystem::path make_temp_dir();

}  // namespace dlc::test
