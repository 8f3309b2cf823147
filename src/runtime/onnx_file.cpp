#include "runtime/onnx_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "runtime/ort_runtime.hpp"
#include "runtime/sha256.hpp"

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
constexpr int kTensorExternalData = 13;
constexpr int kTensorDataLocation = 14;
constexpr int kEntryKey = 1;
constexpr int kEntryValue = 2;
constexpr std::uint64_t kDataLocationExternal = 1;

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

// Byte ranges [begin, end) of the source file.
struct Range {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  std::uint64_t size() const { return end - begin; }
};

// One field of the graph: copied as it is, or an initializer whose raw_data moves to the data file
// (its other fields copied as they are).
struct GraphField {
  Range bytes;
  bool moved = false;
  std::vector<Range> kept;  // the tensor's fields but raw_data
  Range raw;                // raw_data's payload
  std::uint64_t data_offset = 0;
};

struct ModelLayout {
  std::vector<Range> before_graph;
  std::vector<Range> after_graph;
  std::vector<GraphField> graph;
  std::size_t moved = 0;
  bool already_external = false;
};

// Weights: float32, float16, float64, bfloat16 (TensorProto.DataType 1, 10, 11, 16). Integer
// tensors stay in the file: ONNX Runtime's shape inference reads shapes (Reshape's int64 input)
// only from raw data ("Cannot parse data from external tensors").
bool is_floating(std::uint64_t data_type) { return data_type == 1 || data_type == 10 || data_type == 11 || data_type == 16; }

ModelLayout scan_layout(ProtoReader& r, std::uint64_t min_bytes) {
  ModelLayout layout;
  bool has_graph = false;
  int field = 0;
  int wire = 0;
  for (auto start = r.position(); r.next(field, wire); start = r.position()) {
    if (field != kModelGraph || wire != kLengthDelimited) {
      r.skip(wire);
      (has_graph ? layout.after_graph : layout.before_graph).push_back({start, r.position()});
      continue;
    }
    if (has_graph) throw MalformedFile(fmt::format("a second graph at byte {}", start));
    has_graph = true;
    r.message([&] {
      for (auto at = r.position(); r.next(field, wire); at = r.position()) {
        GraphField part;
        if (field != kGraphInitializer || wire != kLengthDelimited) {
          r.skip(wire);
          part.bytes = {at, r.position()};
          layout.graph.push_back(part);
          continue;
        }
        bool has_raw = false;
        bool floating = false;
        r.message([&] {
          for (auto t = r.position(); r.next(field, wire); t = r.position()) {
            if (field == kTensorDataType && wire == kVarint) {
              floating = is_floating(r.varint());
              part.kept.push_back({t, r.position()});
              continue;
            }
            if (field == kTensorRawData && wire == kLengthDelimited) {
              const auto bytes = static_cast<std::uint64_t>(r.length());
              part.raw = {r.position(), r.position() + bytes};
              has_raw = true;
              r.skip_bytes(static_cast<int>(bytes));
              continue;
            }
            const bool external = field == kTensorExternalData ||
                                  (field == kTensorDataLocation && wire == kVarint && r.varint() == kDataLocationExternal);
            if (external) layout.already_external = true;
            if (field != kTensorDataLocation || wire != kVarint) r.skip(wire);
            // A DEFAULT data_location is kept: the EXTERNAL appended after it is the one read.
            part.kept.push_back({t, r.position()});
          }
        });
        part.bytes = {at, r.position()};
        part.moved = has_raw && floating && part.raw.size() > 0 && part.raw.size() >= min_bytes;
        if (part.moved) ++layout.moved;
        layout.graph.push_back(std::move(part));
      }
    });
  }
  if (!has_graph) throw MalformedFile("no graph");
  return layout;
}

std::size_t varint_size(std::uint64_t value) {
  std::size_t bytes = 1;
  for (; value >= 0x80; value >>= 7) ++bytes;
  return bytes;
}

void put_varint(std::string& out, std::uint64_t value) {
  for (; value >= 0x80; value >>= 7) out.push_back(static_cast<char>((value & 0x7f) | 0x80));
  out.push_back(static_cast<char>(value));
}

void put_tag(std::string& out, int field, int wire) { put_varint(out, (static_cast<std::uint64_t>(field) << 3) | static_cast<std::uint64_t>(wire)); }

std::size_t length_delimited_size(std::size_t bytes) { return 1 + varint_size(bytes) + bytes; }  // fields < 16: a 1-byte tag

// The external_data entries and data_location of a moved tensor (TensorProto fields 13 and 14).
std::string external_fields(const std::string& location, std::uint64_t offset, std::uint64_t length) {
  std::string out;
  const auto entry = [&](const std::string& key, const std::string& value) {
    put_tag(out, kTensorExternalData, kLengthDelimited);
    put_varint(out, length_delimited_size(key.size()) + length_delimited_size(value.size()));
    put_tag(out, kEntryKey, kLengthDelimited);
    put_varint(out, key.size());
    out += key;
    put_tag(out, kEntryValue, kLengthDelimited);
    put_varint(out, value.size());
    out += value;
  };
  entry("location", location);
  entry("offset", std::to_string(offset));
  entry("length", std::to_string(length));
  put_tag(out, kTensorDataLocation, kVarint);
  put_varint(out, kDataLocationExternal);
  return out;
}

// Buffered writes to one new file, and copies of source ranges through the same buffer.
class FileWriter {
 public:
  FileWriter(const std::filesystem::path& path, int source) : path_(path), source_(source) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) fail("cannot be created");
    buffer_.reserve(kBuffer);
  }
  ~FileWriter() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  std::uint64_t written() const { return written_ + buffer_.size(); }
  void put(std::string_view bytes) {
    buffer_ += bytes;
    if (buffer_.size() >= kBuffer) flush();
  }
  void zeros(std::uint64_t count) { put(std::string(count, '\0')); }
  void copy(Range range) {
    for (auto at = range.begin; at < range.end;) {
      flush();
      buffer_.resize(static_cast<std::size_t>(std::min<std::uint64_t>(kBuffer, range.end - at)));
      const auto got = ::pread(source_, buffer_.data(), buffer_.size(), static_cast<off_t>(at));
      if (got <= 0) throw std::system_error(errno ? errno : EIO, std::generic_category(), "reading the model");
      buffer_.resize(static_cast<std::size_t>(got));
      at += static_cast<std::uint64_t>(got);
    }
  }
  void close() {
    flush();
    if (::close(std::exchange(fd_, -1)) != 0) fail("cannot be written");
  }

 private:
  static constexpr std::size_t kBuffer = 1 << 20;
  [[noreturn]] void fail(const char* what) const {
    throw std::system_error(errno, std::generic_category(), path_.string() + " " + what);
  }
  void flush() {
    for (std::size_t done = 0; done < buffer_.size();) {
      const auto put = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (put < 0 && errno == EINTR) continue;
      if (put <= 0) fail("cannot be written");
      done += static_cast<std::size_t>(put);
    }
    written_ += buffer_.size();
    buffer_.clear();
  }

  std::filesystem::path path_;
  int source_;
  int fd_ = -1;
  std::string buffer_;
  std::uint64_t written_ = 0;
};

std::uint64_t checked_file_size(const FileDescriptor& fd, const std::filesystem::path& path) {
  if (fd.get() < 0) throw ModelError(path, fmt::format("cannot be opened for reading ({})", std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) throw ModelError(path, "not a regular file");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  // Protobuf cannot parse a message over 2 GiB, so neither can ONNX Runtime: bigger models keep
  // their weights in external data files, which dlc does not read.
  if (size > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
    throw ModelError(path, "larger than 2 GiB, the most a single-file ONNX model can hold");
  }
  return size;
}

// A model file as it is now, for what is read of it once a process: another inode, size or
// modification time (a file replaced or rewritten) is read again. Empty when it cannot be stat'ed.
struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  std::int64_t modified_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};

std::optional<FileIdentity> identity_of(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileIdentity{st.st_dev, st.st_ino, st.st_size,
                      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

// What a job asks of each model file again and again (issue 20: before the first frame the plan,
// the copies' check, the analyser and the chain opened each file 6 to 8 times), answered from
// one read while the file stays the same. One entry per model file path: a handful.
template <typename Value>
class PerFile {
 public:
  template <typename Read>
  Value get(const std::filesystem::path& path, Read&& read) {
    const auto identity = identity_of(path);
    if (identity) {
      std::lock_guard lock(mutex_);
      if (const auto it = entries_.find(path.string()); it != entries_.end() && it->second.first == *identity) {
        return it->second.second;
      }
    }
    auto value = read();  // outside the lock: another file's answer need not wait for this read
    if (identity) {
      std::lock_guard lock(mutex_);
      entries_.insert_or_assign(path.string(), std::pair{*identity, value});
    }
    return value;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::pair<FileIdentity, Value>> entries_;
};

OnnxFileInfo read_onnx_file_info(const std::filesystem::path& path);

// Whether write_external_data_copy(model, ..., min_bytes) would move any tensor: the layout's
// verdict, read once per file and threshold. ModelError for a file that is not a valid model.
bool has_tensors_to_move(const std::filesystem::path& model, std::uint64_t min_bytes);

}  // namespace

OnnxFileInfo scan_onnx_file(const std::filesystem::path& path) {
  static PerFile<OnnxFileInfo> scanned;
  return scanned.get(path, [&] { return read_onnx_file_info(path); });
}

namespace {

OnnxFileInfo read_onnx_file_info(const std::filesystem::path& path) {
  const FileDescriptor fd(path);
  const auto size = checked_file_size(fd, path);

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

bool has_tensors_to_move(const std::filesystem::path& model, std::uint64_t min_bytes) {
  struct Verdict {
    std::uint64_t min_bytes;
    bool moves;
  };
  static PerFile<Verdict> verdicts;
  const auto read = [&] {
    const FileDescriptor fd(model);
    const auto size = checked_file_size(fd, model);
    try {
      ProtoReader r(fd.get(), static_cast<int>(size));
      const auto layout = scan_layout(r, min_bytes);
      return Verdict{min_bytes, layout.moved > 0 && !layout.already_external};
    } catch (const MalformedFile& e) {
      throw ModelError(model, std::string("not a valid ONNX model (") + e.what() + ")");
    }
  };
  const auto known = verdicts.get(model, read);
  if (known.min_bytes == min_bytes) return known.moves;
  return read().moves;  // another threshold (tests): read again, not kept
}

}  // namespace

std::size_t write_external_data_copy(const std::filesystem::path& model, const std::filesystem::path& copy,
                                     const std::filesystem::path& copy_data, const std::string& data_name,
                                     std::uint64_t min_bytes) {
  const FileDescriptor fd(model);
  const auto size = checked_file_size(fd, model);
  ModelLayout layout;
  try {
    ProtoReader r(fd.get(), static_cast<int>(size));
    layout = scan_layout(r, min_bytes);
  } catch (const MalformedFile& e) {
    throw ModelError(model, std::string("not a valid ONNX model (") + e.what() + ")");
  }
  if (layout.moved == 0 || layout.already_external) return 0;

  const auto& location = data_name;
  FileWriter data(copy_data, fd.get());
  std::uint64_t graph_bytes = 0;
  for (auto& part : layout.graph) {
    if (!part.moved) {
      graph_bytes += part.bytes.size();
      continue;
    }
    data.zeros((kExternalDataAlignment - data.written() % kExternalDataAlignment) % kExternalDataAlignment);
    part.data_offset = data.written();
    data.copy(part.raw);
    std::uint64_t tensor_bytes = external_fields(location, part.data_offset, part.raw.size()).size();
    for (const auto& kept : part.kept) tensor_bytes += kept.size();
    graph_bytes += length_delimited_size(tensor_bytes);
  }
  data.close();

  FileWriter out(copy, fd.get());
  for (const auto& range : layout.before_graph) out.copy(range);
  std::string header;
  put_tag(header, kModelGraph, kLengthDelimited);
  put_varint(header, graph_bytes);
  out.put(header);
  for (const auto& part : layout.graph) {
    if (!part.moved) {
      out.copy(part.bytes);
      continue;
    }
    const auto fields = external_fields(location, part.data_offset, part.raw.size());
    std::uint64_t tensor_bytes = fields.size();
    for (const auto& kept : part.kept) tensor_bytes += kept.size();
    header.clear();
    put_tag(header, kGraphInitializer, kLengthDelimited);
    put_varint(header, tensor_bytes);
    out.put(header);
    for (const auto& kept : part.kept) out.copy(kept);
    out.put(fields);
  }
  for (const auto& range : layout.after_graph) out.copy(range);
  out.close();
  return layout.moved;
}

namespace {

// Where the mapped copy of `model` goes: named after the model's size and modification time.
struct MappedCopyNames {
  std::filesystem::path dir;
  std::string name;
  std::filesystem::path copy;
  std::filesystem::path data;
  bool in_place() const {
    std::error_code ec;
    return std::filesystem::is_regular_file(copy, ec) && std::filesystem::is_regular_file(data, ec);
  }
};

std::optional<MappedCopyNames> mapped_copy_names(const std::filesystem::path& model) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto bytes = fs::file_size(model, ec);
  if (ec) return std::nullopt;
  const auto modified = fs::last_write_time(model, ec);
  if (ec) return std::nullopt;
  MappedCopyNames names;
  names.dir = model.parent_path() / ".dlc-mapped";
  names.name = fmt::format("{}.{}-{:x}.onnx", model.filename().string(), bytes,
                           static_cast<std::uint64_t>(modified.time_since_epoch().count()));
  names.copy = names.dir / names.name;
  names.data = names.dir / (names.name + ".data");
  return names;
}

}  // namespace

bool mapped_copy_available(const std::filesystem::path& model, std::uint64_t min_bytes) {
  namespace fs = std::filesystem;
  const auto names = mapped_copy_names(model);
  if (!names) return false;
  if (names->in_place()) return true;
  std::error_code ec;
  const bool dir_there = fs::exists(names->dir, ec);
  if (dir_there && !fs::is_directory(names->dir, ec)) return false;
  const auto writable = dir_there ? names->dir : model.parent_path();
  if (::access(writable.empty() ? "." : writable.c_str(), W_OK | X_OK) != 0) return false;
  try {
    return has_tensors_to_move(model, min_bytes);
  } catch (const std::exception&) {
    return false;  // the load reports what is wrong with the file
  }
}

namespace {

// What ONNX Runtime's optimized graph depends on besides the model: its version and the CPU's
// instruction sets (the NCHWc block size and the pre-packed weights' layout follow them). Read and
// hashed once a process: the plan asks for it per model, each session build again.
const std::string& machine_key() {
  static const std::string key = [] {
    std::string signature = OrtGetApiBase()->GetVersionString();
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);) {
      if (line.starts_with("flags")) {
        signature += line;
        break;
      }
    }
    Sha256 sha;
    sha.update(std::span(reinterpret_cast<const std::uint8_t*>(signature.data()), signature.size()));
    return to_hex(sha.finish()).substr(0, 12);
  }();
  return key;
}

}  // namespace

// Loaded with the optimizers off, a session maps every weight of the optimized copy instead of
// building the rewritten ones beside the file's (issue 20: det_10g's load peak 1.22 x its RSS from
// the mapped copy, 1.00 x from this; the outputs the same bytes).
std::filesystem::path optimized_copy_name(const std::filesystem::path& mapped) {
  return mapped.parent_path() / (mapped.stem().string() + ".ort-" + machine_key() + ".onnx");
}

bool optimized_copy_available(const std::filesystem::path& model) {
  const auto names = mapped_copy_names(model);
  std::error_code ec;
  return names && names->in_place() && std::filesystem::is_regular_file(optimized_copy_name(names->copy), ec);
}

bool optimized_copy_missing(const std::filesystem::path& model) {
  return !optimized_copy_available(model) && mapped_copy_available(model);
}

std::filesystem::path mapped_model_file(const std::filesystem::path& model, std::uint64_t min_bytes) {
  namespace fs = std::filesystem;
  // Two sessions of one file built at once would write the same temporary names.
  static std::mutex writing;
  std::lock_guard lock(writing);
  std::error_code ec;
  const auto names = mapped_copy_names(model);
  if (!names) return model;
  const auto& [dir, name, copy, data] = *names;
  if (names->in_place()) return copy;

  const auto temp = fmt::format(".tmp-{}-{}", ::getpid(), std::hash<std::thread::id>{}(std::this_thread::get_id()));
  const auto temp_copy = dir / (name + temp);
  const auto temp_data = dir / (name + ".data" + temp);
  try {
    // A model with no tensor worth moving is loaded as it is, not read through again each load.
    if (!has_tensors_to_move(model, min_bytes)) return model;
    fs::create_directories(dir);
    const auto moved = write_external_data_copy(model, temp_copy, temp_data, data.filename().string(), min_bytes);
    if (moved == 0) return model;
    // The data first: a copy in place always has its data beside it.
    fs::rename(temp_data, data);
    fs::rename(temp_copy, copy);
    spdlog::info("{}: wrote its weights once to {} ({} tensors), which ONNX Runtime maps instead of holding the "
                 "model twice while building its session",
                 model.filename().string(), data.string(), moved);
  } catch (const std::exception& e) {
    fs::remove(temp_copy, ec);
    fs::remove(temp_data, ec);
    if (OrtRuntime::instance().first_time("mapped-copy:" + model.string())) {
      spdlog::warn("{}: cannot write its mapped copy in {} ({}); loading the file itself, which holds it twice "
                   "while its session is built", model.string(), dir.string(), e.what());
    }
    return model;
  }
  // Copies of an earlier version of the file.
  const auto prefix = model.filename().string() + ".";
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const auto other = entry.path().filename().string();
    if (other.starts_with(prefix) && other != name && other != name + ".data" && other.find(".tmp-") == std::string::npos) {
      fs::remove(entry.path(), ec);
    }
  }
  return copy;
}

}  // namespace dlc::runtime
