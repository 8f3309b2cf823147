#include "processors/swapper_models.hpp"

#include "face/alignment.hpp"

namespace dlc::processors {
namespace {

// FaceFusion's face_helper.py WARP_TEMPLATE_SET 'arcface_112_v1' (normalised to a unit crop).
constexpr std::array<std::array<float, 2>, 5> kArcFace112V1{{{0.35473214f, 0.45658929f},
                                                             {0.64526786f, 0.45658929f},
                                                             {0.50000000f, 0.61154464f},
                                                             {0.37913393f, 0.77687500f},
                                                             {0.62086607f, 0.77687500f}}};

// hyperswap's files are float32 at their boundary (half inside: facefusion-labs hyperswap/src/
// exporting.py casts in and out), with a second output "mask".
SwapperModel hyperswap(std::string_view name, std::string_view file) {
  return {name, {file}, 256, CropTemplate::kArcFace128, {0.5f, 0.5f, 0.5f}, {0.5f, 0.5f, 0.5f}, true,
          SourceInput::kUnitEmbedding, {}, true};
}

}  // namespace

const std::vector<SwapperModel>& swapper_models() {
  // FaceFusion 3.4's model set (face_swapper/core.py): size, template, mean and std; FaceFusion
  // denormalises the output of hyperswap (and ghost, hififace, uniface) but not of inswapper or
  // simswap. simswap_256's converter: 'crossface_simswap' (models-3.4.0), before it
  // 'arcface_converter_w600k_r50_simswap' (models-3.0.0).
  static const std::vector<SwapperModel> models{
      {"inswapper_128", {"inswapper_128.onnx", "inswapper_128_fp16.onnx"}, 128, CropTemplate::kArcFace128,
       {0.0f, 0.0f, 0.0f}, {1.0f, 1.0f, 1.0f}, false, SourceInput::kEmapLatent, {}},
      hyperswap("hyperswap_1a_256", "hyperswap_1a_256.onnx"),
      hyperswap("hyperswap_1b_256", "hyperswap_1b_256.onnx"),
      hyperswap("hyperswap_1c_256", "hyperswap_1c_256.onnx"),
      {"simswap_256", {"simswap_256.onnx"}, 256, CropTemplate::kArcFace112V1, {0.485f, 0.456f, 0.406f},
       {0.229f, 0.224f, 0.225f}, false, SourceInput::kConvertedEmbedding,
       {"crossface_simswap.onnx", "arcface_converter_w600k_r50_simswap.onnx"}},
  };
  return models;
}

const SwapperModel* swapper_model_named(std::string_view name) {
  for (const auto& m : swapper_models()) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::string_view swapper_model_names() {
  return "inswapper_128, hyperswap_1a_256, hyperswap_1b_256, hyperswap_1c_256, simswap_256";
}

std::array<cv::Point2f, 5> crop_template_points(const SwapperModel& model) {
  if (model.crop_template == CropTemplate::kArcFace128) return face::arcface_template(model.size);
  std::array<cv::Point2f, 5> points;
  const auto size = static_cast<float>(model.size);
  for (std::size_t i = 0; i < points.size(); ++i) points[i] = {kArcFace112V1[i][0] * size, kArcFace112V1[i][1] * size};
  return points;
}

}  // namespace dlc::processors
