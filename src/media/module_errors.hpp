#pragma once

#include <opencv2/core.hpp>

#include <exception>
#include <string>

namespace dlc::media {

// What the dlopen'd OpenCV modules (dlc_opencv_live.so, dlc_opencv_codecs.so) say instead of
// letting an exception cross the module's C boundary: OpenCV's own message when it has one.
inline std::string message_of(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const cv::Exception& e) {
    return e.err.empty() ? e.what() : e.err;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error";
  }
}

}  // namespace dlc::media
