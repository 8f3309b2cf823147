#pragma once

#include <opencv2/core/mat.hpp>

namespace dlc::face {

// Writes an 8-bit BGR image as planar RGB floats (value − mean) / std into out, which holds
// 3 × rows × cols floats: the NCHW layout insightface's cv2.dnn.blobFromImage(swapRB=True) makes.
void bgr_to_rgb_planar(const cv::Mat& bgr, float mean, float std, float* out);

}  // namespace dlc::face
