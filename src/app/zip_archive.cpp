#include "app/zip_archive.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <utility>

namespace dlc::app {
namespace {

// Record layouts: PKWARE's APPNOTE.TXT, sections 4.3.7 (local header), 4.3.12 (central
// directory header) and 4.3.16 (end of central directory).
constexpr std::uint32_t kLocalHeader = 0x04034b50;
constexpr std::uint32_t kCentralHeader = 0x02014b50;
constexpr std::uint32_t kEndOfCentral = 0x06054b50;
constexpr std::size_t kEndOfCentralSize = 22;
constexpr std::size_t kMaxComment = 0xffff;
constexpr std::size_t kPiece = 1 << 20;

std::uint32_t le(const unsigned char* p, int bytes) {
  std::uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

struct Member {
  std::string name;
  std::uint16_t method = 0;
  std::uint32_t crc = 0;
  std::uint64_t compressed = 0;
  std::uint64_t size = 0;
  std::uint64_t local_offset = 0;
};

class ZipReader {
 public:
  explicit ZipReader(std::filesystem::path zip) : path_(std::move(zip)), in_(path_, std::ios::binary) {
    if (!in_) fail("cannot be read");
    in_.seekg(0, std::ios::end);
    size_ = static_cast<std::uint64_t>(in_.tellg());
  }

  [[noreturn]] void fail(const std::string& why) const {
    throw std::runtime_error(fmt::format("{}: {}", path_.string(), why));
  }

  std::vector<unsigned char> read_at(std::uint64_t offset, std::size_t bytes) {
    if (offset > size_ || bytes > size_ - offset) fail("is truncated or not a zip archive (a record runs past its end)");
    std::vector<unsigned char> buf(bytes);
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(offset));
    in_.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(bytes));
    if (!in_) fail("cannot be read");
    return buf;
  }

  std::vector<Member> central_directory() {
    const auto tail_size = static_cast<std::size_t>(std::min<std::uint64_t>(size_, kEndOfCentralSize + kMaxComment));
    if (tail_size < kEndOfCentralSize) fail("is not a zip archive (too short)");
    const auto tail = read_at(size_ - tail_size, tail_size);
    std::optional<std::size_t> eocd;
    for (std::size_t i = tail_size - kEndOfCentralSize + 1; i-- > 0;) {
      if (le(&tail[i], 4) == kEndOfCentral) {
        eocd = i;
        break;
      }
    }
    if (!eocd) fail("is not a zip archive (no end-of-central-directory record)");
    const auto* e = &tail[*eocd];
    const auto count = le(e + 10, 2);
    const auto cd_size = le(e + 12, 4);
    const auto cd_offset = le(e + 16, 4);
    if (cd_offset == 0xffffffff || count == 0xffff) fail("is a zip64 archive, which dlc does not read");
    const auto cd = read_at(cd_offset, cd_size);
    std::vector<Member> members;
    std::size_t pos = 0;
    for (std::uint32_t i = 0; i < count; ++i) {
      if (pos + 46 > cd.size() || le(&cd[pos], 4) != kCentralHeader) fail("has a damaged central directory");
      const auto* h = &cd[pos];
      Member m;
      m.method = static_cast<std::uint16_t>(le(h + 10, 2));
      m.crc = le(h + 16, 4);
      m.compressed = le(h + 20, 4);
      m.size = le(h + 24, 4);
      const auto name_len = le(h + 28, 2);
      const auto extra_len = le(h + 30, 2);
      const auto comment_len = le(h + 32, 2);
      m.local_offset = le(h + 42, 4);
      if (pos + 46 + name_len > cd.size()) fail("has a damaged central directory");
      m.name.assign(reinterpret_cast<const char*>(h + 46), name_len);
      members.push_back(std::move(m));
      pos += 46 + name_len + extra_len + comment_len;
    }
    return members;
  }

  // Writes the member's bytes to out, checking its CRC-32 and size.
  void extract(const Member& m, std::ofstream& out) {
    const auto local = read_at(m.local_offset, 30);
    if (le(local.data(), 4) != kLocalHeader) fail(fmt::format("{}: damaged entry (no local header)", m.name));
    std::uint64_t offset = m.local_offset + 30 + le(&local[26], 2) + le(&local[28], 2);
    if (m.method != 0 && m.method != 8) fail(fmt::format("{}: compression method {} (dlc reads stored and deflated)", m.name, m.method));
    if (offset > size_ || m.compressed > size_ - offset) fail(fmt::format("{}: truncated entry", m.name));

    z_stream z{};
    if (m.method == 8 && inflateInit2(&z, -MAX_WBITS) != Z_OK) fail("zlib could not start");
    struct End {
      z_stream* z;
      bool on;
      ~End() {
        if (on) inflateEnd(z);
      }
    } end{&z, m.method == 8};

    std::vector<unsigned char> in_buf(kPiece);
    std::vector<unsigned char> out_buf(kPiece);
    std::uint64_t left = m.compressed;
    std::uint64_t written = 0;
    uLong crc = crc32(0L, Z_NULL, 0);
    const auto emit = [&](const unsigned char* data, std::size_t bytes) {
      crc = crc32(crc, data, static_cast<uInt>(bytes));
      written += bytes;
      out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(bytes));
    };
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(offset));
    bool finished = m.method == 0 && left == 0;
    while (left > 0 && !finished) {
      const auto piece = static_cast<std::size_t>(std::min<std::uint64_t>(left, kPiece));
      in_.read(reinterpret_cast<char*>(in_buf.data()), static_cast<std::streamsize>(piece));
      if (!in_) fail(fmt::format("{}: cannot be read", m.name));
      left -= piece;
      if (m.method == 0) {
        emit(in_buf.data(), piece);
        continue;
      }
      z.next_in = in_buf.data();
      z.avail_in = static_cast<uInt>(piece);
      // Until this piece is consumed and zlib holds no more output for it.
      do {
        z.next_out = out_buf.data();
        z.avail_out = static_cast<uInt>(out_buf.size());
        const int rc = inflate(&z, Z_NO_FLUSH);
        if (rc == Z_BUF_ERROR) break;  // no progress without more input
        if (rc != Z_OK && rc != Z_STREAM_END) fail(fmt::format("{}: damaged compressed data", m.name));
        emit(out_buf.data(), out_buf.size() - z.avail_out);
        finished = rc == Z_STREAM_END;
      } while (!finished && (z.avail_in > 0 || z.avail_out == 0));
    }
    if (m.method == 0) finished = true;
    if (!finished) fail(fmt::format("{}: compressed data ends early", m.name));
    if (written != m.size) fail(fmt::format("{}: {} bytes inflated, the archive says {}", m.name, written, m.size));
    if (crc != m.crc) fail(fmt::format("{}: CRC-32 mismatch (the archive is damaged)", m.name));
    if (!out) fail(fmt::format("{}: could not be written", m.name));
  }

 private:
  std::filesystem::path path_;
  std::ifstream in_;
  std::uint64_t size_ = 0;
};

}  // namespace

std::vector<std::filesystem::path> extract_zip_members(const std::filesystem::path& zip,
                                                       const std::vector<std::string>& members,
                                                       const std::filesystem::path& dir) {
  ZipReader reader(zip);
  const auto entries = reader.central_directory();
  std::vector<std::filesystem::path> written;
  for (const auto& wanted : members) {
    const auto it = std::ranges::find_if(entries, [&](const Member& m) {
      return std::filesystem::path(m.name).filename() == wanted;
    });
    if (it == entries.end()) reader.fail(fmt::format("holds no {}", wanted));
    const auto target = dir / wanted;
    auto part = target;
    part += ".part";
    try {
      {
        std::ofstream out(part, std::ios::binary | std::ios::trunc);
        if (!out) throw std::runtime_error(fmt::format("{}: cannot be written", part.string()));
        reader.extract(*it, out);
      }
      std::filesystem::rename(part, target);
    } catch (...) {
      std::error_code ec;
      std::filesystem::remove(part, ec);
      throw;
    }
    written.push_back(target);
  }
  return written;
}

}  // namespace dlc::app
