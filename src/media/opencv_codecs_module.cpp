// dlc_opencv_codecs.so: the only code of dlc that calls OpenCV's imgcodecs (see
// media/image_codec.hpp). Built with hidden visibility; it exports dlc_opencv_codecs_api alone.
// Nothing thrown here leaves the module.

#include <opencv2/imgcodecs.hpp>

#include <exception>

#include "media/module_errors.hpp"
#include "media/opencv_codecs_api.hpp"

namespace dlc::media {
namespace {

bool decode(const unsigned char* bytes, std::size_t size, cv::Mat* image, std::string* error) {
  try {
    const cv::Mat buffer(1, static_cast<int>(size), CV_8UC1, const_cast<unsigned char*>(bytes));
    *image = cv::imdecode(buffer, cv::IMREAD_COLOR);
    return true;
  } catch (...) {
    *error = message_of(std::current_exception());
    return false;
  }
}

bool encode(const char* extension, const cv::Mat* image, std::vector<unsigned char>* out, std::string* error) {
  try {
    if (cv::imencode(extension, *image, *out)) return true;
    *error = "OpenCV cannot write this format";
  } catch (...) {
    *error = message_of(std::current_exception());
  }
  return false;
}

const OpenCvCodecsApi kApi{kOpenCvCodecsAbi, &decode, &encode};

}  // namespace
}  // namespace dlc::media

extern "C" __attribute__((visibility("default"))) const dlc::media::OpenCvCodecsApi* dlc_opencv_codecs_api() {
  return &dlc::media::kApi;
}
