#pragma once

#include <opencv2/core.hpp>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace dlc::media {

// The formats dlc decodes and encodes itself, with libpng, libjpeg-turbo and libwebp: linking
// OpenCV's imgcodecs instead maps GDAL and ~140 libraries into every dlc process (README
// "Start-up cost"). Anything else (BMP, TIFF, a CMYK JPEG, ...) goes to imgcodecs in the module
// dlc_opencv_codecs.so, loaded on first use.
enum class ImageFormat { kOther, kPng, kJpeg, kWebp };

ImageFormat image_format_of(std::span<const unsigned char> bytes);         // by the signature
ImageFormat image_format_of(const std::filesystem::path& path);            // by the extension

struct DecodedImage {
  cv::Mat image;        // 8-bit BGR; empty when the bytes are not an image dlc can read
  std::string problem;  // set when a decoder found damage in the data ("corrupt JPEG data: ...")
};

// To 8-bit BGR as cv::imdecode(IMREAD_COLOR) gives it: 16 bits cut to 8, alpha dropped, grey and
// palettes expanded, a JPEG's EXIF orientation applied.
DecodedImage decode_image(std::span<const unsigned char> bytes);

// bgr (CV_8UC3) in the format extension names (".png", ".jpg", ".webp", or whatever imgcodecs
// writes), with imwrite's default settings (PNG: zlib level 1, SUB filter, RLE; JPEG quality 95;
// WebP lossless). Returns the problem, empty when out holds the file.
std::string encode_image(const cv::Mat& bgr, const std::string& extension, std::vector<unsigned char>& out);

// The size an image decodes to (a JPEG's EXIF orientation applied), from a PNG's IHDR, a JPEG's
// frame header or a WebP's header, without decoding it; empty for another format or a header
// that cannot be read. What a job plans an image target by, instead of running ffprobe.
std::optional<cv::Size> image_size_of(std::span<const unsigned char> bytes);

// Whether dlc_opencv_codecs.so has been loaded in this process (tests: a PNG/JPEG/WebP job never
// loads it).
bool opencv_codecs_loaded();

}  // namespace dlc::media
