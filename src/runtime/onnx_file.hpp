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

// ONNX Runtime maps external data whose offset is a multiple of the page size instead of
// reading it into memory (onnxruntime/core/graph/model_saving_options.h: "To use mmap, each
// offset need to be aligned"; 4096 on Linux).
constexpr std::uint64_t kExternalDataAlignment = 4096;
// Tensors from this size on go to the data file: below it the padding to the alignment would
// cost more than a copy in the heap (at most 6 % here).
constexpr std::uint64_t kExternalDataMinBytes = 64 * 1024;

// Writes `copy`, the same model as `model` with the raw bytes of every floating-point initializer
// of at least min_bytes moved to `copy`.data beside it (TensorProto.external_data, offsets aligned to
// kExternalDataAlignment), so that ONNX Runtime maps those weights rather than parsing them into
// the heap and then copying them into tensors. Every other byte of the model is copied as it is;
// the data are streamed through a small buffer, never all in memory. Returns how many tensors
// moved (0: nothing was written, also for a model that already has external data). Throws
// ModelError when the model is not a valid ONNX model, std::system_error when a file cannot be
// written. Writes
// whole files under the given names: the caller renames temporary names into place.
// `data_name` is the name `copy` refers to its data file by (ONNX Runtime looks for it in the
// copy's folder): copy_data's name once renamed.
std::size_t write_external_data_copy(const std::filesystem::path& model, const std::filesystem::path& copy,
                                     const std::filesystem::path& copy_data, const std::string& data_name,
                                     std::uint64_t min_bytes = kExternalDataMinBytes);

// The file ONNX Runtime should load for `model`: its external-data copy in .dlc-mapped/ beside it
// (written the first time, named after the model's size and modification time, so a changed
// model gets a new one and the old one is removed), or `model` itself when it has no tensor worth
// moving, or when the copy cannot be written (then one warning per file says why).
std::filesystem::path mapped_model_file(const std::filesystem::path& model,
                                        std::uint64_t min_bytes = kExternalDataMinBytes);

// Whether mapped_model_file(model, min_bytes) would give a mapped copy, found out without writing
// anything: the copy is there, or the model has a tensor worth moving and .dlc-mapped/ beside it
// is a folder dlc may write in (or can be made). For the plan: a run it refuses (exit 5) leaves no
// copy behind; the copy is written when the model is loaded. False for a file it cannot read.
bool mapped_copy_available(const std::filesystem::path& model, std::uint64_t min_bytes = kExternalDataMinBytes);

// Where ONNX Runtime's optimized graph of a mapped copy (.dlc-mapped/NAME.onnx) is kept:
// NAME.ort-KEY.onnx beside it (its weights in NAME.ort-KEY.onnx.data), KEY following ONNX
// Runtime's version and the CPU's instruction sets, which the rewritten and pre-packed weights
// depend on. ModelSession writes and loads it.
std::filesystem::path optimized_copy_name(const std::filesystem::path& mapped);
// Whether the optimized copy of `model`'s mapped copy is there (nothing is written).
bool optimized_copy_available(const std::filesystem::path& model);
// Whether the first CPU session of `model` would write its optimized copy: the mapped copy is
// there or can be written (mapped_copy_available) and the optimized copy is not (nothing is written).
bool optimized_copy_missing(const std::filesystem::path& model);

}  // namespace dlc::runtime
