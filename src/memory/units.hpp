#pragma once

#include <cstdint>
#include <string>

namespace dlc::memory {

// Deep-Live-Cam's "GB": 2^30 bytes with one decimal ("16.0GB" for 16 GiB), used in every line
// that keeps its format.
std::string format_gb(std::uint64_t bytes);
// 2^20 bytes with one decimal and a space: "45.2 MB".
std::string format_mb(std::uint64_t bytes);

// A file or buffer size with a unit that fits it: "812 B", "4.8 KB", "16.1 MB", "1.2 GB"
// (binary multiples).
std::string format_size(std::uint64_t bytes);

}  // namespace dlc::memory
