#include "media/image_file.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/paths.hpp"

namespace dlc::media {
namespace {

using Bytes = std::vector<unsigned char>;

// A picture with structure in it, so a grey half would show.
cv::Mat picture() {
  cv::Mat image(96, 128, CV_8UC3);
  for (int y = 0; y < image.rows; ++y) {
    for (int x = 0; x < image.cols; ++x) {
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(2 * x), static_cast<uchar>(2 * y), static_cast<uchar>(x ^ y));
    }
  }
  return image;
}

Bytes encoded(const char* extension) {
  Bytes bytes;
  EXPECT_TRUE(cv::imencode(extension, picture(), bytes));
  return bytes;
}

void put_big_endian_32(unsigned char* out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<unsigned char>(v >> (24 - 8 * i));
}

// A PNG chunk: length, type, data, CRC of type and data.
Bytes png_chunk(const std::string& type, const Bytes& data) {
  Bytes chunk(12 + data.size());
  put_big_endian_32(chunk.data(), static_cast<std::uint32_t>(data.size()));
  std::copy(type.begin(), type.end(), chunk.begin() + 4);
  std::copy(data.begin(), data.end(), chunk.begin() + 8);
  const auto crc = crc32(crc32(0L, Z_NULL, 0), chunk.data() + 4, static_cast<uInt>(4 + data.size()));
  put_big_endian_32(chunk.data() + 8 + data.size(), static_cast<std::uint32_t>(crc));
  return chunk;
}

// png with chunk inserted after IHDR (8 bytes of signature, 25 of IHDR).
Bytes with_chunk_after_ihdr(Bytes png, const Bytes& chunk) {
  png.insert(png.begin() + 33, chunk.begin(), chunk.end());
  return png;
}

// An iCCP chunk whose profile libpng rejects (a zeroed 132-byte header: no valid length), which
// libpng reports as a warning on stderr, as it does "known incorrect sRGB profile".
Bytes bad_icc_chunk() {
  const Bytes profile(132, 0);
  Bytes compressed(compressBound(profile.size()));
  uLongf size = compressed.size();
  EXPECT_EQ(compress(compressed.data(), &size, profile.data(), profile.size()), Z_OK);
  compressed.resize(size);
  Bytes data{'t', 'e', 's', 't', 0, 0};  // profile name, NUL, compression method 0
  data.insert(data.end(), compressed.begin(), compressed.end());
  return png_chunk("iCCP", data);
}

class ImageFileTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::make_temp_dir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(const char* name, const Bytes& bytes) {
    const auto path = dir_ / name;
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(ImageFileTest, WholeFilesDecodeAsImreadDoes) {
  for (const char* ext : {".jpg", ".png", ".bmp"}) {
    SCOPED_TRACE(ext);
    const auto path = write((std::string("whole") + ext).c_str(), encoded(ext));
    const auto file = read_image_file(path);
    EXPECT_TRUE(file.problem.empty()) << file.problem;
    EXPECT_FALSE(file.damaged);
    const auto expected = cv::imread(path.string(), cv::IMREAD_COLOR);
    ASSERT_EQ(file.image.size(), expected.size());
    EXPECT_EQ(cv::norm(file.image, expected, cv::NORM_INF), 0.0);
  }
}

TEST_F(ImageFileTest, TruncatedJpegIsDamagedWhereverItIsCut) {
  const auto whole = encoded(".jpg");
  ASSERT_TRUE(image_damage(whole).empty()) << image_damage(whole);
  // Inside a header segment, inside the image data, and without (half of) the end-of-image marker.
  for (const std::size_t size : {std::size_t{40}, whole.size() / 2, whole.size() - 1, whole.size() - 2}) {
    SCOPED_TRACE(size);
    const Bytes cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(size));
    EXPECT_TRUE(image_damage(cut).starts_with("truncated JPEG data: the file ends at byte " + std::to_string(size)))
        << image_damage(cut);
    const auto file = read_image_file(write("cut.jpg", cut));
    EXPECT_TRUE(file.damaged);
    EXPECT_TRUE(file.image.empty());
  }
}

// APP1 segment holding an EXIF block (big-endian TIFF, one IFD entry: Orientation = value),
// followed by bytes that look like an end-of-image marker, as an embedded thumbnail's do.
Bytes exif_segment(std::uint16_t orientation) {
  Bytes tiff{'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1};
  tiff.insert(tiff.end(), {static_cast<unsigned char>(orientation >> 8), static_cast<unsigned char>(orientation), 0, 0});
  tiff.insert(tiff.end(), {0, 0, 0, 0, 0xFF, 0xD8, 0xFF, 0xD9});  // no next IFD; a "thumbnail"
  Bytes segment{0xFF, 0xE1};
  const auto length = static_cast<std::uint16_t>(2 + 6 + tiff.size());
  segment.insert(segment.end(), {static_cast<unsigned char>(length >> 8), static_cast<unsigned char>(length)});
  segment.insert(segment.end(), {'E', 'x', 'i', 'f', 0, 0});
  segment.insert(segment.end(), tiff.begin(), tiff.end());
  return segment;
}

TEST_F(ImageFileTest, AThumbnailsEndMarkerIsNotTheImagesAndOrientationIsApplied) {
  auto jpeg = encoded(".jpg");
  const auto app1 = exif_segment(6);  // rotate 90° clockwise to display
  jpeg.insert(jpeg.begin() + 2, app1.begin(), app1.end());
  const auto path = write("exif.jpg", jpeg);
  const auto file = read_image_file(path);
  ASSERT_TRUE(file.problem.empty()) << file.problem;
  const auto expected = cv::imread(path.string(), cv::IMREAD_COLOR);
  ASSERT_EQ(expected.size(), cv::Size(96, 128)) << "imread applies the orientation";
  ASSERT_EQ(file.image.size(), expected.size());
  EXPECT_EQ(cv::norm(file.image, expected, cv::NORM_INF), 0.0);
  EXPECT_EQ(read_image_size(path), expected.size()) << "the header's size, turned as the image is";

  const Bytes cut(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(jpeg.size() * 2 / 3));
  EXPECT_TRUE(image_damage(cut).starts_with("truncated JPEG data")) << image_damage(cut);
}

TEST_F(ImageFileTest, TruncatedPngIsDamagedWhereverItIsCut) {
  const auto whole = encoded(".png");
  ASSERT_TRUE(image_damage(whole).empty()) << image_damage(whole);
  for (const std::size_t size : {std::size_t{20}, whole.size() / 2, whole.size() - 12, whole.size() - 1}) {
    SCOPED_TRACE(size);
    const Bytes cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(size));
    EXPECT_TRUE(image_damage(cut).starts_with("truncated PNG data: the file ends at byte " + std::to_string(size)))
        << image_damage(cut);
    const auto file = read_image_file(write("cut.png", cut));
    EXPECT_TRUE(file.damaged);
    EXPECT_TRUE(file.image.empty());
  }
}

TEST_F(ImageFileTest, CorruptPngDataFailsItsCrc) {
  auto png = encoded(".png");
  png[png.size() - 20] ^= 0x55;  // inside the last IDAT
  EXPECT_TRUE(image_damage(png).starts_with("corrupt PNG data: the IDAT chunk")) << image_damage(png);
}

TEST_F(ImageFileTest, IccProfileIsLeftOutSoLibpngSaysNothing) {
  const auto plain = encoded(".png");
  const auto with_icc = with_chunk_after_ihdr(plain, bad_icc_chunk());
  EXPECT_EQ(without_noisy_png_chunks(with_icc), plain);
  const auto path = write("icc.png", with_icc);
  // The file does make libpng talk when OpenCV reads it as it is.
  testing::internal::CaptureStderr();
  const auto noisy = cv::imread(path.string(), cv::IMREAD_COLOR);
  const auto said = testing::internal::GetCapturedStderr();
  ASSERT_NE(said.find("iCCP"), std::string::npos) << said;
  testing::internal::CaptureStderr();
  const auto file = read_image_file(path);
  const auto quiet = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(quiet.empty()) << quiet;
  ASSERT_TRUE(file.problem.empty()) << file.problem;
  EXPECT_EQ(cv::norm(file.image, noisy, cv::NORM_INF), 0.0);
}

// Deep-Live-Cam's sample photo carries the HP/Microsoft sRGB profile that libpng calls "known
// incorrect".
TEST_F(ImageFileTest, KnownIncorrectSrgbProfileIsNotReported) {
  const auto photo = test::source_tree_file(".cache/media/astronaut.png");
  if (!std::filesystem::exists(photo)) GTEST_SKIP() << "the Debian photos are missing: run scripts/setup.sh";
  testing::internal::CaptureStderr();
  const auto file = read_image_file(photo);
  const auto said = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(said.empty()) << said;
  ASSERT_TRUE(file.problem.empty()) << file.problem;
  EXPECT_EQ(cv::norm(file.image, cv::imread(photo.string(), cv::IMREAD_COLOR), cv::NORM_INF), 0.0);
}

TEST_F(ImageFileTest, BadCrcInAnAncillaryChunkIsLeftOutNotDamage) {
  auto text = png_chunk("tEXt", Bytes{'k', 0, 'v'});
  text.back() ^= 0xFF;
  const auto plain = encoded(".png");
  const auto png = with_chunk_after_ihdr(plain, text);
  EXPECT_TRUE(image_damage(png).empty()) << image_damage(png);
  EXPECT_EQ(without_noisy_png_chunks(png), plain);
}

TEST_F(ImageFileTest, EmptyOrMissingFileSaysSo) {
  EXPECT_EQ(read_image_file(write("empty.jpg", {})).problem, "is empty");
  const auto missing = read_image_file(dir_ / "missing.jpg");
  EXPECT_TRUE(missing.problem.starts_with("cannot be read")) << missing.problem;
  EXPECT_FALSE(missing.damaged);
}

TEST_F(ImageFileTest, OtherFormatsAndJunkGoToOpenCvAsTheyAre) {
  EXPECT_TRUE(image_damage(encoded(".bmp")).empty());
  const auto junk = read_image_file(write("junk.jpg", Bytes{'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'}));
  EXPECT_TRUE(junk.problem.empty());
  EXPECT_TRUE(junk.image.empty());
}

}  // namespace
}  // namespace dlc::media
