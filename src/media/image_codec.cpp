#include "media/image_codec.hpp"

#include <fmt/format.h>
#include <jpeglib.h>
#include <png.h>
#include <webp/decode.h>
#include <webp/encode.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <csetjmp>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>

#include "media/install_layout.hpp"
#include "media/opencv_codecs_api.hpp"

namespace dlc::media {
namespace {

// ---- the imgcodecs module, for the other formats ----

// Never closed: OpenCV's codec libraries (GDAL among them) leave atexit handlers behind.
struct CodecsModule {
  std::mutex mutex;
  std::atomic<const OpenCvCodecsApi*> api{nullptr};
  std::string error;  // why it cannot be loaded, once tried
};

CodecsModule& codecs_module() {
  static auto* module = new CodecsModule;  // never destroyed, see above
  return *module;
}

std::filesystem::path codecs_module_path() { return module_path("DLC_CODECS_MODULE", DLC_CODECS_MODULE_NAME); }

const OpenCvCodecsApi* load_codecs(std::string& error) {
  auto& m = codecs_module();
  const std::lock_guard lock(m.mutex);
  if (const auto* api = m.api.load()) return api;
  if (!m.error.empty()) {
    error = m.error;
    return nullptr;
  }
  const auto entry = reinterpret_cast<OpenCvCodecsEntry>(
      open_module("DLC_CODECS_MODULE", DLC_CODECS_MODULE_NAME, kOpenCvCodecsEntry, m.error));
  const OpenCvCodecsApi* api = entry != nullptr ? entry() : nullptr;
  if (api == nullptr || api->abi != kOpenCvCodecsAbi) {
    if (entry != nullptr) m.error = fmt::format("{} cannot be loaded (not this dlc's module: rebuild dlc)", codecs_module_path().string());
    error = m.error;
    return nullptr;
  }
  m.api = api;
  return api;
}

DecodedImage decode_with_opencv(std::span<const unsigned char> bytes) {
  DecodedImage decoded;
  std::string error;
  const auto* api = load_codecs(error);
  if (api == nullptr) {
    decoded.problem = error;
    return decoded;
  }
  if (!api->decode(bytes.data(), bytes.size(), &decoded.image, &error)) decoded.image.release();
  return decoded;  // OpenCV refusing a file (too large, unknown) is "not an image", as before
}

// ---- PNG (libpng, with the transforms OpenCV's PngDecoder sets for IMREAD_COLOR) ----

struct PngReader {
  std::span<const unsigned char> bytes;
  std::size_t at = 0;
  std::string error;
};

void png_read_bytes(png_structp png, png_bytep out, png_size_t size) {
  auto* reader = static_cast<PngReader*>(png_get_io_ptr(png));
  if (reader->at + size > reader->bytes.size()) png_error(png, "the file ends inside the image data");
  std::memcpy(out, reader->bytes.data() + reader->at, size);
  reader->at += size;
}

void png_fail(png_structp png, png_const_charp message) {
  static_cast<PngReader*>(png_get_error_ptr(png))->error = message;
  png_longjmp(png, 1);
}

void png_quiet(png_structp, png_const_charp) {}  // warnings: OpenCV never showed them either

DecodedImage decode_png(std::span<const unsigned char> bytes) {
  DecodedImage decoded;
  PngReader reader{bytes, 0, {}};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, png_fail, png_quiet);
  png_infop info = png != nullptr ? png_create_info_struct(png) : nullptr;
  if (info == nullptr) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    decoded.problem = "corrupt PNG data: libpng cannot start";
    return decoded;
  }
  cv::Mat image;
  std::vector<png_bytep> rows;
  if (setjmp(png_jmpbuf(png)) != 0) {
    png_destroy_read_struct(&png, &info, nullptr);
    decoded.problem = "corrupt PNG data: " + reader.error;
    return decoded;
  }
  png_set_read_fn(png, &reader, png_read_bytes);
  png_read_info(png, info);
  const auto width = png_get_image_width(png, info);
  const auto height = png_get_image_height(png, info);
  const int color = png_get_color_type(png, info);
  if (width > 0x7FFFFFFFu / 3 || height > 0x7FFFFFFFu) png_error(png, "the image is too large");
  if (png_get_bit_depth(png, info) == 16) png_set_strip_16(png);
  png_set_strip_alpha(png);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if ((color & PNG_COLOR_MASK_COLOR) == 0 && png_get_bit_depth(png, info) < 8) png_set_expand_gray_1_2_4_to_8(png);
  if ((color & PNG_COLOR_MASK_COLOR) == 0) png_set_gray_to_rgb(png);
  png_set_bgr(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  image.create(static_cast<int>(height), static_cast<int>(width), CV_8UC3);
  rows.resize(height);
  for (png_uint_32 y = 0; y < height; ++y) rows[y] = image.ptr<png_byte>(static_cast<int>(y));
  png_read_image(png, rows.data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  decoded.image = image;
  return decoded;
}

struct PngWriter {
  std::vector<unsigned char>* out;
  std::string error;
};

void png_write_bytes(png_structp png, png_bytep data, png_size_t size) {
  auto* writer = static_cast<PngWriter*>(png_get_io_ptr(png));
  writer->out->insert(writer->out->end(), data, data + size);
}

void png_write_fail(png_structp png, png_const_charp message) {
  static_cast<PngWriter*>(png_get_error_ptr(png))->error = message;
  png_longjmp(png, 1);
}

std::string encode_png(const cv::Mat& bgr, std::vector<unsigned char>& out) {
  PngWriter writer{&out, {}};
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &writer, png_write_fail, png_quiet);
  png_infop info = png != nullptr ? png_create_info_struct(png) : nullptr;
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    return "libpng cannot start";
  }
  std::vector<png_bytep> rows(static_cast<std::size_t>(bgr.rows));
  if (setjmp(png_jmpbuf(png)) != 0) {
    png_destroy_write_struct(&png, &info);
    return "libpng: " + writer.error;
  }
  png_set_write_fn(png, &writer, png_write_bytes, nullptr);
  // imwrite's defaults for PNG (OpenCV 4.6 grfmt_png.cpp), tuned for speed.
  png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
  png_set_compression_level(png, Z_BEST_SPEED);
  png_set_compression_strategy(png, Z_RLE);
  png_set_IHDR(png, info, static_cast<png_uint_32>(bgr.cols), static_cast<png_uint_32>(bgr.rows), 8,
               PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_set_bgr(png);
  for (int y = 0; y < bgr.rows; ++y) rows[static_cast<std::size_t>(y)] = const_cast<png_bytep>(bgr.ptr<png_byte>(y));
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return {};
}

// ---- JPEG (libjpeg-turbo) ----

struct JpegError {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
};

void jpeg_fail(j_common_ptr cinfo) {
  longjmp(reinterpret_cast<JpegError*>(cinfo->err)->jump, 1);
}

void jpeg_quiet(j_common_ptr, int) {}  // warnings ("Corrupt JPEG data: N extraneous bytes"): imread is silent too

std::string jpeg_message(j_common_ptr cinfo) {
  char text[JMSG_LENGTH_MAX] = {};
  cinfo->err->format_message(cinfo, text);
  return text;
}

// The EXIF Orientation (TIFF tag 0x0112) of a JPEG's APP1 segment; 1 (upright) when there is none.
int jpeg_orientation(std::span<const unsigned char> b) {
  std::size_t i = 2;
  while (i + 4 <= b.size() && b[i] == 0xFF) {
    const unsigned char marker = b[i + 1];
    if (marker == 0xDA || marker == 0xD9) break;  // image data: no metadata after it
    const std::size_t length = (static_cast<std::size_t>(b[i + 2]) << 8) | b[i + 3];
    const std::size_t data = i + 4;
    if (length < 2 || data + length - 2 > b.size()) break;
    if (marker == 0xE1 && length >= 2 + 6 + 8 && std::memcmp(&b[data], "Exif\0\0", 6) == 0) {
      const auto* tiff = &b[data + 6];
      const std::size_t size = length - 2 - 6;
      const bool little = tiff[0] == 'I';
      const auto u16 = [&](std::size_t at) -> std::uint32_t {
        return little ? (tiff[at] | (tiff[at + 1] << 8)) : ((tiff[at] << 8) | tiff[at + 1]);
      };
      const auto u32 = [&](std::size_t at) -> std::uint32_t {
        return little ? (u16(at) | (u16(at + 2) << 16)) : ((u16(at) << 16) | u16(at + 2));
      };
      const std::size_t ifd = u32(4);
      if (ifd + 2 > size) return 1;
      const std::size_t entries = u16(ifd);
      for (std::size_t e = 0; e < entries && ifd + 2 + 12 * (e + 1) <= size; ++e) {
        const std::size_t entry = ifd + 2 + 12 * e;
        if (u16(entry) == 0x0112) return static_cast<int>(u16(entry + 8));
      }
      return 1;
    }
    i = data + length - 2;
  }
  return 1;
}

// EXIF orientations 2-8 turned upright, as OpenCV's ExifTransform does.
void apply_orientation(cv::Mat& image, int orientation) {
  switch (orientation) {
    case 2: cv::flip(image, image, 1); break;
    case 3: cv::flip(image, image, -1); break;
    case 4: cv::flip(image, image, 0); break;
    case 5: cv::transpose(image, image); break;
    case 6: cv::transpose(image, image); cv::flip(image, image, 1); break;
    case 7: cv::transpose(image, image); cv::flip(image, image, -1); break;
    case 8: cv::transpose(image, image); cv::flip(image, image, 0); break;
    default: break;
  }
}

DecodedImage decode_jpeg(std::span<const unsigned char> bytes) {
  DecodedImage decoded;
  jpeg_decompress_struct cinfo{};
  JpegError error{};
  cinfo.err = jpeg_std_error(&error.manager);
  error.manager.error_exit = jpeg_fail;
  error.manager.emit_message = jpeg_quiet;
  cv::Mat image;
  if (setjmp(error.jump) != 0) {
    decoded.problem = "corrupt JPEG data: " + jpeg_message(reinterpret_cast<j_common_ptr>(&cinfo));
    jpeg_destroy_decompress(&cinfo);
    return decoded;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    jpeg_destroy_decompress(&cinfo);
    return decode_with_opencv(bytes);  // OpenCV's own CMYK conversion, for the same pixels as before
  }
  cinfo.out_color_space = JCS_EXT_BGR;
  jpeg_start_decompress(&cinfo);
  image.create(static_cast<int>(cinfo.output_height), static_cast<int>(cinfo.output_width), CV_8UC3);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = image.ptr<JSAMPLE>(static_cast<int>(cinfo.output_scanline));
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  apply_orientation(image, jpeg_orientation(bytes));
  decoded.image = image;
  return decoded;
}

std::string encode_jpeg(const cv::Mat& bgr, std::vector<unsigned char>& out) {
  jpeg_compress_struct cinfo{};
  JpegError error{};
  cinfo.err = jpeg_std_error(&error.manager);
  error.manager.error_exit = jpeg_fail;
  error.manager.emit_message = jpeg_quiet;
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  if (setjmp(error.jump) != 0) {
    const auto message = jpeg_message(reinterpret_cast<j_common_ptr>(&cinfo));
    jpeg_destroy_compress(&cinfo);
    std::free(buffer);
    return "libjpeg: " + message;
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(bgr.cols);
  cinfo.image_height = static_cast<JDIMENSION>(bgr.rows);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_EXT_BGR;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 95, TRUE);  // imwrite's default IMWRITE_JPEG_QUALITY
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    auto* row = const_cast<JSAMPLE*>(bgr.ptr<JSAMPLE>(static_cast<int>(cinfo.next_scanline)));
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  out.assign(buffer, buffer + size);
  std::free(buffer);
  return {};
}

// ---- WebP (libwebp) ----

DecodedImage decode_webp(std::span<const unsigned char> bytes) {
  DecodedImage decoded;
  int width = 0;
  int height = 0;
  if (WebPGetInfo(bytes.data(), bytes.size(), &width, &height) == 0) {
    decoded.problem = "corrupt WebP data: libwebp cannot read its header";
    return decoded;
  }
  cv::Mat image(height, width, CV_8UC3);
  if (WebPDecodeBGRInto(bytes.data(), bytes.size(), image.data, image.total() * image.elemSize(),
                        static_cast<int>(image.step)) == nullptr) {
    decoded.problem = "corrupt WebP data: libwebp cannot decode the image";
    return decoded;
  }
  decoded.image = image;
  return decoded;
}

std::string encode_webp(const cv::Mat& bgr, std::vector<unsigned char>& out) {
  std::uint8_t* data = nullptr;
  // imwrite without IMWRITE_WEBP_QUALITY writes lossless WebP (OpenCV 4.6 grfmt_webp.cpp).
  const auto size = WebPEncodeLosslessBGR(bgr.data, bgr.cols, bgr.rows, static_cast<int>(bgr.step), &data);
  if (size == 0) {
    WebPFree(data);
    return "libwebp cannot encode the image";
  }
  out.assign(data, data + size);
  WebPFree(data);
  return {};
}

}  // namespace

ImageFormat image_format_of(std::span<const unsigned char> b) {
  static constexpr unsigned char kPng[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (b.size() >= 8 && std::equal(std::begin(kPng), std::end(kPng), b.begin())) return ImageFormat::kPng;
  if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return ImageFormat::kJpeg;
  if (b.size() >= 12 && std::memcmp(b.data(), "RIFF", 4) == 0 && std::memcmp(b.data() + 8, "WEBP", 4) == 0) {
    return ImageFormat::kWebp;
  }
  return ImageFormat::kOther;
}

ImageFormat image_format_of(const std::filesystem::path& path) {
  auto ext = path.extension().string();
  std::ranges::transform(ext, ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".png") return ImageFormat::kPng;
  if (ext == ".jpg" || ext == ".jpeg" || ext == ".jpe") return ImageFormat::kJpeg;
  if (ext == ".webp") return ImageFormat::kWebp;
  return ImageFormat::kOther;
}

DecodedImage decode_image(std::span<const unsigned char> bytes) {
  switch (image_format_of(bytes)) {
    case ImageFormat::kPng: return decode_png(bytes);
    case ImageFormat::kJpeg: return decode_jpeg(bytes);
    case ImageFormat::kWebp: return decode_webp(bytes);
    case ImageFormat::kOther: break;
  }
  return decode_with_opencv(bytes);
}

std::string encode_image(const cv::Mat& bgr, const std::string& extension, std::vector<unsigned char>& out) {
  out.clear();
  if (bgr.empty() || bgr.type() != CV_8UC3) return "not an 8-bit BGR image";
  const cv::Mat image = bgr.isContinuous() ? bgr : bgr.clone();
  switch (image_format_of(std::filesystem::path("x" + extension))) {
    case ImageFormat::kPng: return encode_png(image, out);
    case ImageFormat::kJpeg: return encode_jpeg(image, out);
    case ImageFormat::kWebp: return encode_webp(image, out);
    case ImageFormat::kOther: break;
  }
  std::string error;
  const auto* api = load_codecs(error);
  if (api == nullptr) return error;
  return api->encode(extension.c_str(), &image, &out, &error) ? std::string() : error;
}

std::optional<cv::Size> image_size_of(std::span<const unsigned char> b) {
  const auto be16 = [&](std::size_t at) { return static_cast<int>((b[at] << 8) | b[at + 1]); };
  switch (image_format_of(b)) {
    case ImageFormat::kPng: {
      if (b.size() < 24) return std::nullopt;
      const auto w = (be16(16) << 16) | be16(18);
      const auto h = (be16(20) << 16) | be16(22);
      if (w <= 0 || h <= 0) return std::nullopt;
      return cv::Size(w, h);
    }
    case ImageFormat::kJpeg: {
      // Segments by their lengths to the first frame header, SOF0-15 less DHT (C4), JPG (C8), DAC (CC).
      for (std::size_t i = 2; i + 9 <= b.size() && b[i] == 0xFF;) {
        const unsigned char marker = b[i + 1];
        if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
          cv::Size size(be16(i + 7), be16(i + 5));
          if (size.width <= 0 || size.height <= 0) return std::nullopt;
          if (jpeg_orientation(b) >= 5) std::swap(size.width, size.height);
          return size;
        }
        if (marker == 0xDA || marker == 0xD9) return std::nullopt;
        i += 2 + static_cast<std::size_t>(be16(i + 2));
      }
      return std::nullopt;
    }
    case ImageFormat::kWebp: {
      int w = 0;
      int h = 0;
      if (WebPGetInfo(b.data(), b.size(), &w, &h) == 0) return std::nullopt;
      return cv::Size(w, h);
    }
    case ImageFormat::kOther: break;
  }
  return std::nullopt;
}

bool opencv_codecs_loaded() { return codecs_module().api.load() != nullptr; }

}  // namespace dlc::media
