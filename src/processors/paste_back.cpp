#include "processors/paste_back.hpp"

#include "processors/mouth_mask.hpp"

#include <opencv2/imgproc.hpp>
#include <opencv2/photo.hpp>

#include <algorithm>
#include <cmath>

namespace dlc::processors {
namespace {

// Deep-Live-Cam's mask constants (face_swapper.py: create_face_mask / the 128 crop).
constexpr int kCropSize = 128;
constexpr int kEllipseAxis = 56;
constexpr int kMaskBlurKernel = 31;
constexpr double kMaskBlurSigma = 12.0;
// The box is grown by 2 px so bilinear edges are never cut (PRODUCT.md §3).
constexpr int kRegionMargin = 2;

cv::Matx23d invert(const cv::Matx23d& m) {
  cv::Matx23d inverse;
  cv::invertAffineTransform(m, inverse);
  return inverse;
}

// crop → region coordinates: the inverse, shifted so the region's corner is the origin.
cv::Matx23d crop_to_region(const cv::Matx23d& frame_to_crop, const cv::Rect& region) {
  auto m = invert(frame_to_crop);
  m(0, 2) -= region.x;
  m(1, 2) -= region.y;
  return m;
}

void sharpen(cv::Mat& crop, double amount) {
  // Deep-Live-Cam's sharpness: crop·(1 + a) − blur(crop, σ 3)·a.
  thread_local cv::Mat blurred;
  cv::GaussianBlur(crop, blurred, cv::Size(0, 0), 3.0);
  cv::addWeighted(crop, 1.0 + amount, blurred, -amount, 0.0, crop);
}

// Warps crop and mask into the region, then blends (or seamlessly clones) them there.
cv::Rect paste_with(cv::Mat& frame, const cv::Mat& crop, const cv::Mat& mask, const cv::Matx23d& frame_to_crop,
                    const cv::Rect& region, const PasteOptions& options) {
  if (region.empty()) return region;
  thread_local cv::Mat face;
  thread_local cv::Mat face_mask;
  // Sharpness is compose()'s, on the face's box in the frame after the blend (as Deep-Live-Cam),
  // never the crop's before the warp (there its σ would grow with the face).
  const auto to_region = cv::Mat(crop_to_region(frame_to_crop, region));
  cv::warpAffine(crop, face, to_region, region.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  cv::warpAffine(mask, face_mask, to_region, region.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
  cv::Mat target = frame(region);
  const cv::Mat* blended = &face;
  if (options.poisson) {
    // seamlessClone needs the mask's content away from the region's border. Its output must not
    // share face's buffer (it writes the destination there before reading the source: the next
    // face would be cloned from the frame, a blend that does nothing).
    thread_local cv::Mat cloned;
    cv::Mat binary;
    cv::threshold(face_mask, binary, 127, 255, cv::THRESH_BINARY);
    const auto box = cv::boundingRect(binary);
    if (box.width > 2 && box.height > 2 && box.x > 0 && box.y > 0 && box.br().x < region.width &&
        box.br().y < region.height) {
      cv::seamlessClone(face, target, binary, cv::Point(box.x + box.width / 2, box.y + box.height / 2), cloned,
                        cv::NORMAL_CLONE);
      blended = &cloned;
    }
  }
  blend(target, *blended, face_mask, options.opacity);
  return region;
}

}  // namespace

const cv::Mat& inswapper_soft_mask() {
  static const cv::Mat mask = [] {
    cv::Mat m(kCropSize, kCropSize, CV_8U, cv::Scalar(0));
    cv::ellipse(m, cv::Point(kCropSize / 2, kCropSize / 2), cv::Size(kEllipseAxis, kEllipseAxis), 0, 0, 360,
                cv::Scalar(255), cv::FILLED);
    cv::GaussianBlur(m, m, cv::Size(kMaskBlurKernel, kMaskBlurKernel), kMaskBlurSigma);
    return m;
  }();
  return mask;
}

cv::Mat feathered_square_mask(int size, double feather) {
  cv::Mat mask(size, size, CV_8U);
  const double ramp = std::max(1.0, feather * size);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const double edge = std::min({x + 0.5, y + 0.5, size - x - 0.5, size - y - 0.5});
      mask.at<std::uint8_t>(y, x) = static_cast<std::uint8_t>(std::lround(255.0 * std::min(1.0, edge / ramp)));
    }
  }
  return mask;
}

void blend(cv::Mat& region, const cv::Mat& face, const cv::Mat& mask, double opacity) {
  const int scale = static_cast<int>(std::lround(std::clamp(opacity, 0.0, 1.0) * 256.0));
  for (int y = 0; y < region.rows; ++y) {
    auto* out = region.ptr<cv::Vec3b>(y);
    const auto* in = face.ptr<cv::Vec3b>(y);
    const auto* m = mask.ptr<std::uint8_t>(y);
    for (int x = 0; x < region.cols; ++x) {
      const int alpha = (m[x] * scale) >> 8;  // 0..255
      if (alpha == 0) continue;
      for (int c = 0; c < 3; ++c) {
        // round(face·a/255) + round(region·(255 − a)/255), saturated: no product is a tie, as
        // 2·x·a is even and 255 odd.
        const int sum = (in[x][c] * alpha + 127) / 255 + (out[x][c] * (255 - alpha) + 127) / 255;
        out[x][c] = static_cast<std::uint8_t>(std::min(sum, 255));
      }
    }
  }
}

namespace {

struct CropCorners {
  double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
};

CropCorners projected_corners(int size, const cv::Matx23d& frame_to_crop) {
  const auto back = invert(frame_to_crop);
  CropCorners box;
  for (const auto& [cx, cy] : {std::pair{0.0, 0.0}, {double(size), 0.0}, {0.0, double(size)}, {double(size), double(size)}}) {
    const double x = back(0, 0) * cx + back(0, 1) * cy + back(0, 2);
    const double y = back(1, 0) * cx + back(1, 1) * cy + back(1, 2);
    box.x0 = std::min(box.x0, x);
    box.y0 = std::min(box.y0, y);
    box.x1 = std::max(box.x1, x);
    box.y1 = std::max(box.y1, y);
  }
  return box;
}

}  // namespace

bool placeable(const cv::Size& frame, int size, const cv::Matx23d& frame_to_crop) {
  for (const double v : frame_to_crop.val) {
    if (!std::isfinite(v)) return false;
  }
  // The determinant is the crop's area per frame pixel: its square root, the linear scale.
  const double det = frame_to_crop(0, 0) * frame_to_crop(1, 1) - frame_to_crop(0, 1) * frame_to_crop(1, 0);
  const double scale = std::sqrt(std::abs(det));
  if (!(scale >= kMinCropScale && scale <= kMaxCropScale)) return false;
  const auto box = projected_corners(size, frame_to_crop);
  const double limit = kMaxCoordinate;
  return std::isfinite(box.x0) && std::isfinite(box.y0) && std::isfinite(box.x1) && std::isfinite(box.y1) &&
         box.x0 > -limit && box.y0 > -limit && box.x1 < frame.width + limit && box.y1 < frame.height + limit;
}

cv::Rect paste_region(const cv::Size& frame, int size, const cv::Matx23d& frame_to_crop) {
  if (!placeable(frame, size, frame_to_crop)) return {};
  const auto c = projected_corners(size, frame_to_crop);
  const cv::Rect box(cv::Point(static_cast<int>(std::floor(c.x0)) - kRegionMargin, static_cast<int>(std::floor(c.y0)) - kRegionMargin),
                     cv::Point(static_cast<int>(std::ceil(c.x1)) + kRegionMargin, static_cast<int>(std::ceil(c.y1)) + kRegionMargin));
  return box & cv::Rect(cv::Point(0, 0), frame);
}

cv::Rect paste_back(cv::Mat& frame, const cv::Mat& crop, const cv::Mat& mask, const cv::Matx23d& frame_to_crop,
                    const PasteOptions& options) {
  return paste_with(frame, crop, mask, frame_to_crop, paste_region(frame.size(), crop.cols, frame_to_crop), options);
}

LegacyMaskKernels legacy_mask_kernels(const cv::Size& white_extent) {
  // inswapper.py: mask_h = max(rows) − min(rows), mask_w likewise; size = int(√(h·w)).
  const double h = std::max(0, white_extent.height - 1);
  const double w = std::max(0, white_extent.width - 1);
  const int mask_size = static_cast<int>(std::sqrt(h * w));
  return {.erode = std::max(mask_size / 10, 10), .blur = 2 * std::max(mask_size / 20, 5) + 1};
}

cv::Rect paste_back_legacy(cv::Mat& frame, const cv::Mat& crop, const cv::Matx23d& frame_to_crop,
                           const PasteOptions& options) {
  const auto region = paste_region(frame.size(), crop.cols, frame_to_crop);
  if (region.empty()) return region;
  // insightface inswapper.py: the white crop warped back, then thresholded, eroded and blurred
  // by amounts that follow the face's size.
  thread_local cv::Mat white;
  white.create(crop.size(), CV_8U);
  white.setTo(255);
  cv::Mat warped;
  cv::warpAffine(white, warped, cv::Mat(crop_to_region(frame_to_crop, region)), region.size(), cv::INTER_LINEAR,
                 cv::BORDER_CONSTANT, cv::Scalar(0));
  cv::threshold(warped, warped, 20, 255, cv::THRESH_BINARY);
  const auto kernels = legacy_mask_kernels(cv::boundingRect(warped).size());
  cv::erode(warped, warped, cv::Mat::ones(kernels.erode, kernels.erode, CV_8U));
  cv::GaussianBlur(warped, warped, cv::Size(kernels.blur, kernels.blur), 0);
  // The mask is already in region coordinates: paste with an identity mask warp.
  thread_local cv::Mat face;
  cv::warpAffine(crop, face, cv::Mat(crop_to_region(frame_to_crop, region)), region.size(), cv::INTER_LINEAR,
                 cv::BORDER_REPLICATE);
  cv::Mat target = frame(region);
  blend(target, face, warped, options.opacity);
  return region;
}

Footprint crop_footprint(const cv::Size& frame, const cv::Mat& crop_mask, const cv::Matx23d& frame_to_crop,
                         bool with_mask) {
  Footprint footprint;
  footprint.placeable = placeable(frame, crop_mask.cols, frame_to_crop);
  if (!footprint.placeable) return footprint;
  footprint.region = paste_region(frame, crop_mask.cols, frame_to_crop);
  if (with_mask && !footprint.region.empty()) {
    cv::warpAffine(crop_mask, footprint.mask, cv::Mat(crop_to_region(frame_to_crop, footprint.region)),
                   footprint.region.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
  }
  return footprint;
}

bool composes(const PasteOptions& options) {
  return options.opacity < 1.0 || options.sharpness > 0.0 || options.poisson;
}

FaceComposition begin_composition(const cv::Mat& frame, const std::vector<Footprint>& steps) {
  FaceComposition face;
  for (const auto& step : steps) face.region |= step.region;
  if (face.region.empty()) return face;
  face.original = frame(face.region).clone();
  face.mask = cv::Mat::zeros(face.region.size(), CV_8U);
  for (const auto& step : steps) {
    if (step.region.empty() || step.mask.empty()) continue;
    cv::Mat at = face.mask(step.region - face.region.tl());
    cv::max(at, step.mask, at);
  }
  return face;
}

cv::Rect face_pixel_box(const cv::Rect2f& box, const cv::Size& frame) {
  // static_cast truncates toward zero, as numpy's astype(int).
  const cv::Point tl(static_cast<int>(box.x), static_cast<int>(box.y));
  const cv::Point br(static_cast<int>(box.x + box.width), static_cast<int>(box.y + box.height));
  return cv::Rect(tl, br) & cv::Rect(cv::Point(0, 0), frame);
}

void compose(cv::Mat& frame, const FaceComposition& face, const PasteOptions& options) {
  restore_mouth(frame, face.mouth);
  if (face.region.empty() || !composes(options)) return;
  cv::Mat target = frame(face.region);
  thread_local cv::Mat made;
  target.copyTo(made);
  if (options.poisson) {
    // seamlessClone needs the mask's content away from the region's border.
    thread_local cv::Mat cloned;
    cv::Mat binary;
    cv::threshold(face.mask, binary, 127, 255, cv::THRESH_BINARY);
    const auto box = cv::boundingRect(binary);
    if (box.width > 2 && box.height > 2 && box.x > 0 && box.y > 0 && box.br().x < face.region.width &&
        box.br().y < face.region.height) {
      cv::seamlessClone(made, face.original, binary, cv::Point(box.x + box.width / 2, box.y + box.height / 2), cloned,
                        cv::NORMAL_CLONE);
      cloned.copyTo(made);
    }
  }
  // addWeighted(original, 1 − opacity, made, opacity): where no step painted (made = original)
  // the frame keeps its pixels exactly.
  const double opacity = std::clamp(options.opacity, 0.0, 1.0);
  if (opacity < 1.0) cv::addWeighted(face.original, 1.0 - opacity, made, opacity, 0.0, target);
  else made.copyTo(target);
  // Deep-Live-Cam returns the frame untouched at opacity 0, unsharpened.
  if (options.sharpness > 0 && opacity > 0.0 && !face.box.empty()) {
    // A copy, so the blur sees only the box (Deep-Live-Cam blurs a numpy slice: replicated
    // 101-reflection at the box's edges, not the frame's pixels beyond them).
    thread_local cv::Mat patch;
    frame(face.box).copyTo(patch);
    sharpen(patch, options.sharpness);
    patch.copyTo(frame(face.box));
  }
}

}  // namespace dlc::processors
