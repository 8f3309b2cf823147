#include "processors/inswapper.hpp"
#include "processors/face_swapper.hpp"

#include <gtest/gtest.h>
#include <cmath>
#include <fstream>
#include <numeric>

#include "support/paths.hpp"

namespace dlc::processors {
namespace {

// tools/make_fixture_models.py: emap[i][j] = ((2i + 3j) % 11 − 5) / 8, not symmetric.
float fixture_emap(std::size_t i, std::size_t j) { return static_cast<float>(static_cast<int>((2 * i + 3 * j) % 11) - 5) / 8.0f; }

// insightface: latent = normalise(embedding · emap), computed here independently in doubles.
std::vector<double> expected_latent(const std::vector<float>& embedding) {
  std::vector<double> latent(512, 0.0);
  for (std::size_t i = 0; i < 512; ++i) {
    for (std::size_t j = 0; j < 512; ++j) latent[j] += static_cast<double>(embedding[i]) * fixture_emap(i, j);
  }
  const double norm = std::sqrt(std::inner_product(latent.begin(), latent.end(), latent.begin(), 0.0));
  for (auto& v : latent) v /= norm;
  return latent;
}

std::vector<float> unit_embedding() {
  std::vector<float> e(512);
  for (std::size_t k = 0; k < e.size(); ++k) e[k] = std::sin(0.1f * static_cast<float>(k) + 0.3f);
  const float norm = std::sqrt(std::inner_product(e.begin(), e.end(), e.begin(), 0.0f));
  for (auto& v : e) v /= norm;
  return e;
}

// insightface truncates (astype(np.uint8)); lround would give 128 and 1 here.
TEST(InswapperOutput, TruncatesLikeInsightface) {
  EXPECT_EQ(swapper_output_byte(0.5f), 127);          // 127.5
  EXPECT_EQ(swapper_output_byte(1.9f / 255.0f), 1);   // 1.9
  EXPECT_EQ(swapper_output_byte(1.0f), 255);
  EXPECT_EQ(swapper_output_byte(1.5f), 255);           // clipped
  EXPECT_EQ(swapper_output_byte(-0.2f), 0);
}

TEST(Emap, ReadsTheExactMatrix) {
  const auto emap = read_emap(test::fixture_model("inswapper_128.onnx"));
  ASSERT_EQ(emap.size(), 512u * 512u);
  for (std::size_t i = 0; i < 512; ++i) {
    for (std::size_t j = 0; j < 512; ++j) ASSERT_EQ(emap[i * 512 + j], fixture_emap(i, j)) << i << "," << j;
  }
  // The fp16 file's emap holds the same values, which float16 represents exactly.
  EXPECT_EQ(read_emap(test::fixture_model("inswapper_128_fp16.onnx")), emap);
  // Row-major as stored: a transposed read would give emap[j][i], which differs here.
  EXPECT_NE(fixture_emap(0, 1), fixture_emap(1, 0));
}

TEST(Emap, BadFilesAreClearErrors) {
  const auto dir = test::make_temp_dir();
  const auto source = test::fixture_model("inswapper_128.onnx");
  {
    // Truncated in the middle of the emap.
    std::ifstream in(source, std::ios::binary);
    std::vector<char> bytes(std::filesystem::file_size(source) - 4096);
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::ofstream(dir / "truncated.onnx", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  std::ofstream(dir / "text.onnx") << "not a model at all";
  for (const char* name : {"truncated.onnx", "text.onnx"}) {
    try {
      read_emap(dir / name);
      ADD_FAILURE() << name << ": no error";
    } catch (const runtime::ModelError& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
  // A model whose last initializer is something else.
  EXPECT_THROW(read_emap(test::fixture_model("w600k_r50.onnx")), runtime::ModelError);
  std::filesystem::remove_all(dir);
}

// insightface: latent = normalise(embedding · emap), computed here independently in doubles.
TEST(Inswapper, LatentIsTheNormalisedProduct) {
  const auto embedding = unit_embedding();
  const auto expected = expected_latent(embedding);
  const auto latent = inswapper_latent(embedding, read_emap(test::fixture_model("inswapper_128.onnx")));
  ASSERT_EQ(latent.size(), 512u);
  for (std::size_t j = 0; j < 512; ++j) ASSERT_NEAR(latent[j], expected[j], 1e-5) << j;
}

}  // namespace
}  // namespace dlc::processors
