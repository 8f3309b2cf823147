#include "memory/units.hpp"

#include <fmt/format.h>

namespace dlc::memory {

std::string format_gb(std::uint64_t bytes) {
  return fmt::format("{:.1f}GB", static_cast<double>(bytes) / static_cast<double>(1ULL << 30));
}

std::string format_mb(std::uint64_t bytes) {
  return fmt::format("{:.1f} MB", static_cast<double>(bytes) / static_cast<double>(1ULL << 20));
}

std::string format_size(std::uint64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (bytes < (1ULL << 10)) return fmt::format("{} B", bytes);
  if (bytes < (1ULL << 20)) return fmt::format("{:.1f} KB", b / (1ULL << 10));
  if (bytes < (1ULL << 30)) return fmt::format("{:.1f} MB", b / (1ULL << 20));
  return fmt::format("{:.1f} GB", b / (1ULL << 30));
}

}  // namespace dlc::memory
