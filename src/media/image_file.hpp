#pragma once

#include <opencv2/core.hpp>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace dlc::media {

// An image file read whole, its structure checked, then decoded to 8-bit BGR (EXIF orientation
// applied, as cv::imread does) by media/image_codec.hpp: libpng, libjpeg-turbo, libwebp, and
// OpenCV's imgcodecs (loaded only then) for other formats.
struct ImageFile {
  cv::Mat image;         // empty when problem is set, or when OpenCV cannot decode the file
  std::string problem;   // for a user: the damage ("truncated JPEG data: ..."), or why it cannot be read
  bool damaged = false;  // problem is damage found in the file, rather than a failure to read it
};

// OpenCV's decoders do not say when a file is cut short: libjpeg prints "Premature end of JPEG
// file" and fills the rest grey, so the check comes first. A JPEG must reach its end-of-image
// marker (its segments walked by their lengths, the image data to the next marker); a PNG must
// reach IEND, each chunk whole and the critical ones with a matching CRC. Other formats go to
// OpenCV as they are. A PNG's iCCP chunk is left out before decoding: OpenCV ignores colour
// profiles, and libpng's "iCCP: known incorrect sRGB profile" (and its kin) would otherwise reach
// the user's terminal; so are ancillary chunks whose CRC is wrong, which libpng would drop with a
// warning. Throws nothing: a file that cannot be read gives the reason in problem.
ImageFile read_image_file(const std::filesystem::path& path);

// The size path's image decodes to, from the header in its first MiB (image_size_of); empty when
// it cannot be told that way (another format, a damaged header, an unreadable file).
std::optional<cv::Size> read_image_size(const std::filesystem::path& path);

// The structural damage read_image_file looks for, in a file's bytes: empty for a whole JPEG or
// PNG and for any other format.
std::string image_damage(std::span<const unsigned char> bytes);

// bytes without the PNG chunks that only make libpng talk (iCCP, ancillary chunks with a bad
// CRC); the same bytes for anything else, or a damaged PNG.
std::vector<unsigned char> without_noisy_png_chunks(std::span<const unsigned char> bytes);

}  // namespace dlc::media
