// dlc's own PNG/JPEG/WebP codecs (libpng, libjpeg-turbo, libwebp) against OpenCV's imgcodecs,
// which these tests link and the dlc binary no longer does.
#include "media/image_codec.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include "media/image_file.hpp"
#include "support/paths.hpp"

namespace dlc::media {
namespace {

using Bytes = std::vector<unsigned char>;

cv::Mat picture(int type = CV_8UC3) {
  cv::Mat image(90, 124, CV_8UC3);
  for (int y = 0; y < image.rows; ++y) {
    for (int x = 0; x < image.cols; ++x) {
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(2 * x), static_cast<uchar>(2 * y), static_cast<uchar>(x ^ y));
    }
  }
  if (type == CV_8UC3) return image;
  cv::Mat other;
  if (type == CV_8UC1) {
    cv::extractChannel(image, other, 1);
  } else if (type == CV_8UC4) {
    std::vector<cv::Mat> planes;
    cv::split(image, planes);
    planes.push_back(planes[2].clone());
    cv::merge(planes, other);
  } else {
    image.convertTo(other, CV_16UC3, 257.0);
  }
  return other;
}

Bytes opencv_encoded(const char* extension, const cv::Mat& image) {
  Bytes bytes;
  EXPECT_TRUE(cv::imencode(extension, image, bytes));
  return bytes;
}

void expect_decodes_as_opencv_does(const Bytes& bytes) {
  const auto decoded = decode_image(bytes);
  EXPECT_TRUE(decoded.problem.empty()) << decoded.problem;
  const auto expected = cv::imdecode(bytes, cv::IMREAD_COLOR);
  ASSERT_FALSE(expected.empty());
  ASSERT_EQ(decoded.image.size(), expected.size());
  ASSERT_EQ(decoded.image.type(), CV_8UC3);
  EXPECT_EQ(cv::norm(decoded.image, expected, cv::NORM_INF), 0.0);
}

TEST(ImageCodec, PngJpegWebpDecodeAsImdecodeDoesWithoutLoadingImgcodecs) {
  for (const char* ext : {".png", ".jpg", ".webp"}) {
    SCOPED_TRACE(ext);
    expect_decodes_as_opencv_does(opencv_encoded(ext, picture()));
  }
  for (const int type : {CV_8UC1, CV_8UC4, CV_16UC3}) {
    SCOPED_TRACE(type);
    expect_decodes_as_opencv_does(opencv_encoded(".png", picture(type)));
  }
  expect_decodes_as_opencv_does(opencv_encoded(".jpg", picture(CV_8UC1)));
  EXPECT_FALSE(opencv_codecs_loaded()) << "the three formats are decoded without dlc_opencv_codecs.so";
}

TEST(ImageCodec, EncodesWhatImdecodeReadsBack) {
  const auto image = picture();
  for (const char* ext : {".png", ".jpg", ".jpeg", ".webp"}) {
    SCOPED_TRACE(ext);
    Bytes bytes;
    ASSERT_EQ(encode_image(image, ext, bytes), "");
    EXPECT_EQ(image_format_of(bytes), image_format_of(std::filesystem::path(std::string("x") + ext)));
    const auto back = cv::imdecode(bytes, cv::IMREAD_COLOR);
    ASSERT_EQ(back.size(), image.size());
    // PNG and WebP (imwrite's default: lossless) give the pixels back; JPEG at 95 stays close.
    const bool lossless = std::string(ext) == ".png" || std::string(ext) == ".webp";
    EXPECT_LE(cv::norm(back, image, cv::NORM_INF), lossless ? 0.0 : 48.0);
    EXPECT_LT(cv::norm(back, image, cv::NORM_L1) / static_cast<double>(image.total() * 3), 3.0);
    // The same settings as imwrite's: a file of about the size OpenCV writes.
    const auto opencv = opencv_encoded(ext, image);
    EXPECT_NEAR(static_cast<double>(bytes.size()), static_cast<double>(opencv.size()), 0.1 * static_cast<double>(opencv.size()));
  }
  EXPECT_FALSE(opencv_codecs_loaded());
}

TEST(ImageCodec, OtherFormatsGoThroughTheImgcodecsModule) {
  expect_decodes_as_opencv_does(opencv_encoded(".bmp", picture()));
  EXPECT_TRUE(opencv_codecs_loaded());
  Bytes bytes;
  ASSERT_EQ(encode_image(picture(), ".bmp", bytes), "");
  EXPECT_EQ(cv::norm(cv::imdecode(bytes, cv::IMREAD_COLOR), picture(), cv::NORM_INF), 0.0);
  EXPECT_NE(encode_image(picture(), ".no-such-format", bytes), "");
}

TEST(ImageCodec, WithoutTheModuleOtherFormatsSayWhy) {
  setenv("DLC_CODECS_MODULE", "/nonexistent/dlc_opencv_codecs.so", 1);
  const auto decoded = decode_image(opencv_encoded(".bmp", picture()));
  EXPECT_TRUE(decoded.image.empty());
  EXPECT_NE(decoded.problem.find("/nonexistent/dlc_opencv_codecs.so cannot be loaded"), std::string::npos)
      << decoded.problem;
  Bytes png;
  EXPECT_EQ(encode_image(picture(), ".png", png), "") << "PNG needs no module";
}

TEST(ImageCodec, SizeFromTheHeaderAlone) {
  for (const char* ext : {".png", ".jpg", ".webp"}) {
    SCOPED_TRACE(ext);
    EXPECT_EQ(image_size_of(opencv_encoded(ext, picture())), cv::Size(124, 90));
  }
  EXPECT_EQ(image_size_of(opencv_encoded(".bmp", picture())), std::nullopt) << "another format: ffprobe's to say";
  EXPECT_EQ(image_size_of(Bytes{0x89, 'P', 'N', 'G'}), std::nullopt);
  const auto photo = test::source_tree_file(".cache/media/grace_hopper.jpg");
  if (std::filesystem::exists(photo)) {
    EXPECT_EQ(read_image_size(photo), cv::imread(photo.string()).size());
  }
  EXPECT_FALSE(opencv_codecs_loaded());
}

// Whole in structure (so image_damage passes them) but with bad data inside: each decoder's error
// becomes a one-line problem, and read_image_file calls it damage.
TEST(ImageCodec, CorruptDataIsAOneLineProblem) {
  auto png = opencv_encoded(".png", picture());
  png[16] = 0;  // IHDR width 0 ... with its CRC fixed up below, so only libpng can tell
  png[17] = 0;
  png[18] = 0;
  png[19] = 0;
  const auto crc = crc32(crc32(0L, Z_NULL, 0), &png[12], 17);
  for (int i = 0; i < 4; ++i) png[29 + i] = static_cast<unsigned char>(crc >> (24 - 8 * i));
  auto jpeg = opencv_encoded(".jpg", picture());
  jpeg[3] = 0xC3;  // APP0 turned into SOF3 (lossless) with JFIF's bytes: not a frame header libjpeg takes
  Bytes webp = opencv_encoded(".webp", picture());
  for (std::size_t i = 20; i < webp.size(); ++i) webp[i] = static_cast<unsigned char>(i * 7);
  const auto dir = test::make_temp_dir();
  for (const auto& [bytes, name, prefix] : {std::tuple{png, "bad.png", "corrupt PNG data: "},
                                            std::tuple{jpeg, "bad.jpg", "corrupt JPEG data: "},
                                            std::tuple{webp, "bad.webp", "corrupt WebP data: "}}) {
    SCOPED_TRACE(name);
    const auto decoded = decode_image(bytes);
    EXPECT_TRUE(decoded.image.empty());
    EXPECT_TRUE(decoded.problem.starts_with(prefix)) << decoded.problem;
    EXPECT_EQ(decoded.problem.find('\n'), std::string::npos) << decoded.problem;
    const auto path = dir / name;
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    const auto file = read_image_file(path);
    EXPECT_TRUE(file.damaged);
    EXPECT_EQ(file.problem, decoded.problem);
  }
  std::filesystem::remove_all(dir);
  EXPECT_FALSE(opencv_codecs_loaded());
}

}  // namespace
}  // namespace dlc::media
