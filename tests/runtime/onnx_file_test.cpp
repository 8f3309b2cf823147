#include "runtime/onnx_file.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string_view>

#include "runtime/ort_runtime.hpp"

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

// The fixture inswapper's nodes, in the order make_fixture_models.py writes them.
TEST(OnnxFile, FirstNodeNamesInFileOrder) {
  const auto info = scan_onnx_file(test::fixture_model("inswapper_128.onnx"));
  const std::vector<std::string> expected{"shift_matmul", "shift_abs", "shift_reshape", "invert", "shift", "clip"};
  EXPECT_EQ(info.first_node_names, expected);
  EXPECT_EQ(scan_onnx_file(test::fixture_model("2d106det.onnx")).first_node_names,
            (std::vector<std::string>{"gap", "flatten", "fc"}));
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

// A file is read once while it stays the same (inode, size, modification time): the plan, the
// copies' check, the analyser and the chain all ask. Bytes changed behind the same size and time
// are not seen (that is the point: no read); a file of another size is read again.
TEST(OnnxFile, ScanIsReadOnceWhileTheFileStaysTheSame) {
  const auto dir = test::make_temp_dir();
  const auto model = dir / "model.onnx";
  std::filesystem::copy_file(test::fixture_model("2d106det.onnx"), model);
  const auto first = scan_onnx_file(model);
  ASSERT_TRUE(mapped_copy_available(model, 0));
  const auto modified = std::filesystem::last_write_time(model);
  const auto size = std::filesystem::file_size(model);
  {
    std::ofstream garbage(model, std::ios::binary | std::ios::trunc);
    garbage << std::string(size, '\xff');
  }
  std::filesystem::last_write_time(model, modified);
  EXPECT_EQ(scan_onnx_file(model).first_node_names, first.first_node_names);
  EXPECT_TRUE(mapped_copy_available(model, 0));
  std::filesystem::resize_file(model, size + 1);
  EXPECT_THROW(scan_onnx_file(model), ModelError);
  EXPECT_FALSE(mapped_copy_available(model, 0));
  std::filesystem::remove(model);
  std::filesystem::copy_file(test::fixture_model("det_10g.onnx"), model);
  EXPECT_EQ(describe_all(scan_onnx_file(model).inputs), describe_all(scan_onnx_file(test::fixture_model("det_10g.onnx")).inputs));
  std::filesystem::remove_all(dir);
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

// The hostile inputs of issue 19: a length whose sum with the position wrapped (it hung the old
// reader forever) and one that asked for a string of 2^64 − 16 bytes (std::length_error).
std::string scan_error(const std::filesystem::path& file) {
  try {
    scan_onnx_file(file);
  } catch (const ModelError& e) {
    return e.what();
  }
  return "no error";
}

std::filesystem::path write_file(const std::filesystem::path& file, std::string_view bytes) {
  std::ofstream(file, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return file;
}

TEST(OnnxFile, LengthsBeyondTheFileAreModelErrorsNotHangs) {
  const auto dir = test::make_temp_dir();
  // Field 3 (length-delimited) claiming 2^64 − 11 bytes: position + length wrapped to 0.
  const auto wrap = write_file(dir / "wrap.onnx", "\x1a\xf5\xff\xff\xff\xff\xff\xff\xff\xff\x01");
  EXPECT_EQ(scan_error(wrap), wrap.string() +
                                  ": not a valid ONNX model (a field at byte 1 claims 18446744073709551605 bytes "
                                  "where 0 are left)");
  // ir_version 8, a graph of 6 bytes holding an input whose name claims 2^64 − 16 bytes.
  const auto huge_name = write_file(dir / "name.onnx", std::string_view("\x08\x08\x3a\x0f\x5a\x0d\x0a\xf0\xff\xff\xff\xff\xff\xff\xff\xff\x01xy", 19));
  EXPECT_NE(scan_error(huge_name).find("claims 18446744073709551600 bytes where 2 are left"), std::string::npos)
      << scan_error(huge_name);
  // A graph that says it is longer than the file.
  const auto long_graph = write_file(dir / "graph.onnx", std::string_view("\x08\x08\x3a\x7f\x00", 5));
  EXPECT_NE(scan_error(long_graph).find("claims 127 bytes where 1 are left"), std::string::npos) << scan_error(long_graph);
  // A number that never ends, a fixed64 cut short, field number 0.
  EXPECT_NE(scan_error(write_file(dir / "varint.onnx", "\x08\xff\xff")).find("cut off"), std::string::npos);
  EXPECT_NE(scan_error(write_file(dir / "fixed.onnx", "\x09\x01\x02")).find("runs past its message"), std::string::npos);
  EXPECT_NE(scan_error(write_file(dir / "zero.onnx", std::string_view("\x02\x00", 2))).find("field number 0"), std::string::npos);
  std::filesystem::remove_all(dir);
}

// Cut anywhere, a real model is either still readable (the cut fell after the graph) or an error
// naming the file, never a crash or a hang.
TEST(OnnxFile, EveryTruncationIsReadOrRefused) {
  const auto model = test::fixture_model("2d106det.onnx");
  std::ifstream in(model, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  ASSERT_GT(bytes.size(), 1000u);
  const auto dir = test::make_temp_dir();
  std::size_t refused = 0;
  for (std::size_t cut = 0; cut < bytes.size(); cut += bytes.size() / 97 + 1) {
    const auto file = write_file(dir / "cut.onnx", std::string_view(bytes).substr(0, cut));
    const auto error = scan_error(file);
    if (error != "no error") {
      ++refused;
      EXPECT_EQ(error.rfind(file.string() + ": not ", 0), 0u) << error;
    }
  }
  EXPECT_GT(refused, 90u);  // the graph's I/O sits at its end: nearly every cut loses it
  std::filesystem::remove_all(dir);
}

// The weights are skipped by seeking: scanning the swapper reads a small part of its bytes
// (/proc/self/io's rchar counts every byte read by this process).
std::uint64_t bytes_read_so_far() {
  std::ifstream io("/proc/self/io");
  std::string key;
  std::uint64_t value = 0;
  while (io >> key >> value) {
    if (key == "rchar:") return value;
  }
  return 0;
}

TEST(OnnxFile, ScanDoesNotReadTheWeights) {
  const auto model = test::fixture_model("inswapper_128.onnx");
  const auto size = std::filesystem::file_size(model);
  ASSERT_GT(size, 1u << 20);  // the 512×512 float emap
  const auto before = bytes_read_so_far();
  if (before == 0) GTEST_SKIP() << "/proc/self/io is not readable here";
  const auto info = scan_onnx_file(model);
  const auto read = bytes_read_so_far() - before;
  EXPECT_EQ(info.inputs.size(), 2u);
  EXPECT_LT(read, size / 8) << read << " of " << size << " bytes read";
}

// Runs a model with plain ONNX Runtime on inputs made from its signature (a dynamic dimension: 1
// for a batch, 64 for an image side), returns every output's bytes.
std::vector<std::string> run_bytes(const std::filesystem::path& model) {
  Ort::SessionOptions options;
  options.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
  options.SetIntraOpNumThreads(1);
  Ort::Session session(OrtRuntime::instance().env(), model.c_str(), options);
  Ort::AllocatorWithDefaultOptions allocator;
  std::vector<Ort::Value> inputs;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < session.GetInputCount(); ++i) {
    names.emplace_back(session.GetInputNameAllocated(i, allocator).get());
    auto shape = session.GetInputTypeInfo(i).GetTensorTypeAndShapeInfo().GetShape();
    for (std::size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] < 0) shape[d] = shape.size() == 4 && d >= 2 ? 64 : 1;
    }
    inputs.push_back(Ort::Value::CreateTensor<float>(allocator, shape.data(), shape.size()));
    auto* data = inputs.back().GetTensorMutableData<float>();
    const auto count = inputs.back().GetTensorTypeAndShapeInfo().GetElementCount();
    for (std::size_t k = 0; k < count; ++k) data[k] = std::sin(0.37f * static_cast<float>(k));
  }
  std::vector<std::string> output_names;
  for (std::size_t i = 0; i < session.GetOutputCount(); ++i) {
    output_names.emplace_back(session.GetOutputNameAllocated(i, allocator).get());
  }
  std::vector<const char*> in, out;
  for (const auto& n : names) in.push_back(n.c_str());
  for (const auto& n : output_names) out.push_back(n.c_str());
  const auto outputs = session.Run(Ort::RunOptions{}, in.data(), inputs.data(), inputs.size(), out.data(), out.size());
  std::vector<std::string> bytes;
  for (const auto& value : outputs) {
    const auto info = value.GetTensorTypeAndShapeInfo();
    const auto* data = static_cast<const char*>(value.GetTensorRawData());
    bytes.emplace_back(data, info.GetElementCount() * sizeof(float));
  }
  return bytes;
}

// Every raw float tensor moved to the data file (min_bytes 0): the copy runs bit for bit as the model.
TEST(OnnxFile, ExternalDataCopyGivesIdenticalOutputs) {
  const auto dir = test::make_temp_dir();
  for (const char* name : {"det_10g.onnx", "w600k_r50.onnx", "2d106det.onnx", "inswapper_128.onnx", "GFPGANv1.4.onnx"}) {
    const auto model = test::fixture_model(name);
    const auto copy = dir / name;
    const auto data = dir / (std::string(name) + ".data");
    const auto moved = write_external_data_copy(model, copy, data, data.filename().string(), 0);
    EXPECT_GT(moved, 0u) << name;
    EXPECT_GT(std::filesystem::file_size(data), 0u) << name;
    EXPECT_EQ(run_bytes(copy), run_bytes(model)) << name;
    // The copy's signature is the model's; it has no raw weights left to move.
    EXPECT_EQ(describe_all(scan_onnx_file(copy).inputs), describe_all(scan_onnx_file(model).inputs)) << name;
    EXPECT_EQ(write_external_data_copy(copy, dir / "again.onnx", dir / "again.onnx.data", "again.onnx.data", 0), 0u) << name;
    EXPECT_FALSE(std::filesystem::exists(dir / "again.onnx")) << name;
  }
  std::filesystem::remove_all(dir);
}

// Each moved tensor starts at a multiple of the page size (what ONNX Runtime maps); the bytes
// there are the model's own (the emap's value read back at its new offset).
TEST(OnnxFile, ExternalDataIsAlignedAndHoldsTheWeights) {
  const auto dir = test::make_temp_dir();
  const auto model = test::fixture_model("inswapper_128.onnx");
  ASSERT_EQ(write_external_data_copy(model, dir / "m.onnx", dir / "m.onnx.data", "m.onnx.data"), 1u);  // only emap is over 64 KiB
  const auto emap = *scan_onnx_file(model).last_initializer;
  const auto data_size = std::filesystem::file_size(dir / "m.onnx.data");
  EXPECT_EQ(data_size % kExternalDataAlignment, emap.raw_size % kExternalDataAlignment);
  std::ifstream original(model, std::ios::binary);
  std::ifstream data(dir / "m.onnx.data", std::ios::binary);
  std::string a(emap.raw_size, '\0');
  std::string b(emap.raw_size, '\0');
  original.seekg(static_cast<std::streamoff>(emap.raw_offset));
  original.read(a.data(), static_cast<std::streamsize>(a.size()));
  data.seekg(static_cast<std::streamoff>(data_size - emap.raw_size));
  data.read(b.data(), static_cast<std::streamsize>(b.size()));
  EXPECT_EQ((data_size - emap.raw_size) % kExternalDataAlignment, 0u);
  EXPECT_TRUE(a == b);
  std::filesystem::remove_all(dir);
}

// A model with a tensor worth mapping gets its copy once, beside it; a changed model a new one
// (the old removed); a model with none is loaded as it is; a folder that cannot hold the copy
// falls back to the model with one warning.
TEST(OnnxFile, MappedModelFileIsWrittenOnceAndReplacedWhenTheModelChanges) {
  const auto dir = test::make_temp_dir();
  // Every float tensor moved (min_bytes 0): the fixture's weights are small.
  const auto model = dir / "det_10g.onnx";
  std::filesystem::copy_file(test::fixture_model("det_10g.onnx"), model);
  const auto mapped = mapped_model_file(model, 0);
  EXPECT_EQ(mapped.parent_path(), dir / ".dlc-mapped");
  ASSERT_TRUE(std::filesystem::exists(mapped));
  EXPECT_TRUE(std::filesystem::exists(mapped.string() + ".data"));
  // Written under temporary names: the copy in place finds its data by the final one.
  EXPECT_EQ(run_bytes(mapped), run_bytes(model));
  const auto written = std::filesystem::last_write_time(mapped);
  EXPECT_EQ(mapped_model_file(model, 0), mapped);
  EXPECT_EQ(std::filesystem::last_write_time(mapped), written);

  std::filesystem::last_write_time(model, std::filesystem::last_write_time(model) + std::chrono::seconds(5));
  const auto remapped = mapped_model_file(model, 0);
  EXPECT_NE(remapped, mapped);
  EXPECT_FALSE(std::filesystem::exists(mapped));
  EXPECT_FALSE(std::filesystem::exists(mapped.string() + ".data"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir / ".dlc-mapped"), {}), 2);

  const auto small = dir / "2d106det.onnx";
  std::filesystem::copy_file(test::fixture_model("2d106det.onnx"), small);
  EXPECT_EQ(mapped_model_file(small), small);

  const auto blocked = dir / "blocked";
  std::filesystem::create_directories(blocked);
  std::ofstream(blocked / ".dlc-mapped") << "a file where the folder would go";
  std::filesystem::copy_file(test::fixture_model("inswapper_128.onnx"), blocked / "inswapper_128.onnx");
  EXPECT_EQ(mapped_model_file(blocked / "inswapper_128.onnx"), blocked / "inswapper_128.onnx");
  std::filesystem::remove_all(dir);
}

// Planning asks whether a mapped copy would be loaded without writing one: yes for a model with a
// tensor worth moving beside a folder dlc may write (nothing written), and once the copy is there;
// no for a model with nothing to move, a folder blocked by a file, a file that is not there.
TEST(OnnxFile, MappedCopyAvailableWritesNothing) {
  const auto dir = test::make_temp_dir();
  const auto model = dir / "det_10g.onnx";
  std::filesystem::copy_file(test::fixture_model("det_10g.onnx"), model);
  EXPECT_TRUE(mapped_copy_available(model, 0));
  EXPECT_FALSE(std::filesystem::exists(dir / ".dlc-mapped"));
  const auto mapped = mapped_model_file(model, 0);
  ASSERT_NE(mapped, model);
  EXPECT_TRUE(mapped_copy_available(model, 0));

  const auto small = dir / "2d106det.onnx";
  std::filesystem::copy_file(test::fixture_model("2d106det.onnx"), small);
  EXPECT_FALSE(mapped_copy_available(small));
  EXPECT_FALSE(mapped_copy_available(dir / "absent.onnx", 0));

  const auto blocked = dir / "blocked";
  std::filesystem::create_directories(blocked);
  std::ofstream(blocked / ".dlc-mapped") << "a file where the folder would go";
  std::filesystem::copy_file(test::fixture_model("det_10g.onnx"), blocked / "det_10g.onnx");
  EXPECT_FALSE(mapped_copy_available(blocked / "det_10g.onnx", 0));
  std::filesystem::remove_all(dir);
}

// What a first run's child is started for: a model whose optimized copy a CPU session would write
// (the mapped copy there or writable, the optimized copy not), found out without writing anything;
// not once a session has written it, nor for a model that has no mapped copy to be had.
TEST(OnnxFile, OptimizedCopyMissingUntilASessionWritesIt) {
  const auto dir = test::make_temp_dir();
  const auto model = dir / "inswapper_128.onnx";
  std::filesystem::copy_file(test::fixture_model("inswapper_128.onnx"), model);
  EXPECT_TRUE(optimized_copy_missing(model));
  EXPECT_FALSE(std::filesystem::exists(dir / ".dlc-mapped"));
  { const ModelSession session(model, SessionPolicy{}); }
  EXPECT_TRUE(optimized_copy_available(model));
  EXPECT_FALSE(optimized_copy_missing(model));
  const auto small = dir / "2d106det.onnx";  // no tensor of 64 KiB: nothing to map
  std::filesystem::copy_file(test::fixture_model("2d106det.onnx"), small);
  EXPECT_FALSE(optimized_copy_missing(small));
  EXPECT_FALSE(optimized_copy_missing(dir / "absent.onnx"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dlc::runtime
