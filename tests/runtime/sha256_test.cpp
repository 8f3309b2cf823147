#include "runtime/sha256.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string_view>

#include "media/subprocess.hpp"
#include "support/paths.hpp"

namespace dlc::runtime {
namespace {

std::string hash_of(std::string_view text) {
  Sha256 h;
  h.update({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  return to_hex(h.finish());
}

// FIPS 180-4 example vectors.
TEST(Sha256, KnownVectors) {
  EXPECT_EQ(hash_of(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hash_of("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hash_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hash_of(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// The digest does not depend on how the bytes are cut into updates (file_sha256 feeds 1 MiB
// pieces): FIPS 180-4's million 'a's, in pieces on and off the 64-byte block.
TEST(Sha256, PiecesGiveTheWholesDigest) {
  const std::string text(1000000, 'a');
  for (const std::size_t piece : {1u, 63u, 64u, 65u, 4097u}) {
    Sha256 h;
    for (std::size_t at = 0; at < text.size(); at += piece) {
      const auto part = std::string_view(text).substr(at, piece);
      h.update({reinterpret_cast<const std::uint8_t*>(part.data()), part.size()});
    }
    EXPECT_EQ(to_hex(h.finish()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") << piece;
  }
}

TEST(Sha256, FileMatchesCoreutils) {
  const auto model = test::fixture_model("inswapper_128.onnx");
  const auto r = media::run_process({"sha256sum", model.string()});
  if (r.exit_code != 0) GTEST_SKIP() << "no sha256sum here";
  EXPECT_EQ(file_sha256(model), r.out.substr(0, 64));
  EXPECT_THROW(file_sha256("/nonexistent/file"), std::runtime_error);
  EXPECT_THROW(file_sha256("/"), std::runtime_error);  // opens, but cannot be read
}

}  // namespace
}  // namespace dlc::runtime
