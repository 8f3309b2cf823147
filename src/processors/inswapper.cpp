#include "processors/inswapper.hpp"

#include <cmath>
#include <fstream>
#include <numeric>
#include <stdexcept>

#include "runtime/onnx_file.hpp"

namespace dlc::processors {
namespace {

constexpr int kOnnxFloat = 1;     // TensorProto.FLOAT
constexpr int kOnnxFloat16 = 10;  // TensorProto.FLOAT16

}  // namespace

std::vector<float> read_emap(const std::filesystem::path& model) {
  const auto info = runtime::scan_onnx_file(model);
  if (!info.last_initializer) throw runtime::ModelError(model, "has no initializers, so no emap");
  const auto& emap = *info.last_initializer;
  constexpr auto kCount = static_cast<std::size_t>(kEmbeddingSize) * kEmbeddingSize;
  const bool half = emap.data_type == kOnnxFloat16;
  const std::uint64_t expected = kCount * (half ? sizeof(std::uint16_t) : sizeof(float));
  if ((emap.data_type != kOnnxFloat && !half) || emap.dims != std::vector<std::int64_t>{kEmbeddingSize, kEmbeddingSize} ||
      emap.raw_size != expected) {
    throw runtime::ModelError(model, "its last initializer '" + emap.name +
                                         "' is not inswapper's emap (512×512 float32 or float16, stored raw)");
  }
  std::ifstream in(model, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(emap.raw_offset));
  // ONNX stores raw data little-endian, as this machine is.
  std::vector<float> values(kCount);
  if (half) {
    std::vector<Ort::Float16_t> raw(kCount);
    in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(expected));
    for (std::size_t i = 0; i < kCount; ++i) values[i] = raw[i].ToFloat();
  } else {
    in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(expected));
  }
  if (!in) throw runtime::ModelError(model, "ends inside the emap");
  return values;
}

std::vector<float> inswapper_latent(const std::vector<float>& embedding, const std::vector<float>& emap) {
  if (embedding.size() != static_cast<std::size_t>(kEmbeddingSize) ||
      emap.size() != static_cast<std::size_t>(kEmbeddingSize) * kEmbeddingSize) {
    throw std::invalid_argument("inswapper_latent: expects a 512 embedding and a 512×512 emap");
  }
  std::vector<double> latent(kEmbeddingSize, 0.0);
  for (int i = 0; i < kEmbeddingSize; ++i) {
    const double e = embedding[static_cast<std::size_t>(i)];
    const float* row = emap.data() + static_cast<std::size_t>(i) * kEmbeddingSize;
    for (int j = 0; j < kEmbeddingSize; ++j) latent[static_cast<std::size_t>(j)] += e * row[j];
  }
  const double norm = std::sqrt(std::inner_product(latent.begin(), latent.end(), latent.begin(), 0.0));
  std::vector<float> result(kEmbeddingSize);
  for (std::size_t j = 0; j < result.size(); ++j) result[j] = norm > 0 ? static_cast<float>(latent[j] / norm) : 0.0f;
  return result;
}

}  // namespace dlc::processors
