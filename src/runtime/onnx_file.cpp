#include "runtime/onnx_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <set>
#include <stdexcept>

namespace dlc::runtime {
namespace {

// Field numbers from onnx.proto (onnx/onnx.proto3): ModelProto, GraphProto, ValueInfoProto,
// TypeProto(.Tensor), TensorShapeProto(.Dimension), TensorProto.
constexpr int kModelIrVersion = 1;
constexpr int kModelGraph = 7;
constexpr int kGraphNode = 1;
constexpr int kNodeName = 3;
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

// The file descriptor of one scan; protobuf's FileInputStream reads through it and skips by
// lseek, so weights are passed over, never read.
class FileDescriptor {
 public:
  explicit FileDescriptor(const std::filesystem::path& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Protobuf fields of a model file, read by protobuf's own CodedInputStream: each message is a
// limit pushed on the stream, and every length is checked against what is left of its message
// (the outermost one being the whole file) before anything is read, skipped or allocated.
class ProtoReader {
 public:
  ProtoReader(int fd, int file_size) : file_(fd), in_(&file_) {
    in_.SetTotalBytesLimit(file_size);
    in_.PushLimit(file_size);
  }

  std::uint64_t position() const { return static_cast<std::uint64_t>(in_.CurrentPosition()); }
  int left() const { return in_.BytesUntilLimit(); }

  std::uint64_t varint() {
    std::uint64_t value = 0;
    if (!in_.ReadVarint64(&value)) throw MalformedFile(fmt::format("a number at byte {} is cut off or longer than 10 bytes", position()));
    return value;
  }

  // The next field's (number, wire type), or false at the end of the current message.
  bool next(int& field, int& wire) {
    if (left() == 0) return false;
    const auto at = position();
    const auto tag = in_.ReadTagNoLastTag();
    if (tag == 0) throw MalformedFile(fmt::format("no field tag at byte {}", at));
    field = static_cast<int>(tag >> 3);
    wire = static_cast<int>(tag & 7);
    if (field == 0) throw MalformedFile(fmt::format("field number 0 at byte {}", at));
    return true;
  }

  // A length-delimited field's length, once it is known to fit in what is left.
  int length() {
    const auto at = position();
    const auto bytes = varint();
    if (bytes > static_cast<std::uint64_t>(left())) {
      throw MalformedFile(fmt::format("a field at byte {} claims {} bytes where {} are left", at, bytes, left()));
    }
    return static_cast<int>(bytes);
  }

  // Reads a length-delimited message: body sees only its bytes and must read them all.
  template <typename Body>
  void message(Body&& body) {
    const auto limit = in_.PushLimit(length());
    body();
    in_.PopLimit(limit);
  }

  std::string string() {
    const auto bytes = length();
    std::string text;
    if (!in_.ReadString(&text, bytes)) throw MalformedFile(fmt::format("the file ends inside a string at byte {}", position()));
    return text;
  }

  void skip_bytes(int bytes) {
    if (bytes > left()) throw MalformedFile(fmt::format("a field at byte {} runs past its message", position()));
    if (!in_.Skip(bytes)) throw MalformedFile(fmt::format("the file cannot be read past byte {}", position()));
  }

  void skip(int wire) {
    switch (wire) {
      case kVarint: varint(); return;
      case kFixed64: skip_bytes(8); return;
      case kFixed32: skip_bytes(4); return;
      case kLengthDelimited: skip_bytes(length()); return;
      default: throw MalformedFile(fmt::format("unsupported wire type {} at byte {}", wire, position()));
    }
  }

 private:
  google::protobuf::io::FileInputStream file_;
  google::protobuf::io::CodedInputStream in_;
};

ONNXTensorElementDataType element_type(std::uint64_t onnx_type) {
  // TensorProto.DataType and ONNXTensorElementDataType share their numbering.
  return static_cast<ONNXTensorElementDataType>(onnx_type);
}

void read_shape(ProtoReader& r, TensorInfo& info) {
  int field = 0;
  int wire = 0;
  while (r.next(field, wire)) {
    if (field != kShapeDim || wire != kLengthDelimited) {
      r.skip(wire);
      continue;
    }
    std::int64_t value = -1;
    std::string param;
    r.message([&] {
      while (r.next(field, wire)) {
        if (field == kDimValue && wire == kVarint) {
          value = static_cast<std::int64_t>(r.varint());
        } else if (field == kDimParam && wire == kLengthDelimited) {
          param = r.string();
        } else {
          r.skip(wire);
        }
      }
    });
    info.shape.push_back(value);
    info.dim_names.push_back(param);
  }
}

void read_tensor_type(ProtoReader& r, TensorInfo& info) {
  int field = 0;
  int wire = 0;
  while (r.next(field, wire)) {
    if (field == kTensorTypeElemType && wire == kVarint) {
      info.element_type = element_type(r.varint());
    } else if (field == kTensorTypeShape && wire == kLengthDelimited) {
      r.message([&] { read_shape(r, info); });
    } else {
      r.skip(wire);
    }
  }
}

TensorInfo read_value_info(ProtoReader& r) {
  TensorInfo info;
  int field = 0;
  int wire = 0;
  while (r.next(field, wire)) {
    if (field == kValueInfoName && wire == kLengthDelimited) {
      info.name = r.string();
    } else if (field == kValueInfoType && wire == kLengthDelimited) {
      r.message([&] {
        while (r.next(field, wire)) {
          if (field == kTypeTensor && wire == kLengthDelimited) {
            r.message([&] { read_tensor_type(r, info); });
          } else {
            r.skip(wire);
          }
        }
      });
    } else {
      r.skip(wire);
    }
  }
  return info;
}

InitializerInfo read_initializer(ProtoReader& r) {
  InitializerInfo info;
  int field = 0;
  int wire = 0;
  while (r.next(field, wire)) {
    if (field == kTensorDims && wire == kVarint) {
      info.dims.push_back(static_cast<std::int64_t>(r.varint()));
    } else if (field == kTensorDims && wire == kLengthDelimited) {
      r.message([&] {
        while (r.left() > 0) info.dims.push_back(static_cast<std::int64_t>(r.varint()));
      });
    } else if (field == kTensorDataType && wire == kVarint) {
      info.data_type = static_cast<int>(r.varint());
    } else if (field == kTensorName && wire == kLengthDelimited) {
      info.name = r.string();
    } else if (field == kTensorRawData && wire == kLengthDelimited) {
      const auto bytes = r.length();
      info.raw_offset = r.position();
      info.raw_size = static_cast<std::uint64_t>(bytes);
      r.skip_bytes(bytes);
    } else {
      r.skip(wire);
    }
  }
  return info;
}

}  // namespace

OnnxFileInfo scan_onnx_file(const std::filesystem::path& path) {
  const FileDescriptor fd(path);
  if (fd.get() < 0) throw ModelError(path, fmt::format("cannot be opened for reading ({})", std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) throw ModelError(path, "not a regular file");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  // Protobuf cannot parse a message over 2 GiB, so neither can ONNX Runtime: bigger models keep
  // their weights in external data files, which dlc does not read.
  if (size > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
    throw ModelError(path, "larger than 2 GiB, the most a single-file ONNX model can hold");
  }

  OnnxFileInfo info;
  std::set<std::string> initializer_names;
  bool has_graph = false;
  try {
    ProtoReader r(fd.get(), static_cast<int>(size));
    int field = 0;
    int wire = 0;
    while (r.next(field, wire)) {
      if (field == kModelIrVersion && wire == kVarint) {
        info.ir_version = static_cast<std::int64_t>(r.varint());
      } else if (field == kModelGraph && wire == kLengthDelimited) {
        has_graph = true;
        r.message([&] {
          while (r.next(field, wire)) {
            if (wire != kLengthDelimited) {
              r.skip(wire);
            } else if (field == kGraphInput) {
              r.message([&] { info.inputs.push_back(read_value_info(r)); });
            } else if (field == kGraphOutput) {
              r.message([&] { info.outputs.push_back(read_value_info(r)); });
            } else if (field == kGraphNode && info.first_node_names.size() < OnnxFileInfo::kFirstNodes) {
              std::string name;
              r.message([&] {
                while (r.next(field, wire)) {
                  if (field == kNodeName && wire == kLengthDelimited) name = r.string();
                  else r.skip(wire);
                }
              });
              info.first_node_names.push_back(std::move(name));
            } else if (field == kGraphInitializer) {
              r.message([&] { info.last_initializer = read_initializer(r); });
              initializer_names.insert(info.last_initializer->name);
              ++info.initializer_count;
            } else {
              r.skip(wire);
            }
          }
        });
      } else {
        r.skip(wire);
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
