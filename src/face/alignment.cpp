#include "face/alignment.hpp"

#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>

#include <limits>
#include <stdexcept>
#include <vector>

namespace dlc::face {

cv::Matx23d similarity_transform(std::span<const cv::Point2f> src, std::span<const cv::Point2f> dst) {
  if (src.size() != dst.size() || src.size() < 2) throw std::invalid_argument("similarity_transform: bad point sets");
  const double n = static_cast<double>(src.size());
  cv::Point2d mean_src(0, 0);
  cv::Point2d mean_dst(0, 0);
  for (std::size_t i = 0; i < src.size(); ++i) {
    mean_src += cv::Point2d(src[i]);
    mean_dst += cv::Point2d(dst[i]);
  }
  mean_src *= 1.0 / n;
  mean_dst *= 1.0 / n;

  // Umeyama (1991): covariance of the centred sets, its SVD, and the sign fix that rules out
  // a reflection.
  cv::Matx22d cov = cv::Matx22d::zeros();
  double var_src = 0;
  for (std::size_t i = 0; i < src.size(); ++i) {
    const cv::Point2d s = cv::Point2d(src[i]) - mean_src;
    const cv::Point2d d = cv::Point2d(dst[i]) - mean_dst;
    cov += cv::Matx22d(d.x * s.x, d.x * s.y, d.y * s.x, d.y * s.y);
    var_src += s.x * s.x + s.y * s.y;
  }
  cov *= 1.0 / n;
  var_src /= n;
  cv::Matx22d u;
  cv::Matx22d vt;
  cv::Matx21d w;
  cv::SVD::compute(cov, w, u, vt);
  cv::Matx22d sign = cv::Matx22d::eye();
  if (cv::determinant(u) * cv::determinant(vt) < 0) sign(1, 1) = -1;
  const cv::Matx22d rotation = u * sign * vt;
  const double scale = var_src > 0 ? (w(0) * sign(0, 0) + w(1) * sign(1, 1)) / var_src : 1.0;
  const cv::Matx22d sr = scale * rotation;
  const cv::Vec2d t = cv::Vec2d(mean_dst.x, mean_dst.y) - sr * cv::Vec2d(mean_src.x, mean_src.y);
  return {sr(0, 0), sr(0, 1), t[0], sr(1, 0), sr(1, 1), t[1]};
}

namespace {

std::array<cv::Point2f, 5> scaled(const std::array<std::array<float, 2>, 5>& base, float ratio, float shift_x) {
  std::array<cv::Point2f, 5> points;
  for (std::size_t i = 0; i < points.size(); ++i) points[i] = {base[i][0] * ratio + shift_x, base[i][1] * ratio};
  return points;
}

}  // namespace

std::array<cv::Point2f, 5> arcface_template(int size) {
  // insightface face_align.estimate_norm: ratio = size/112 for multiples of 112, else size/128
  // with an x shift of 8·ratio (128 → the +8 px template inswapper uses).
  if (size % 112 == 0) return scaled(kArcFaceTemplate112, static_cast<float>(size) / 112.0f, 0.0f);
  const float ratio = static_cast<float>(size) / 128.0f;
  return scaled(kArcFaceTemplate112, ratio, 8.0f * ratio);
}

std::array<cv::Point2f, 5> ffhq_template(int size) {
  return scaled(kFfhqTemplate512, static_cast<float>(size) / 512.0f, 0.0f);
}

cv::Matx23d align_to(const Keypoints& kps, const std::array<cv::Point2f, 5>& dst) {
  return similarity_transform(kps, dst);
}

cv::Matx23d align_lmeds(const Keypoints& kps, const std::array<cv::Point2f, 5>& dst) {
  const std::vector<cv::Point2f> from(kps.begin(), kps.end());
  const std::vector<cv::Point2f> to(dst.begin(), dst.end());
  cv::Mat fit;
  try {
    fit = cv::estimateAffinePartial2D(from, to, cv::noArray(), cv::LMEDS);
  } catch (const cv::Exception&) {
    fit.release();  // non-finite points: no fit, the face is not placeable
  }
  if (fit.empty()) return cv::Matx23d::all(std::numeric_limits<double>::quiet_NaN());
  return cv::Matx23d(fit);
}

void warp_crop(const cv::Mat& frame, const cv::Matx23d& frame_to_crop, int size, cv::Mat& crop) {
  cv::warpAffine(frame, crop, cv::Mat(frame_to_crop), cv::Size(size, size), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                 cv::Scalar::all(0));
}

cv::Matx23d invert(const cv::Matx23d& m) {
  cv::Matx23d inverse;
  cv::invertAffineTransform(m, inverse);
  return inverse;
}

cv::Point2f apply(const cv::Matx23d& m, cv::Point2f p) {
  return {static_cast<float>(m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2)),
          static_cast<float>(m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2))};
}

}  // namespace dlc::face
