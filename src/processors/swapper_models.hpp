#pragma once

#include <array>
#include <string_view>
#include <vector>

#include <opencv2/core/types.hpp>

namespace dlc::processors {

// How the source face's identity enters a swapper's `source` input.
enum class SourceInput {
  kEmapLatent,          // inswapper: normalise(embedding · emap), emap = the file's last initializer
  kUnitEmbedding,       // hyperswap: ArcFace's embedding of unit length (FaceFusion's embedding_norm)
  kConvertedEmbedding,  // simswap: normalise(converter(raw ArcFace embedding)), a second ONNX file
};

// The five-point template a swapper's crop is aligned to.
enum class CropTemplate {
  kArcFace128,   // insightface's arcface_dst, ×size/128, x + 8·size/128 (FaceFusion's 'arcface_128')
  kArcFace112V1, // FaceFusion's 'arcface_112_v1', ×size
};

// One swapper, as FaceFusion's face_swapper model set describes it (facefusion/processors/modules/
// face_swapper/core.py, 3.4): the crop's size and template, the target input's normalisation
// ((x/255 − mean)/std per RGB channel), whether the output is denormalised the same way (else it is
// already 0..1), and how the source identity enters.
struct SwapperModel {
  std::string_view name;                 // --face-swapper-model
  std::vector<std::string_view> files;   // accepted file names, preferred first
  int size;
  CropTemplate crop_template;
  std::array<float, 3> mean;             // RGB
  std::array<float, 3> std;              // RGB
  bool denormalise_output;
  SourceInput source;
  std::vector<std::string_view> converter_files;  // kConvertedEmbedding: the converter's names
  bool has_mask_output = false;                   // a second output "mask" [1,1,size,size] (unused)
};

// Every swapper dlc runs, inswapper_128 first (Deep-Live-Cam's and the default when present).
const std::vector<SwapperModel>& swapper_models();
// The model of that --face-swapper-model name, or nullptr.
const SwapperModel* swapper_model_named(std::string_view name);
// "inswapper_128, hyperswap_1a_256, ...": for messages and --help.
std::string_view swapper_model_names();

// The crop template of `model` at its size, in crop pixels, Keypoint order.
std::array<cv::Point2f, 5> crop_template_points(const SwapperModel& model);

}  // namespace dlc::processors
