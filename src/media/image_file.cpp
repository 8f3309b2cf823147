#include "media/image_file.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <utility>

#include "media/image_codec.hpp"

namespace dlc::media {
namespace {

// JPEG markers (ITU T.81, table B.1).
constexpr unsigned char kMarkerStart = 0xFF;
constexpr unsigned char kStartOfImage = 0xD8;
constexpr unsigned char kEndOfImage = 0xD9;
constexpr unsigned char kStartOfScan = 0xDA;
constexpr unsigned char kTem = 0x01;  // stands alone, like the restart markers RST0-7 (D0-D7)

bool is_restart(unsigned char marker) { return marker >= 0xD0 && marker <= 0xD7; }

std::string jpeg_truncated(std::size_t size, const char* where) {
  return fmt::format("truncated JPEG data: the file ends at byte {}, {}, before the end-of-image marker", size, where);
}

// Walks the segments by their lengths and each scan's entropy-coded data to the next marker, as
// a decoder does, so an EXIF thumbnail's own end-of-image marker (inside APP1) is never taken for
// the image's. Bytes between segments are skipped, as libjpeg skips them.
std::string jpeg_damage(std::span<const unsigned char> b) {
  const auto n = b.size();
  std::size_t i = 2;
  for (;;) {
    while (i < n && b[i] != kMarkerStart) ++i;
    while (i < n && b[i] == kMarkerStart) ++i;  // fill bytes
    if (i >= n) return jpeg_truncated(n, "between segments");
    const unsigned char marker = b[i++];
    if (marker == kEndOfImage) return {};
    if (marker == 0x00 || marker == kTem || is_restart(marker)) continue;
    if (i + 2 > n) return jpeg_truncated(n, "inside a segment header");
    const std::size_t length = (static_cast<std::size_t>(b[i]) << 8) | b[i + 1];
    if (length < 2) return fmt::format("corrupt JPEG data: a segment of length {} at byte {}", length, i);
    if (i + length > n) return jpeg_truncated(n, fmt::format("inside segment FF{:02X}", marker).c_str());
    i += length;
    if (marker != kStartOfScan) continue;
    // Entropy-coded data: FF 00 is a stuffed FF, FF D0-D7 a restart, FF FF fill; anything else
    // after FF is the next marker.
    for (;; ++i) {
      if (i + 1 >= n) return jpeg_truncated(n, "inside the image data");
      if (b[i] == kMarkerStart && b[i + 1] != 0x00 && b[i + 1] != kMarkerStart && !is_restart(b[i + 1])) break;
    }
  }
}

constexpr std::array<unsigned char, 8> kPngSignature{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

std::uint32_t big_endian_32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

struct PngWalk {
  std::string problem;
  std::vector<std::pair<std::size_t, std::size_t>> noisy;  // [begin, end) of chunks to leave out
};

// Chunk by chunk (PNG spec, section 5.3: length, type, data, CRC of type and data) to IEND.
PngWalk walk_png(std::span<const unsigned char> b) {
  PngWalk walk;
  const auto n = b.size();
  std::size_t i = kPngSignature.size();
  for (;;) {
    if (i + 8 > n) {
      walk.problem = fmt::format("truncated PNG data: the file ends at byte {}, before the IEND chunk", n);
      return walk;
    }
    const std::uint32_t length = big_endian_32(&b[i]);
    const std::string type(reinterpret_cast<const char*>(&b[i + 4]), 4);
    if (length > 0x7FFFFFFFu || !std::ranges::all_of(type, [](char c) {
          return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        })) {
      walk.problem = fmt::format("corrupt PNG data: no valid chunk at byte {}", i);
      return walk;
    }
    const std::size_t end = i + 12 + length;
    if (end > n) {
      walk.problem = fmt::format("truncated PNG data: the file ends at byte {}, inside chunk {}, before IEND", n, type);
      return walk;
    }
    const auto crc = static_cast<std::uint32_t>(crc32(crc32(0L, Z_NULL, 0), &b[i + 4], static_cast<uInt>(length + 4)));
    const bool critical = (type[0] & 0x20) == 0;  // an upper-case first letter
    if (crc != big_endian_32(&b[end - 4])) {
      if (critical) {
        walk.problem = fmt::format("corrupt PNG data: the {} chunk at byte {} fails its CRC check", type, i);
        return walk;
      }
      walk.noisy.emplace_back(i, end);
    } else if (type == "iCCP") {
      walk.noisy.emplace_back(i, end);
    }
    if (type == "IEND") return walk;
    i = end;
  }
}

bool is_png(std::span<const unsigned char> b) {
  return b.size() >= kPngSignature.size() && std::equal(kPngSignature.begin(), kPngSignature.end(), b.begin());
}

bool is_jpeg(std::span<const unsigned char> b) {
  return b.size() >= 3 && b[0] == kMarkerStart && b[1] == kStartOfImage && b[2] == kMarkerStart;
}

}  // namespace

std::string image_damage(std::span<const unsigned char> bytes) {
  if (is_jpeg(bytes)) return jpeg_damage(bytes);
  if (is_png(bytes)) return walk_png(bytes).problem;
  return {};
}

std::vector<unsigned char> without_noisy_png_chunks(std::span<const unsigned char> bytes) {
  std::vector<unsigned char> kept(bytes.begin(), bytes.end());
  if (!is_png(bytes)) return kept;
  const auto walk = walk_png(bytes);
  if (!walk.problem.empty() || walk.noisy.empty()) return kept;
  kept.clear();
  std::size_t from = 0;
  for (const auto& [begin, end] : walk.noisy) {
    kept.insert(kept.end(), bytes.begin() + static_cast<std::ptrdiff_t>(from), bytes.begin() + static_cast<std::ptrdiff_t>(begin));
    from = end;
  }
  kept.insert(kept.end(), bytes.begin() + static_cast<std::ptrdiff_t>(from), bytes.end());
  return kept;
}

std::optional<cv::Size> read_image_size(const std::filesystem::path& path) {
  constexpr std::streamsize kHeaderBytes = 1 << 20;  // past any EXIF block (an APP1 holds 64 KiB at most)
  std::ifstream in(path, std::ios::binary);
  std::vector<unsigned char> bytes(static_cast<std::size_t>(kHeaderBytes));
  in.read(reinterpret_cast<char*>(bytes.data()), kHeaderBytes);
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  return image_size_of(bytes);
}

ImageFile read_image_file(const std::filesystem::path& path) {
  ImageFile file;
  std::ifstream in(path, std::ios::binary);
  std::vector<unsigned char> bytes;
  if (in) {
    in.seekg(0, std::ios::end);
    const auto size = in.tellg();
    in.seekg(0, std::ios::beg);
    if (size > 0) {
      bytes.resize(static_cast<std::size_t>(size));
      in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
  }
  if (!in) {
    file.problem = errno != 0 ? fmt::format("cannot be read: {}", std::strerror(errno)) : std::string("cannot be read");
    return file;
  }
  if (bytes.empty()) {
    file.problem = "is empty";
    return file;
  }
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    file.problem = "is larger than 2 GiB, more than dlc reads as an image";
    return file;
  }
  file.problem = image_damage(bytes);
  if (!file.problem.empty()) {
    file.damaged = true;
    return file;
  }
  if (is_png(bytes)) bytes = without_noisy_png_chunks(bytes);
  auto decoded = decode_image(bytes);
  file.image = std::move(decoded.image);
  if (!decoded.problem.empty()) {
    file.problem = std::move(decoded.problem);
    file.damaged = file.problem.starts_with("corrupt");
  }
  return file;
}

}  // namespace dlc::media
