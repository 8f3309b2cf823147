#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace dlc::runtime {

// SHA-256 (FIPS 180-4) through OpenSSL's EVP interface, for verifying model files and keying
// caches derived from them.
class Sha256 {
 public:
  Sha256();
  void update(std::span<const std::uint8_t> data);
  std::array<std::uint8_t, 32> finish();

 private:
  struct FreeContext {
    void operator()(evp_md_ctx_st* context) const;
  };
  std::unique_ptr<evp_md_ctx_st, FreeContext> context_;
};

std::string to_hex(std::span<const std::uint8_t> bytes);

// The file's SHA-256 in lowercase hex, read in 1 MiB pieces (constant memory). Throws
// std::runtime_error naming the file when it cannot be read.
std::string file_sha256(const std::filesystem::path& path);

}  // namespace dlc::runtime
