#include "processors/classic_swapper.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include "processors/color_transfer.hpp"
#include "processors/poisson_clone.hpp"
#include "processors/scratch.hpp"
#include "runtime/stage_times.hpp"

namespace dlc::processors {
namespace {

// The landmark layouts dlc produces: dlib's iBUG 300-W points and insightface's 2d106det.
constexpr std::size_t kDlibPoints = 68;
constexpr std::size_t kInsightfacePoints = 106;
// Bilinear sampling at the hull's edge reads a pixel beyond it; 4 px also covers rounding.
constexpr int kSourceMargin = 4;
// A Delaunay triangle under half a pixel² is a sliver of nearly collinear points (along the jaw):
// it covers no pixel centre, and its affine map would be ill-conditioned.
constexpr double kMinTriangleArea = 0.5;
// The triangle rasteriser's fractional bits: 1/16 px places the landmarks finely enough, and
// keeps its edge functions exact in 64-bit integers.
constexpr int kShift = 4;
// The seam sits 1/80 of the face's smaller side inside its outline (2–3 px for a 200 px face), so
// the outline's own landmarks, the least certain ones, and the hair or background just past them
// stay the target's; the feathering then spans that band and fades out on the outline. At 1/40
// the band left the target's own skin along the jaw, which read as a dark shadow on the chin (an
// old target's folds and the shade under her chin beside the source's smooth skin).
constexpr int kSeamInsetDivisor = 80;
// The face is warped, coloured and cloned at most this many pixels across (its region scaled
// down, the result scaled back up and blended at full size), so its cost stops growing with the
// face: the neural swappers' crops are 128 or 256 px for the same reason.
constexpr int kWorkSide = 256;
// dlib's 68 points: the jaw line 0–16, the brows 17–26, the nose 27–35, the eyes (outer corners
// 36 and 45) and lips after.
constexpr int kJawEnd = 16;
constexpr int kBrowsBegin = 17;
constexpr int kBrowsEnd = 26;
constexpr int kNoseBegin = 27;
constexpr int kNoseTip = 30;
constexpr int kLeftEyeOuter = 36;
constexpr int kRightEyeOuter = 45;
// The forehead line above the brows (with_forehead()), one point per brow point, raised by this
// share of the outer eye corners' distance: on the 36 pairs of bench/quality the median identity
// transfer went from 0.559 without it to 0.604 (0.6 pasted the source's fringe over the target's
// cap on Grace Hopper's photo).
constexpr std::size_t kForeheadPoints = kBrowsEnd - kBrowsBegin + 1;
constexpr float kForeheadRise = 0.3f;
// The Poisson clone's correction (the target's shading at the seam carried into the face) is kept
// in full at the seam and fades out over this share of the face's smaller side inwards: the whole
// correction pulled the face towards the target's shading (0.604 → 0.619 median identity transfer
// on bench/quality's 36 pairs with this fade), and none left an edge at the seam (on 12 pairs its
// gradient ratio rose from 0.96–1.02 to 1.02–1.23).
constexpr double kCloneReach = 0.15;
// The mesh and the mask reach past the jaw line (each of points 0–16 moved away from the nose tip by
// this share of the outer eye corners' distance, on the source's face and the target's alike), so
// the source's own jaw edge and the shade below it replace the target's: on bench/quality's 36
// pairs the median identity transfer went from 0.605 to 0.621 at 0.05 (0.625 at 0.08; at 0.1 the
// face spread over the background beside Grace Hopper's cheek), and the target's chin crease no
// longer shows as a dark band under the source's chin (astronaut onto Grace Hopper).
constexpr float kJawReach = 0.05f;
// How far the target's jaw line moves towards the source's (its points placed by the same
// similarity as the features): the recognizer reads the face's outline too. On bench/quality,
// with kJawReach: median identity transfer 0.621 at 0, 0.634 at 0.3 (face-api found a face in 34
// outputs of 36, one more), 0.646 at 0.5 (but no face in 4 outputs); the pose figure 6.1 %,
// 6.5 % and 7.3 % (the jaw's 17 points are counted in it). Kept inside the target's mesh hull
// (compose()), 0.3 measured 0.632 with 33 faces.
constexpr float kJawFit = 0.3f;
// A jaw-and-forehead outline covering less than this share of the points' hull is not a face's
// (landmarks in another order, or folded by a bad fit): the hull is the mask then.
constexpr double kMinOutlineShare = 0.6;
// How far the source's own feature layout (its brows, eyes, nose, mouth placed by a similarity
// fitted to the target's) replaces the target's inside the jaw line: 0 is the target's shape with
// the source's skin, 1 the source's shape: on 12 pairs of bench/quality the median identity
// transfer was 0.484 at 0 and 0.495 at 0.8 (with a rule keeping the target's mouth when the mouths
// disagree; 0.544 at 1 without it). The brows too: with them left on the target's line (the
// source's brows drawn along the target's arch) the median over the 36 pairs was 0.632, with
// them placed like the other features 0.666 (pose 6.2 % → 6.5 %): a brow's height and arch above
// the eye is much of what the recognizer reads as the person.
constexpr float kFeatureFit = 1.0f;
// A brow moves at most this share of kForeheadRise's height from the target's, so it stays well
// under the forehead line drawn above the target's brows and no triangle between them folds
// (a misfitted face's similarity could otherwise lift it past the line). On bench/quality's 36
// pairs it shortens the move in 14 outputs, their identity transfer −0.010 to +0.011, the median
// the same.
constexpr float kMaxBrowMove = 0.5f;

// A face's turn (yaw()) as dlib's 68 points show it: where the nose tip lies between the jaw
// line's two ends along the eye line, (left − right) / (left + right), 0 when frontal, towards
// ±1 in profile. A source turned one way by more than kMirrorYaw onto a target turned the other way
// by more than it is taken from its mirror image, so its near side, which the photo shows, lands
// on the target's near side, and its foreshortened far side is not stretched over the target's
// near side. On bench/quality's 36 pairs (14 of them turned apart like that) the median identity
// transfer went from 0.666 to 0.667, face-api found a face in 34 outputs instead of 33 (sample2_1
// onto sample2_2), and the pose's worst case from 24.7 % to 18.3 %; the pairs turned furthest
// apart gained most (sample4_1 and sample4_2 onto each other +0.073 and +0.081, sample6_1 onto
// sample5_5 +0.064), sample5_3 onto sample5_4 lost most (−0.039). At 0.15 on the target alone
// the same, but near-frontal sources were mirrored too, for nothing (astronaut onto sample6_4
// −0.019).
constexpr double kMirrorYaw = 0.1;
// The colour transfer's statistics (compose()'s step 2) are taken over the inner face, the hull
// of the nose, eyes and lips (dlib's points 27–67) of the placed source and the target together,
// which hair seldom covers, rather than over the whole mask: hair over a target's cheeks (as on
// sample5_1 of bench/quality) counted as skin and pulled the face's lightness down (mean L 62
// over the mask against 76 over the inner face there). Its spread is bounded (kClassicSpread):
// the source's lightness is never flattened, since a lower contrast dims the eyes, brows and
// lips that make it read as a face, and its colour never spread wider, since a target's uneven
// tinted light would otherwise spread the source's even skin into blotches (a blue cast in
// places on sample4_1 onto sample3_2). On bench/quality's 36 pairs face-api found a face in all
// 36 outputs instead of 34 (sample4_3 and sample5_2 onto sample5_1, whose best detections rose
// from 0.12 and 0.44 to 0.53 and 0.52), the median identity transfer went from 0.667 to 0.675,
// the pairs between −0.029 and +0.028 otherwise. The inner face with Reinhard's usual bounds
// lost sample4_1 onto sample3_2 (best detection 0.08) and still missed sample4_3 onto sample5_1;
// the bounds over the whole mask missed both sample5_1 outputs still.
constexpr int kInnerFaceBegin = kNoseBegin;
constexpr SpreadLimits kClassicSpread{.lightness_min = 1.0, .lightness_max = 3.0, .colour_min = 1.0 / 3.0, .colour_max = 1.0};
// dlib's 68 points' mirror images (a face flipped left to right): point i becomes kMirror[i].
constexpr std::array<int, 68> kMirror = {
    16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,  // jaw
    26, 25, 24, 23, 22, 21, 20, 19, 18, 17,                    // brows
    27, 28, 29, 30, 35, 34, 33, 32, 31,                        // nose
    45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40,            // eyes
    54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55,            // outer lips
    64, 63, 62, 61, 60, 67, 66, 65};                           // inner lips

cv::Point fixed_point(cv::Point2f p) {
  constexpr float kOne = 1 << kShift;
  return {static_cast<int>(std::lround(p.x * kOne)), static_cast<int>(std::lround(p.y * kOne))};
}

double area(cv::Point2f a, cv::Point2f b, cv::Point2f c) {
  return 0.5 * std::abs(static_cast<double>(b.x - a.x) * (c.y - a.y) - static_cast<double>(c.x - a.x) * (b.y - a.y));
}

// Whether pixel centres on the edge from → to belong to the triangle on its right (in image
// axes, y down): those on a top or a left edge do (Direct3D's fill rule). The same edge taken
// the other way, by the neighbour that shares it, is then neither, so exactly one of the two
// triangles owns them.
bool top_left(cv::Point from, cv::Point to) {
  const int dx = to.x - from.x;
  const int dy = to.y - from.y;
  return dy < 0 || (dy == 0 && dx > 0);
}

// Sets mask (the triangle's box) to 255 at the pixels whose centres lie inside the triangle a, b,
// c (fixed point with kShift bits, in the box's coordinates) and to 0 elsewhere; returns whether
// any is inside. Pixel centres, not pixels touched: triangles sharing an edge take no pixel
// twice and leave none between them, and a triangle thinner than a pixel (a closed mouth's inner
// lips) takes only the centres truly inside it, whose source points lie inside its source
// triangle. (fillConvexPoly takes every pixel the outline touches: there, a nearly flat
// triangle's outline sampled the source far outside the face.)
bool rasterise(cv::Point a, cv::Point b, cv::Point c, cv::Mat& mask) {
  const auto edge = [](cv::Point from, cv::Point to, std::int64_t x, std::int64_t y) {
    return static_cast<std::int64_t>(to.x - from.x) * (y - from.y) - static_cast<std::int64_t>(to.y - from.y) * (x - from.x);
  };
  const std::int64_t area = edge(a, b, c.x, c.y);
  if (area == 0) return false;
  if (area < 0) std::swap(b, c);  // each edge then has the triangle on its right
  const cv::Point corners[3] = {a, b, c};
  bool any = false;
  for (int y = 0; y < mask.rows; ++y) {
    auto* row = mask.ptr<std::uint8_t>(y);
    const std::int64_t fy = static_cast<std::int64_t>(y) << kShift;
    for (int x = 0; x < mask.cols; ++x) {
      const std::int64_t fx = static_cast<std::int64_t>(x) << kShift;
      bool inside = true;
      for (int k = 0; k < 3 && inside; ++k) {
        const auto from = corners[k];
        const auto to = corners[(k + 1) % 3];
        const auto w = edge(from, to, fx, fy);
        inside = w > 0 || (w == 0 && top_left(from, to));
      }
      row[x] = inside ? 255 : 0;
      any = any || inside;
    }
  }
  return any;
}

// Sets mask to 255 inside the convex hull of corners (fixed point with kShift bits, in mask's
// coordinates) and to 0 elsewhere.
void fill_hull(const std::vector<cv::Point>& corners, cv::Mat& mask) {
  thread_local std::vector<cv::Point> hull;
  cv::convexHull(corners, hull);
  mask.setTo(0);
  cv::fillConvexPoly(mask, hull, cv::Scalar(255), cv::LINE_8, kShift);
}

// The landmarks' bounding box grown by margin on each side, clipped to an image of size.
cv::Rect grown_box(const std::vector<cv::Point2f>& points, int margin, const cv::Size& size) {
  if (points.empty()) return {};
  const auto box = cv::boundingRect(points);  // floor of the minimum to floor of the maximum + 1
  return cv::Rect(box.x - margin, box.y - margin, box.width + 2 * margin, box.height + 2 * margin) &
         cv::Rect(cv::Point(0, 0), size);
}

// Delaunay over the points as index triples. Subdiv2D reports triangles by their corners'
// coordinates, which it stores exactly as inserted, so each corner is found again by equality;
// triangles on the virtual outer vertices match no landmark and are dropped.
std::vector<ClassicSwapper::Triangle> delaunay(const std::vector<cv::Point2f>& points) {
  const auto box = cv::boundingRect(points);
  cv::Subdiv2D subdiv(cv::Rect(box.x - 1, box.y - 1, box.width + 2, box.height + 2));
  subdiv.insert(points);
  std::vector<cv::Vec6f> corners;
  subdiv.getTriangleList(corners);
  const auto index_of = [&points](float x, float y) {
    const auto it = std::find(points.begin(), points.end(), cv::Point2f(x, y));
    return it == points.end() ? -1 : static_cast<int>(it - points.begin());
  };
  std::vector<ClassicSwapper::Triangle> triangles;
  triangles.reserve(corners.size());
  for (const auto& c : corners) {
    const ClassicSwapper::Triangle t{index_of(c[0], c[1]), index_of(c[2], c[3]), index_of(c[4], c[5])};
    if (t[0] < 0 || t[1] < 0 || t[2] < 0) continue;
    const auto at = [&points](int i) { return points[static_cast<std::size_t>(i)]; };
    if (area(at(t[0]), at(t[1]), at(t[2])) < kMinTriangleArea) continue;
    triangles.push_back(t);
  }
  return triangles;
}

// The affine map taking triangle from onto triangle to: [to; 1] = A·[from; 1] for each corner.
cv::Matx23d triangle_affine(const cv::Point2f (&from)[3], const cv::Point2f (&to)[3]) {
  const cv::Matx33d corners(from[0].x, from[1].x, from[2].x, from[0].y, from[1].y, from[2].y, 1, 1, 1);
  const cv::Matx23d images(to[0].x, to[1].x, to[2].x, to[0].y, to[1].y, to[2].y);
  return images * corners.inv();
}

// The least-squares similarity (rotation, uniform scale, shift; Umeyama 1991 without reflection)
// taking from[first, last) onto to[first, last).
cv::Matx23d fit_similarity(const std::vector<cv::Point2f>& from, const std::vector<cv::Point2f>& to, std::size_t first,
                           std::size_t last) {
  cv::Point2d mf, mt;
  for (auto i = first; i < last; ++i) {
    mf += cv::Point2d(from[i]);
    mt += cv::Point2d(to[i]);
  }
  const double n = static_cast<double>(last - first);
  mf /= n;
  mt /= n;
  double a = 0, b = 0, ss = 0;
  for (auto i = first; i < last; ++i) {
    const cv::Point2d f = cv::Point2d(from[i]) - mf;
    const cv::Point2d t = cv::Point2d(to[i]) - mt;
    a += f.x * t.x + f.y * t.y;
    b += f.x * t.y - f.y * t.x;
    ss += f.x * f.x + f.y * f.y;
  }
  if (ss <= 0) return {1, 0, mt.x - mf.x, 0, 1, mt.y - mf.y};
  const double c = a / ss, sn = b / ss;
  return {c, -sn, mt.x - (c * mf.x - sn * mf.y), sn, c, mt.y - (sn * mf.x + c * mf.y)};
}

// frame = frame + (face − frame)·alpha, in 8 bits.
void alpha_blend(cv::Mat& frame, const cv::Mat& face, const cv::Mat& alpha) {
  for (int y = 0; y < frame.rows; ++y) {
    auto* out = frame.ptr<cv::Vec3b>(y);
    const auto* in = face.ptr<cv::Vec3b>(y);
    const auto* a = alpha.ptr<std::uint8_t>(y);
    for (int x = 0; x < frame.cols; ++x) {
      if (a[x] == 0) continue;
      for (int c = 0; c < 3; ++c) {
        out[x][c] = static_cast<std::uint8_t>((out[x][c] * (255 - a[x]) + in[x][c] * a[x] + 127) / 255);
      }
    }
  }
}

// dlib's 68 points end at the brows, but a recognizer's aligned face (dlib's 150 px chip with
// 0.25 padding, bench/quality) also takes in the forehead above them: a line of kForeheadPoints
// more points, each brow point raised perpendicular to the eye line (outer corners 36 and 45) by
// kForeheadRise of their distance, takes it into the mesh and the mask; the jaw line's points are
// moved kJawReach of that distance outwards. The landmarks as they are for another layout. The
// result is this thread's, valid until its next call.
const std::vector<cv::Point2f>& with_forehead(const std::vector<cv::Point2f>& landmarks) {
  thread_local std::vector<cv::Point2f> out;
  out.assign(landmarks.begin(), landmarks.end());
  if (landmarks.size() != kDlibPoints) return out;
  out.reserve(kDlibPoints + kForeheadPoints);
  const cv::Point2f eyes = landmarks[kRightEyeOuter] - landmarks[kLeftEyeOuter];
  const cv::Point2f up = cv::Point2f(eyes.y, -eyes.x) * kForeheadRise;  // y grows downwards
  for (std::size_t i = kBrowsBegin; i <= kBrowsEnd; ++i) out.push_back(landmarks[i] + up);
  const double reach = kJawReach * cv::norm(eyes);
  for (std::size_t i = 0; i <= static_cast<std::size_t>(kJawEnd); ++i) {
    const cv::Point2f outwards = landmarks[i] - landmarks[kNoseTip];
    const double length = cv::norm(outwards);
    if (length > 0) out[i] += outwards * static_cast<float>(reach / length);
  }
  return out;
}

// cloned = face + (cloned − face)·max(0, 1 − d/reach), d being each pixel's distance inside the
// seam mask: the clone's correction in full at the seam, none from reach inwards.
void fade_inwards(const cv::Mat& face, cv::Mat& cloned, const cv::Mat& seam, double reach, cv::Mat& distance_buffer) {
  cv::Mat distance = scratch(distance_buffer, seam.size(), CV_32F);
  cv::distanceTransform(seam, distance, cv::DIST_L2, cv::DIST_MASK_3);
  const auto inverse_reach = static_cast<float>(1.0 / std::max(1.0, reach));
  for (int y = 0; y < face.rows; ++y) {
    const auto* d = distance.ptr<float>(y);
    const auto* f = face.ptr<cv::Vec3b>(y);
    auto* out = cloned.ptr<cv::Vec3b>(y);
    for (int x = 0; x < face.cols; ++x) {
      const float weight = std::max(0.0f, 1.0f - d[x] * inverse_reach);
      if (weight >= 1.0f) continue;
      for (int c = 0; c < 3; ++c) {
        out[x][c] = cv::saturate_cast<std::uint8_t>(f[x][c] + (out[x][c] - f[x][c]) * weight);
      }
    }
  }
}

// How far dlib's 68 points are turned (see kMirrorYaw), in −1..1.
double yaw(const std::vector<cv::Point2f>& points) {
  const cv::Point2f eyes = points[kRightEyeOuter] - points[kLeftEyeOuter];
  const double left = (points[kNoseTip] - points[0]).dot(eyes);
  const double right = (points[kJawEnd] - points[kNoseTip]).dot(eyes);
  return left + right > 0 ? (left - right) / (left + right) : 0.0;
}

thread_local cv::Size last_work_size;

}  // namespace

cv::Size ClassicSwapper::last_work_size_on_this_thread() { return last_work_size; }

ClassicSwapper::ClassicSwapper(const cv::Mat& source_bgr, const face::Face& source_face, int clone_factor)
    : clone_factor_(std::max(1, clone_factor)) {
  if (source_bgr.type() != CV_8UC3) throw std::invalid_argument("ClassicSwapper: the source image must be 8-bit BGR");
  const auto count = source_face.landmarks.size();
  if (count != kDlibPoints && count != kInsightfacePoints) {
    throw std::invalid_argument("ClassicSwapper: the source face needs 68 or 106 landmarks, it has " +
                                std::to_string(count));
  }
  const auto all = with_forehead(source_face.landmarks);
  const auto crop = grown_box(all, kSourceMargin, source_bgr.size());
  if (crop.empty()) throw std::invalid_argument("ClassicSwapper: the source face's landmarks lie outside its image");
  // The source is kept at the working resolution at most: a larger one would only be sampled
  // sparsely (aliasing) by a warp onto a face of kWorkSide pixels.
  const double scale = std::min(1.0, static_cast<double>(kWorkSide) / std::max(crop.width, crop.height));
  if (scale < 1.0) {
    cv::resize(source_bgr(crop), source_, cv::Size(), scale, scale, cv::INTER_AREA);
  } else {
    source_ = source_bgr(crop).clone();
  }
  const auto fx = static_cast<float>(source_.cols) / static_cast<float>(crop.width);
  const auto fy = static_cast<float>(source_.rows) / static_cast<float>(crop.height);
  points_.reserve(all.size());
  count_ = count;
  for (const auto& p : all) {
    const cv::Point2f q = p - cv::Point2f(crop.tl());
    // Pixel centres map onto pixel centres: (q + ½)·f − ½.
    points_.emplace_back((q.x + 0.5f) * fx - 0.5f, (q.y + 0.5f) * fy - 0.5f);
  }
  triangles_ = delaunay(points_);
  if (triangles_.empty()) throw std::invalid_argument("ClassicSwapper: the source landmarks give no triangle");
  if (count == kDlibPoints) yaw_ = yaw(points_);
  if (std::abs(yaw_) > kMirrorYaw) {
    // The mirror image, for a source turned far enough to use it: the crop flipped, each point
    // taking its mirror partner's place (the forehead line reversed), the same triangles through
    // the same partners.
    cv::flip(source_, mirrored_, 1);
    const auto partner = [](int i) {
      const auto n = static_cast<int>(kDlibPoints);
      return i < n ? kMirror[static_cast<std::size_t>(i)] : n + (n + static_cast<int>(kForeheadPoints) - 1 - i);
    };
    const auto width = static_cast<float>(source_.cols - 1);
    mirrored_points_.resize(points_.size());
    for (std::size_t i = 0; i < points_.size(); ++i) {
      const auto& p = points_[static_cast<std::size_t>(partner(static_cast<int>(i)))];
      mirrored_points_[i] = {width - p.x, p.y};
    }
    mirrored_triangles_.reserve(triangles_.size());
    for (const auto& t : triangles_) mirrored_triangles_.push_back({partner(t[0]), partner(t[1]), partner(t[2])});
  }
}

std::vector<cv::Point2f> ClassicSwapper::mesh_points(const std::vector<cv::Point2f>& landmarks) {
  return with_forehead(landmarks);
}

cv::Rect ClassicSwapper::region(const cv::Size& frame, const std::vector<cv::Point2f>& landmarks) {
  return grown_box(with_forehead(landmarks), kRegionMargin, frame);
}

Footprint ClassicSwapper::footprint(const cv::Size& frame, const face::Face& target, bool with_mask) {
  Footprint footprint;
  const double limit = kMaxCoordinate;
  footprint.placeable = std::ranges::all_of(target.landmarks, [&](const cv::Point2f& p) {
    return std::isfinite(p.x) && std::isfinite(p.y) && p.x > -limit && p.y > -limit && p.x < frame.width + limit &&
           p.y < frame.height + limit;
  });
  if (!footprint.placeable) return footprint;
  footprint.region = region(frame, target.landmarks);
  if (with_mask && !footprint.region.empty()) {
    std::vector<cv::Point> hull;
    std::vector<cv::Point> points;
    for (const auto& p : with_forehead(target.landmarks)) points.emplace_back(cvRound(p.x) - footprint.region.x, cvRound(p.y) - footprint.region.y);
    cv::convexHull(points, hull);
    footprint.mask = cv::Mat::zeros(footprint.region.size(), CV_8U);
    cv::fillConvexPoly(footprint.mask, hull, cv::Scalar(255));
  }
  return footprint;
}

void ClassicSwapper::process(cv::Mat& frame, const face::Face& target) {
  // No model: the whole warp-and-blend is the swap stage.
  const runtime::ScopedStage timed(runtime::Stage::kSwapInference);
  if (frame.type() != CV_8UC3) throw std::invalid_argument("ClassicSwapper: the frame must be 8-bit BGR");
  if (target.landmarks.size() != count_) {
    throw std::invalid_argument("ClassicSwapper: the target face has " + std::to_string(target.landmarks.size()) +
                                " landmarks, the source " + std::to_string(count_));
  }
  if (!footprint(frame.size(), target, false).placeable) return;  // the chain skips and counts it
  const auto box = region(frame.size(), target.landmarks);
  if (box.empty()) return;

  thread_local cv::Mat work_buffer;
  thread_local cv::Mat pasted_up_buffer;
  thread_local cv::Mat alpha_up_buffer;
  thread_local cv::Mat hull_buffer;
  thread_local std::vector<cv::Point2f> local;
  cv::Mat destination = frame(box);
  // The region at the working resolution: landmarks map pixel centre to pixel centre.
  const double scale = std::min(1.0, static_cast<double>(kWorkSide) / std::max(box.width, box.height));
  const cv::Size work_size(std::max(1, static_cast<int>(std::lround(box.width * scale))),
                           std::max(1, static_cast<int>(std::lround(box.height * scale))));
  last_work_size = work_size;
  const float sx = static_cast<float>(work_size.width) / static_cast<float>(box.width);
  const float sy = static_cast<float>(work_size.height) / static_cast<float>(box.height);
  local.clear();
  for (const auto& p : with_forehead(target.landmarks)) {
    const cv::Point2f q = p - cv::Point2f(box.tl());
    local.emplace_back((q.x + 0.5f) * sx - 0.5f, (q.y + 0.5f) * sy - 0.5f);
  }
  cv::Mat work = destination;
  if (work_size != box.size()) {
    work = scratch(work_buffer, work_size, CV_8UC3);
    cv::resize(destination, work, work_size, 0, 0, cv::INTER_AREA);
  }
  cv::Mat pasted;
  cv::Mat alpha;
  if (!compose(work, local, pasted, alpha)) return;
  if (work_size == box.size()) {
    alpha_blend(destination, pasted, alpha);
    return;
  }
  // Back at full size, inside the target's own hull at full resolution: the scaled alpha's
  // edge may not reach past it.
  cv::Mat pasted_up = scratch(pasted_up_buffer, box.size(), CV_8UC3);
  cv::Mat alpha_up = scratch(alpha_up_buffer, box.size(), CV_8U);
  cv::resize(pasted, pasted_up, box.size(), 0, 0, cv::INTER_LINEAR);
  cv::resize(alpha, alpha_up, box.size(), 0, 0, cv::INTER_LINEAR);
  thread_local std::vector<cv::Point> corners;
  corners.clear();
  for (const auto& p : with_forehead(target.landmarks)) corners.push_back(fixed_point(p - cv::Point2f(box.tl())));
  cv::Mat inside = scratch(hull_buffer, box.size(), CV_8U);
  fill_hull(corners, inside);
  cv::bitwise_and(alpha_up, inside, alpha_up);
  alpha_blend(destination, pasted_up, alpha_up);
}

bool ClassicSwapper::compose(const cv::Mat& destination, const std::vector<cv::Point2f>& landmarks, cv::Mat& pasted,
                             cv::Mat& alpha) const {
  thread_local cv::Mat face_buffer;
  thread_local cv::Mat covered_buffer;
  thread_local cv::Mat patch_buffer;
  thread_local cv::Mat triangle_buffer;
  thread_local cv::Mat seam_buffer;
  thread_local cv::Mat alpha_buffer;
  thread_local cv::Mat cloned_buffer;
  thread_local cv::Mat keep_buffer;
  thread_local cv::Mat inside_buffer;
  thread_local cv::Mat distance_buffer;
  thread_local cv::Mat measured_buffer;
  thread_local std::vector<cv::Point2f> fitted;
  const cv::Size size = destination.size();
  cv::Mat face = scratch(face_buffer, size, CV_8UC3);  // the source face warped onto the target
  cv::Mat covered = scratch(covered_buffer, size, CV_8U);  // which of face's pixels a triangle wrote
  face.setTo(cv::Scalar::all(0));
  covered.setTo(0);

  // (0) Where each source landmark goes: the target's jaw line moved kJawFit of the way towards
  // the source's, and inside it the source's own features placed by the similarity that best lays
  // them on the target's (so the brows, eyes, nose and mouth keep the source's proportions, which
  // a recognizer reads as identity; a brow no further than kMaxBrowMove allows). The mouth too: a
  // source's open mouth keeps its shape on a closed target mouth instead of being squeezed into
  // its lip line (the dark stroke an exact landmark warp left there). A source turned the other
  // way from the target is taken from its mirror image (kMirrorYaw).
  fitted.assign(landmarks.begin(), landmarks.end());
  const bool dlib_layout = count_ == kDlibPoints;
  const double target_yaw = dlib_layout ? yaw(landmarks) : 0.0;
  const bool mirror =
      dlib_layout && yaw_ * target_yaw < 0 && std::abs(yaw_) > kMirrorYaw && std::abs(target_yaw) > kMirrorYaw;
  const cv::Mat& source = mirror ? mirrored_ : source_;
  const auto& points = mirror ? mirrored_points_ : points_;
  const auto& triangles = mirror ? mirrored_triangles_ : triangles_;
  if (dlib_layout) {
    const auto fit = fit_similarity(points, landmarks, kBrowsBegin, kDlibPoints);
    const double max_brow_move = kMaxBrowMove * kForeheadRise * cv::norm(landmarks[kRightEyeOuter] - landmarks[kLeftEyeOuter]);
    for (std::size_t i = 0; i < kDlibPoints; ++i) {
      const cv::Point2f& p = points[i];
      const cv::Point2f placed(static_cast<float>(fit(0, 0) * p.x + fit(0, 1) * p.y + fit(0, 2)),
                               static_cast<float>(fit(1, 0) * p.x + fit(1, 1) * p.y + fit(1, 2)));
      cv::Point2f move = (placed - landmarks[i]) * (i <= static_cast<std::size_t>(kJawEnd) ? kJawFit : kFeatureFit);
      const double length = cv::norm(move);
      if (i >= static_cast<std::size_t>(kBrowsBegin) && i <= static_cast<std::size_t>(kBrowsEnd) && length > max_brow_move) {
        move *= static_cast<float>(max_brow_move / length);
      }
      fitted[i] = landmarks[i] + move;
    }
  }

  // (1) Each source triangle onto its target triangle, over the triangle's box only. The union
  // of the target triangles is the hull of the target's landmarks (every triangle's corners are
  // landmarks, and the source's outline maps onto the target's), short of slivers where a pose
  // makes the target's outline bend the other way: covered is the face mask from here on.
  const cv::Rect whole(cv::Point(0, 0), size);
  for (const auto& t : triangles) {
    const cv::Point2f from[3] = {points[static_cast<std::size_t>(t[0])], points[static_cast<std::size_t>(t[1])],
                                 points[static_cast<std::size_t>(t[2])]};
    cv::Point2f to[3];
    for (int k = 0; k < 3; ++k) to[k] = fitted[static_cast<std::size_t>(t[static_cast<std::size_t>(k)])];
    const float x0 = std::min({to[0].x, to[1].x, to[2].x});
    const float y0 = std::min({to[0].y, to[1].y, to[2].y});
    const float x1 = std::max({to[0].x, to[1].x, to[2].x});
    const float y1 = std::max({to[0].y, to[1].y, to[2].y});
    // Every pixel centre (at integer coordinates) inside the triangle, with room for rounding.
    const cv::Rect rect = cv::Rect(cv::Point(static_cast<int>(std::floor(x0)), static_cast<int>(std::floor(y0))),
                                   cv::Point(static_cast<int>(std::ceil(x1)) + 1, static_cast<int>(std::ceil(y1)) + 1)) &
                          whole;
    if (rect.empty()) continue;
    cv::Point2f local[3];
    cv::Point corners[3];
    for (int k = 0; k < 3; ++k) {
      local[k] = to[k] - cv::Point2f(rect.tl());
      corners[k] = fixed_point(local[k]);
    }
    cv::Mat triangle_mask = scratch(triangle_buffer, rect.size(), CV_8U);
    if (!rasterise(corners[0], corners[1], corners[2], triangle_mask)) continue;
    // Reading the whole source crop lets bilinear sampling at the triangle's edges see real pixels.
    cv::Mat patch = scratch(patch_buffer, rect.size(), CV_8UC3);
    cv::warpAffine(source, patch, triangle_affine(from, local), rect.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT_101);
    patch.copyTo(face(rect), triangle_mask);
    cv::Mat covered_rect = covered(rect);
    cv::bitwise_or(covered_rect, triangle_mask, covered_rect);
  }

  // (1b) The mask follows the jaw line and the forehead line above the brows rather than their
  // hull (a turned head's hull takes in background past the jaw).
  if (dlib_layout) {
    cv::Mat keep = scratch(keep_buffer, size, CV_8U);
    keep.setTo(0);
    std::vector<cv::Point> outline;
    for (int i = 0; i <= kJawEnd; ++i) outline.push_back(fixed_point(fitted[static_cast<std::size_t>(i)]));
    for (auto i = kDlibPoints + kForeheadPoints; i-- > kDlibPoints;) outline.push_back(fixed_point(landmarks[i]));
    std::vector<cv::Point> hull;
    cv::convexHull(outline, hull);
    if (std::abs(cv::contourArea(outline)) >= kMinOutlineShare * cv::contourArea(hull)) {
      cv::fillPoly(keep, std::vector<std::vector<cv::Point>>{outline}, cv::Scalar(255), cv::LINE_8, kShift);
    } else {
      keep.setTo(255);
    }
    // Wherever the jaw fit takes the jaw line, nothing goes past the hull of the target's own mesh
    // points (footprint(), region() and the clone's clearance from the region's border rely on it).
    std::vector<cv::Point> own;
    for (const auto& p : landmarks) own.push_back(fixed_point(p));
    cv::Mat inside = scratch(inside_buffer, size, CV_8U);
    fill_hull(own, inside);
    cv::bitwise_and(keep, inside, keep);
    cv::bitwise_and(covered, keep, covered);
  }

  // (2) The target's colouring (Reinhard's LAB transfer, its spread bounded by kClassicSpread),
  // measured over pixels the face covers: the inner face for dlib's points, the whole face for
  // another layout. The face's statistics are measured on the warped face each time rather than
  // once on the source: the warp weighs each source triangle by its target's area.
  cv::Mat measured = covered;
  if (dlib_layout) {
    std::vector<cv::Point> inner;
    for (auto i = static_cast<std::size_t>(kInnerFaceBegin); i < kDlibPoints; ++i) {
      inner.push_back(fixed_point(fitted[i]));
      inner.push_back(fixed_point(landmarks[i]));
    }
    measured = scratch(measured_buffer, size, CV_8U);
    fill_hull(inner, measured);
    cv::bitwise_and(measured, covered, measured);
  }
  correct_colour(face, destination, measured, ColorCorrection::kLab, kClassicSpread);

  // (3) The seam goes inside the face, and the face is Poisson-cloned where the seam mask leaves
  // seamlessClone its border (the region's margin guarantees it unless the frame clipped the
  // region): the clone takes the target's shading at the seam, so no edge shows even where the
  // colour transfer's global statistics miss a local gradient. Its solution is not exactly the
  // target outside the mask, so in both cases the result goes in through the seam mask blurred
  // as far as the outline: nothing outside the face's hull changes, and there is no hard step.
  const auto outline = cv::boundingRect(landmarks);
  const int inset = std::max(1, std::min(outline.width, outline.height) / kSeamInsetDivisor);
  cv::Mat seam = scratch(seam_buffer, size, CV_8U);
  cv::erode(covered, seam, cv::Mat(), cv::Point(-1, -1), inset);
  const auto seam_box = cv::boundingRect(seam);
  if (seam_box.empty()) return false;  // a face of a few pixels: nothing to swap
  pasted = face;
  // The clone is solved at 1/clone_factor_ of the work size (poisson_clone(); live: 2).
  cv::Mat cloned = scratch(cloned_buffer, size, CV_8UC3);
  if (poisson_clone(face, destination, seam, inset, clone_factor_, cloned)) {
    // Within the face the source's own shading is kept (kCloneReach).
    fade_inwards(face, cloned, seam, kCloneReach * std::min(outline.width, outline.height), distance_buffer);
    pasted = cloned;
  }
  alpha = scratch(alpha_buffer, size, CV_8U);
  cv::GaussianBlur(seam, alpha, cv::Size(2 * inset + 1, 2 * inset + 1), 0);
  cv::bitwise_and(alpha, covered, alpha);  // the blur's tail never reaches past what was warped
  return true;
}

}  // namespace dlc::processors
