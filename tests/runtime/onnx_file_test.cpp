#include "runtime/onnx_file.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "support/paths.hpp"

namespace dlc::runtime {
namespace {

std::vector<std::string> describe_all(const std::vector<TensorInfo>& tensors) {
  std::vector<std::string> text;
  for (const auto& t : tensors) text.push_back(describe(t));
  return text;
}

// The scan reads what ONNX Runtime reads, without loading the weights.
TEST(OnnxFile, SignatureMatchesTheSession) {
  for (const char* name : {"det_10g.onnx", "w600k_r50.onnx", "2d106det.onnx", "inswapper_128.onnx", "GFPGANv1.4.onnx"}) {
    const auto info = scan_onnx_file(test::fixture_model(name));
    ModelSession session(test::fixture_model(name), SessionPolicy{});
    EXPECT_EQ(describe_all(info.inputs), describe_all(session.inputs())) << name;
    EXPECT_EQ(describe_all(info.outputs), describe_all(session.outputs())) << name;
    EXPECT_EQ(info.ir_version, 8) << name;
  }
}

TEST(OnnxFile, InswapperEmapIsTheLastInitializer) {
  const auto path = test::fixture_model("inswapper_128.onnx");
  const auto info = scan_onnx_file(path);
  ASSERT_TRUE(info.last_initializer);
  const auto& emap = *info.last_initializer;
  EXPECT_EQ(emap.name, "emap");
  EXPECT_EQ(emap.dims, (std::vector<std::int64_t>{512, 512}));
  EXPECT_EQ(emap.data_type, 1);
  ASSERT_EQ(emap.raw_size, 512u * 512u * 4u);
  // The fixture's emap[i][j] = ((2i + 3j) % 11 − 5) / 8: read one value at the recorded offset.
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(emap.raw_offset + 4 * (3 * 512 + 5)));
  float value = 0;
  in.read(reinterpret_cast<char*>(&value), sizeof value);
  EXPECT_FLOAT_EQ(value, static_cast<float>((2 * 3 + 3 * 5) % 11 - 5) / 8.0f);
}

TEST(OnnxFile, RealBlazeFaceModel) {
  const auto model = test::source_tree_file("third_party/blazeface/face_detection_front_128x128_barracuda.onnx");
  if (!std::filesystem::exists(model)) GTEST_SKIP() << model << " missing: run scripts/setup.sh";
  const auto info = scan_onnx_file(model);
  ASSERT_EQ(info.inputs.size(), 1u);
  EXPECT_EQ(describe(info.inputs[0]), "input:0 float32 [1,128,128,3]");
  EXPECT_EQ(info.outputs.size(), 4u);
  EXPECT_GT(info.initializer_count, 10u);
}

TEST(OnnxFile, GarbageAndMissingFilesAreModelErrors) {
  const auto dir = test::make_temp_dir();
  std::ofstream(dir / "garbage.onnx") << "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff not a model";
  std::ofstream(dir / "text.onnx") << "hello world, I am not protobuf";
  EXPECT_THROW(scan_onnx_file(dir / "garbage.onnx"), ModelError);
  EXPECT_THROW(scan_onnx_file(dir / "text.onnx"), ModelError);
  EXPECT_THROW(scan_onnx_file(dir / "missing.onnx"), ModelError);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dlc::runtime
