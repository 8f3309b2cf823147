#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>

// The live preview as a byte stream (`dlc live --preview-pipe WxH`), for a window in another
// process (dlc-gui) that shows the frames itself: each frame the preview would show, letterboxed
// to a fixed size, as a 24-byte header and width × height × 3 bytes of BGR, rows top to bottom.
// Header, little-endian: "DLCF", u32 width, u32 height, u32 the preview's rate in frames per
// 1000 s (0 in the first second), i64 the camera's frame index. No OpenCV here: dlc-gui reads it.
namespace dlc::pipeline {

struct PreviewFrameHeader {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::uint32_t millifps = 0;
  std::int64_t index = 0;
};
inline constexpr std::size_t kPreviewHeaderBytes = 24;
inline constexpr unsigned char kPreviewMagic[4] = {'D', 'L', 'C', 'F'};

inline void encode_preview_header(const PreviewFrameHeader& header, unsigned char* out) {
  const auto put = [](unsigned char* at, std::uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) at[i] = static_cast<unsigned char>(value >> (8 * i));
  };
  std::memcpy(out, kPreviewMagic, 4);
  put(out + 4, header.width, 4);
  put(out + 8, header.height, 4);
  put(out + 12, header.millifps, 4);
  put(out + 16, static_cast<std::uint64_t>(header.index), 8);
}

// nullopt: the bytes are not a header (wrong magic, a zero size).
inline std::optional<PreviewFrameHeader> decode_preview_header(const unsigned char* in) {
  const auto get = [](const unsigned char* at, int bytes) {
    std::uint64_t value = 0;
    for (int i = 0; i < bytes; ++i) value |= static_cast<std::uint64_t>(at[i]) << (8 * i);
    return value;
  };
  if (std::memcmp(in, kPreviewMagic, 4) != 0) return std::nullopt;
  PreviewFrameHeader header;
  header.width = static_cast<std::uint32_t>(get(in + 4, 4));
  header.height = static_cast<std::uint32_t>(get(in + 8, 4));
  header.millifps = static_cast<std::uint32_t>(get(in + 12, 4));
  header.index = static_cast<std::int64_t>(get(in + 16, 8));
  if (header.width == 0 || header.height == 0) return std::nullopt;
  return header;
}

}  // namespace dlc::pipeline
