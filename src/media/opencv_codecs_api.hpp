#pragma once

#include <opencv2/core.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace dlc::media {

// The table dlc_opencv_codecs.so exports (media/opencv_codecs_module.cpp): OpenCV's imgcodecs for
// the formats media/image_codec.cpp does not decode itself. kOpenCvCodecsAbi changes whenever this
// header does, so a module left over from another build is refused, not called.
inline constexpr int kOpenCvCodecsAbi = 1;
struct OpenCvCodecsApi {
  int abi = kOpenCvCodecsAbi;
  // cv::imdecode(IMREAD_COLOR); false with error set when OpenCV threw, true with an empty image
  // when it does not know the format.
  bool (*decode)(const unsigned char* bytes, std::size_t size, cv::Mat* image, std::string* error) = nullptr;
  // cv::imencode(extension, image, out); false with error set when it cannot.
  bool (*encode)(const char* extension, const cv::Mat* image, std::vector<unsigned char>* out,
                 std::string* error) = nullptr;
};
inline constexpr const char* kOpenCvCodecsEntry = "dlc_opencv_codecs_api";
using OpenCvCodecsEntry = const OpenCvCodecsApi* (*)();

}  // namespace dlc::media
