#include "runtime/onnx_file.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <stdexcept>

namespace dlc::runtime {
namespace {

// Field numbers from onnx.proto (onnx/onnx.proto3): ModelProto, GraphProto, ValueInfoProto,
// TypeProto(.Tensor), TensorShapeProto(.Dimension), TensorProto.
constexpr int kModelIrVersion = 1;
constexpr int kModelGraph = 7;
constexpr int kGraphInitializer = 5;
constexpr int kGraphInput = 11;
constexpr int kGraphOutput = 12;
constexpr int kValueInfoName = 1;
constexpr int kValueInfoType = 2;
constexpr int kTypeTensor = 1;
constexpr int kTensorTypeElemType = 1;
constexpr int kTensorTypeShape = 2;
constexpr int kShapeDim = 1;
constexpr int kDimValue = 1;
constexpr int kDimParam = 2;
constexpr int kTensorDims = 1;
constexpr int kTensorDataType = 2;
constexpr int kTensorName = 8;
constexpr int kTensorRawData = 9;

enum WireType { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

class MalformedFile : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads protobuf fields from a file without loading it: a message is a byte range, and a field
// not needed is skipped by seeking.
class ProtoReader {
 public:
  explicit ProtoReader(std::istream& in) : in_(in) {}

  std::uint64_t position() { return static_cast<std::uint64_t>(in_.tellg()); }

  std::uint64_t varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const int byte = in_.get();
      if (byte == EOF) throw MalformedFile("file ends inside a number");
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    throw MalformedFile("number longer than 10 bytes");
  }

  // The next field's (number, wire type) while inside [.., end).
  bool next(std::uint64_t end, int& field, int& wire) {
    if (position() >= end) return false;
    const auto tag = varint();
    field = static_cast<int>(tag >> 3);
    wire = static_cast<int>(tag & 7);
    if (field == 0) throw MalformedFile("field number 0");
    return true;
  }

  // The end offset of a length-delimited field whose length comes next.
  std::uint64_t message_end(std::uint64_t limit) {
    const auto length = varint();
    const auto end = position() + length;
    if (end > limit) throw MalformedFile("a field runs past its message");
    return end;
  }

  std::string string(std::uint64_t limit) {
    const auto end = message_end(limit);
    std::string text(end - position(), '\0');
    in_.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (!in_) throw MalformedFile("file ends inside a string");
    return text;
  }

  void skip(int wire, std::uint64_t limit) {
    switch (wire) {
      case kVarint: varint(); return;
      case kFixed64: seek(position() + 8); return;
      case kFixed32: seek(position() + 4); return;
      case kLengthDelimited: seek(message_end(limit)); return;
      default: throw MalformedFile("unsupported wire type " + std::to_string(wire));
    }
  }

  void seek(std::uint64_t offset) {
    in_.seekg(static_cast<std::streamoff>(offset));
    if (!in_) throw MalformedFile("seek past the end of the file");
  }

 private:
  std::istream& in_;
};

ONNXTensorElementDataType element_type(std::uint64_t onnx_type) {
  // TensorProto.DataType and ONNXTensorElementDataType share their numbering.
  return static_cast<ONNXTensorElementDataType>(onnx_type);
}

void read_shape(ProtoReader& r, std::uint64_t end, TensorInfo& info) {
  int field = 0;
  int wire = 0;
  while (r.next(end, field, wire)) {
    if (field != kShapeDim || wire != kLengthDelimited) {
      r.skip(wire, end);
      continue;
    }
    const auto dim_end = r.message_end(end);
    std::int64_t value = -1;
    std::string param;
    while (r.next(dim_end, field, wire)) {
      if (field == kDimValue && wire == kVarint) {
        value = static_cast<std::int64_t>(r.varint());
      } else if (field == kDimParam && wire == kLengthDelimited) {
        param = r.string(dim_end);
      } else {
        r.skip(wire, dim_end);
      }
    }
    info.shape.push_back(value);
    info.dim_names.push_back(param);
  }
}

TensorInfo read_value_info(ProtoReader& r, std::uint64_t end) {
  TensorInfo info;
  int field = 0;
  int wire = 0;
  while (r.next(end, field, wire)) {
    if (field == kValueInfoName && wire == kLengthDelimited) {
      info.name = r.string(end);
    } else if (field == kValueInfoType && wire == kLengthDelimited) {
      const auto type_end = r.message_end(end);
      while (r.next(type_end, field, wire)) {
        if (field != kTypeTensor || wire != kLengthDelimited) {
          r.skip(wire, type_end);
          continue;
        }
        const auto tensor_end = r.message_end(type_end);
        while (r.next(tensor_end, field, wire)) {
          if (field == kTensorTypeElemType && wire == kVarint) {
            info.element_type = element_type(r.varint());
          } else if (field == kTensorTypeShape && wire == kLengthDelimited) {
            read_shape(r, r.message_end(tensor_end), info);
          } else {
            r.skip(wire, tensor_end);
          }
        }
      }
    } else {
      r.skip(wire, end);
    }
  }
  return info;
}

InitializerInfo read_initializer(ProtoReader& r, std::uint64_t end) {
  InitializerInfo info;
  int field = 0;
  int wire = 0;
  while (r.next(end, field, wire)) {
    if (field == kTensorDims && wire == kVarint) {
      info.dims.push_back(static_cast<std::int64_t>(r.varint()));
    } else if (field == kTensorDims && wire == kLengthDelimited) {
      const auto packed_end = r.message_end(end);
      while (r.position() < packed_end) info.dims.push_back(static_cast<std::int64_t>(r.varint()));
    } else if (field == kTensorDataType && wire == kVarint) {
      info.data_type = static_cast<int>(r.varint());
    } else if (field == kTensorName && wire == kLengthDelimited) {
      info.name = r.string(end);
    } else if (field == kTensorRawData && wire == kLengthDelimited) {
      const auto raw_end = r.message_end(end);
      info.raw_offset = r.position();
      info.raw_size = raw_end - info.raw_offset;
      r.seek(raw_end);
    } else {
      r.skip(wire, end);
    }
  }
  return info;
}

}  // namespace

OnnxFileInfo scan_onnx_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ModelError(path, "cannot be opened for reading");
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0);

  OnnxFileInfo info;
  std::set<std::string> initializer_names;
  bool has_graph = false;
  try {
    ProtoReader r(in);
    int field = 0;
    int wire = 0;
    while (r.next(size, field, wire)) {
      if (field == kModelIrVersion && wire == kVarint) {
        info.ir_version = static_cast<std::int64_t>(r.varint());
      } else if (field == kModelGraph && wire == kLengthDelimited) {
        has_graph = true;
        const auto graph_end = r.message_end(size);
        while (r.next(graph_end, field, wire)) {
          if (wire != kLengthDelimited) {
            r.skip(wire, graph_end);
          } else if (field == kGraphInput) {
            info.inputs.push_back(read_value_info(r, r.message_end(graph_end)));
          } else if (field == kGraphOutput) {
            info.outputs.push_back(read_value_info(r, r.message_end(graph_end)));
          } else if (field == kGraphInitializer) {
            info.last_initializer = read_initializer(r, r.message_end(graph_end));
            initializer_names.insert(info.last_initializer->name);
            ++info.initializer_count;
          } else {
            r.skip(wire, graph_end);
          }
        }
      } else {
        r.skip(wire, size);
      }
    }
  } catch (const MalformedFile& e) {
    throw ModelError(path, std::string("not a valid ONNX model (") + e.what() + ")");
  }
  if (!has_graph || info.ir_version == 0) throw ModelError(path, "not an ONNX model (no graph or IR version)");
  std::erase_if(info.inputs, [&](const TensorInfo& t) { return initializer_names.contains(t.name); });
  return info;
}

}  // namespace dlc::runtime
