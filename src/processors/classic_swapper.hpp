#pragma once

#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>

#include <array>
#include <vector>

#include "processors/face_processor.hpp"
#include "processors/paste_back.hpp"

namespace dlc::processors {

// The classic face swap, dlc's swapper when inswapper_128.onnx is absent: no model, only the
// source face's pixels moved onto the target's landmarks. The source landmarks are triangulated
// once (Delaunay); each triangle is warped affinely onto the target's matching triangle, the
// warped face takes the target face's colour (Reinhard's mean/std transfer in LAB), and it is
// blended in with OpenCV's Poisson seamless clone inside the landmarks' convex hull, the clone's
// correction in full at the seam and fading out inwards.
//
// With dlib's 68 points the source's features (eyes, nose, mouth) keep the source's own
// layout, placed on the target's by a similarity fitted to them (kFeatureFit of the way), while the
// jaw line stays mostly the target's (moved kJawFit of the way towards the source's); the mesh and
// the mask follow the jaw line, a little past it, and a forehead line above the brows
// (mesh_points()), so the recognizer-visible forehead and jaw edge are the source's too (the
// source's mouth keeps its own shape, open or closed, so none is squeezed into the other's lip
// line). A source turned one way onto a target turned the other is taken from its mirror image,
// so the side its photo shows lands on the side the target shows. The face is processed at most
// kWorkSide (256) px across and scaled back, so its cost does not grow with the face.
//
// Only the source face's neighbourhood (and a turned one's mirror image) is kept, not the source
// image. process() reads and writes only region(frame, target landmarks) and may run on several
// threads at once: its scratch images are per thread (grown to the largest face each thread has
// seen, about ten region-sized 8-bit images), and what it reads from *this is fixed after
// construction.
//
// What the method cannot do: the mouth is the source's, open or closed, whatever the target's
// does (the lips move with the target's only as far as the similarity follows them); and the
// source's resolution is kept, so a small source face on a large target face looks soft.
class ClassicSwapper : public FaceProcessor {
 public:
  using Triangle = std::array<int, 3>;  // indices into the landmarks

  // source_bgr: CV_8UC3. source_face.landmarks: 68 (dlib) or 106 (2d106det) points, which every
  // target must match. Throws std::invalid_argument for another count, another image type, or
  // landmarks that give no triangle. clone_factor: the Poisson clone is solved at 1/clone_factor of
  // the work size (poisson_clone()); 1 solves it at the work size itself.
  ClassicSwapper(const cv::Mat& source_bgr, const face::Face& source_face, int clone_factor = kCloneFactor);

  std::string_view name() const override { return "face_swapper (classic)"; }
  bool needs_landmarks() const override { return true; }
  // frame: CV_8UC3. Throws std::invalid_argument when target.landmarks' count differs from the
  // source's. A face whose hull falls outside the frame is left as it is.
  void process(cv::Mat& frame, const face::Face& target) override;

  // The points the swap's mesh and mask span on a face with these landmarks: the landmarks and,
  // for dlib's 68, a line of 10 more above the brows (each brow point raised perpendicular to the
  // eye line by 0.3 of the outer eye corners' distance) so that the forehead is the source's too,
  // and the jaw line's 17 points moved 0.05 of that distance away from the nose tip (point 30).
  static std::vector<cv::Point2f> mesh_points(const std::vector<cv::Point2f>& landmarks);
  // The frame box process() reads and writes for a face with these landmarks: the bounding box
  // of mesh_points(), grown by kRegionMargin and clipped to the frame (empty if outside).
  static cv::Rect region(const cv::Size& frame, const std::vector<cv::Point2f>& landmarks);
  // Where process() paints a face: region() and mesh_points()' filled hull in it. Not placeable
  // when a landmark is not finite or lies farther than kMaxCoordinate from the frame.
  static Footprint footprint(const cv::Size& frame, const face::Face& target, bool with_mask);

  // The size the last face this thread's process() swapped was worked at (its region scaled to
  // at most 256 px across; empty before the first): what the swap's cost follows.
  static cv::Size last_work_size_on_this_thread();

  // seamlessClone zeroes its mask's outer pixel and erodes it by 3 more (OpenCV 4's
  // seamless_cloning.cpp); 4 px keeps a hull that is not clipped by the frame clear of both.
  static constexpr int kRegionMargin = 4;
  // The clone's correction is smooth (a membrane), so live solves it at half the work size, a
  // quarter of the solver's pixels (README's classic-swapper section has the figures); images and
  // videos keep the full solve, which bench/quality scored a little higher (0.624 against 0.617).
  static constexpr int kCloneFactor = 1;
  static constexpr int kLiveCloneFactor = 2;

  const std::vector<Triangle>& triangles() const { return triangles_; }
  std::size_t landmark_count() const { return count_; }
  // The kept neighbourhood of the source face and its mesh_points() in that crop's pixels.
  const cv::Mat& source_crop() const { return source_; }
  const std::vector<cv::Point2f>& source_points() const { return points_; }
  int clone_factor() const { return clone_factor_; }

 private:
  // The swap inside one region at the working resolution: destination is the target's pixels,
  // landmarks the target's in its coordinates. Sets pasted (the face composed over destination)
  // and alpha (where and how much of it goes in); false when the face is too small to swap.
  bool compose(const cv::Mat& destination, const std::vector<cv::Point2f>& landmarks, cv::Mat& pasted,
               cv::Mat& alpha) const;

  cv::Mat source_;                   // the source face's crop, owned (not a view of the caller's image)
  std::vector<cv::Point2f> points_;  // the source landmarks in source_'s pixels
  std::vector<Triangle> triangles_;  // Delaunay, over points_, made once
  std::size_t count_ = 0;
  // dlib's 68 only: the source's turn (yaw(), −1..1) and, when it is past kMirrorYaw, its mirror
  // image: the crop flipped, the points in the same order (each where its mirror partner was),
  // the triangles through them (empty otherwise: compose() never mirrors such a source).
  double yaw_ = 0.0;
  cv::Mat mirrored_;
  std::vector<cv::Point2f> mirrored_points_;
  std::vector<Triangle> mirrored_triangles_;
  int clone_factor_ = kCloneFactor;
};

}  // namespace dlc::processors
