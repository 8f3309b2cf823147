#include "memory/units.hpp"

#include <fmt/format.h>

namespace dlc::memory {

std::string format_gb(std::uint64_t bytes) {
  return fmt::format("{:.1f}GB", static_cast<double>(bytes) / static_cast<double>(1ULL << 30));
}

std::string format_mb(std::uint64_t bytes) {
  return fmt::format("{:.1f} MB", static_cast<double>(bytes) / static_cast<double>(1ULL << 20));
}

}  // namespace dlc::memory
