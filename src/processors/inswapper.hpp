#pragma once

#include <filesystem>
#include <vector>

#include "runtime/model_session.hpp"

namespace dlc::processors {

inline constexpr int kInswapperSize = 128;  // the crop inswapper_128 swaps
inline constexpr int kEmbeddingSize = 512;  // ArcFace's embedding, every swapper's source input

// inswapper's emap: the model file's last initializer, 512×512 float32, read from where the
// protobuf scan finds its raw bytes (1 MiB) without loading the model a second time. Throws
// runtime::ModelError naming the file when it is absent or not 512×512 float32.
std::vector<float> read_emap(const std::filesystem::path& model);

// insightface's latent: normalise(embedding · emap) (inswapper.py: np.dot(latent, emap) / norm).
std::vector<float> inswapper_latent(const std::vector<float>& embedding, const std::vector<float>& emap);

}  // namespace dlc::processors
