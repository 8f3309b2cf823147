#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace dlc::runtime {

// SHA-256 (FIPS 180-4), for verifying model files and keying caches derived from them.
class Sha256 {
 public:
  Sha256();
  void update(std::span<const std::uint8_t> data);
  std::array<std::uint8_t, 32> finish();

 private:
  void block(const std::uint8_t* data);

  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t length_ = 0;
};

std::string to_hex(std::span<const std::uint8_t> bytes);

// The file's SHA-256 in lowercase hex, read in 1 MiB pieces (constant memory). Throws
// std::runtime_error naming the file when it cannot be read.
std::string file_sha256(const std::filesystem::path& path);

}  // namespace dlc::runtime
