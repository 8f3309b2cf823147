#include "runtime/sha256.hpp"

#include <dlfcn.h>
#include <openssl/evp.h>

#include <fstream>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace dlc::runtime {
namespace {

// libcrypto is loaded on the first digest, not linked: mapping it costs every dlc process 1.4 MB
// of RSS at start (README "Start-up cost"), and `--version`, `plan` or a job never hash.
struct Libcrypto {
  decltype(&::EVP_MD_CTX_new) ctx_new = nullptr;
  decltype(&::EVP_MD_CTX_free) ctx_free = nullptr;
  decltype(&::EVP_sha256) sha256 = nullptr;
  decltype(&::EVP_DigestInit_ex) init = nullptr;
  decltype(&::EVP_DigestUpdate) update = nullptr;
  decltype(&::EVP_DigestFinal_ex) final = nullptr;
};

constexpr const char* kLibcrypto = "libcrypto.so.3";

// Never closed: its handle lives as long as the process. Throws std::runtime_error saying what to
// install when the library or one of its functions is missing.
const Libcrypto& libcrypto() {
  static const Libcrypto library = [] {
    void* handle = dlopen(kLibcrypto, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = dlerror();
      throw std::runtime_error(std::string(kLibcrypto) + " cannot be loaded (" +
                               (why != nullptr ? why : "dlopen failed") + "): install libssl3");
    }
    Libcrypto l;
    const auto bind = [handle](const char* name, auto& function) {
      function = reinterpret_cast<std::remove_reference_t<decltype(function)>>(dlsym(handle, name));
      if (function == nullptr) throw std::runtime_error(std::string(kLibcrypto) + " has no " + name);
    };
    bind("EVP_MD_CTX_new", l.ctx_new);
    bind("EVP_MD_CTX_free", l.ctx_free);
    bind("EVP_sha256", l.sha256);
    bind("EVP_DigestInit_ex", l.init);
    bind("EVP_DigestUpdate", l.update);
    bind("EVP_DigestFinal_ex", l.final);
    return l;
  }();
  return library;
}

}  // namespace

void Sha256::FreeContext::operator()(evp_md_ctx_st* context) const { libcrypto().ctx_free(context); }

Sha256::Sha256() : context_(libcrypto().ctx_new()) {
  if (!context_ || libcrypto().init(context_.get(), libcrypto().sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL cannot start a SHA-256 digest");
  }
}

void Sha256::update(std::span<const std::uint8_t> data) {
  if (libcrypto().update(context_.get(), data.data(), data.size()) != 1) {
    throw std::runtime_error("OpenSSL's SHA-256 update failed");
  }
}

std::array<std::uint8_t, 32> Sha256::finish() {
  std::array<std::uint8_t, 32> digest{};
  unsigned int length = 0;
  if (libcrypto().final(context_.get(), digest.data(), &length) != 1 || length != digest.size()) {
    throw std::runtime_error("OpenSSL's SHA-256 finish failed");
  }
  return digest;
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(bytes.size() * 2);
  for (const auto b : bytes) {
    text.push_back(kDigits[b >> 4]);
    text.push_back(kDigits[b & 15]);
  }
  return text;
}

std::string file_sha256(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot be opened for reading");
  Sha256 hash;
  std::vector<char> chunk(1 << 20);
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    hash.update({reinterpret_cast<const std::uint8_t*>(chunk.data()), got});
  }
  if (!in.eof()) throw std::runtime_error(path.string() + ": read error");
  return to_hex(hash.finish());
}

}  // namespace dlc::runtime
