#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "runtime/model_session.hpp"

namespace dlc::runtime {

// Where a tensor's bytes sit inside a model file.
struct InitializerInfo {
  std::string name;
  std::vector<std::int64_t> dims;
  int data_type = 0;             // TensorProto.DataType: 1 float, 10 float16, ...
  std::uint64_t raw_offset = 0;  // raw_data's first byte in the file (0 when not stored raw)
  std::uint64_t raw_size = 0;
};

// What a model file declares, read by scanning its protobuf stream once with protobuf's
// CodedInputStream: inputs (without initializers that older exporters also list as inputs),
// outputs, and the last initializer. Weights are skipped by seeking, never read, so this costs a
// few reads whatever the file's size; every length is checked against what is left of the file.
struct OnnxFileInfo {
  std::int64_t ir_version = 0;
  std::vector<TensorInfo> inputs;
  std::vector<TensorInfo> outputs;
  std::optional<InitializerInfo> last_initializer;
  std::size_t initializer_count = 0;
  // The names of the graph's first kFirstNodes nodes, in file order (insightface's landmark.py
  // decides a model's input normalisation from them).
  static constexpr std::size_t kFirstNodes = 8;
  std::vector<std::string> first_node_names;
};

// Throws ModelError naming the file and the problem when it cannot be read or is not an ONNX
// model (any malformed, truncated or oversized field).
OnnxFileInfo scan_onnx_file(const std::filesystem::path& path);

}  // namespace dlc::runtime
