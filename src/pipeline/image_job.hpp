#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "face/face_tracker.hpp"
#include "pipeline/face_analyser.hpp"
#include "pipeline/model_residency.hpp"
#include "pipeline/processor_chain.hpp"

namespace dlc::pipeline {

// What a swap job (image or video) takes from the command line.
struct FaceJobOptions {
  std::filesystem::path source;
  std::filesystem::path target;
  std::filesystem::path output;  // a file, or an existing folder
  bool many_faces = false;
  bool mouth_mask = false;
  double mouth_mask_size = 0.0;  // --mouth-mask-size, 0..100 (Deep-Live-Cam's "Mouth Mask" slider)
  bool draw_mouth_mask = false;  // --draw-mouth-mask: the outline of that size's mask drawn last
  std::filesystem::path map_faces;  // --map-faces file; empty = off (images only for now)
  face::Selector target_selector = face::Selector::kLeftmost;
  face::TrackerOptions tracking;  // --face-smoothing, --face-hold (video and live)
  // --face-selector reference: the photo whose face is the one swapped, and how far (cosine
  // distance, 1 - similarity) a face may be from it.
  std::filesystem::path reference_face;
  float reference_distance = 0.6f;
  ChainOptions chain;
  AnalyserOptions analyser;
  SwapperOptions swapper;  // the memory strategy and detection cadence
  // --nsfw-filter: open_nsfw.onnx; empty = off. Images are scored whole, videos every 100th frame;
  // a hit throws processors::NsfwRefused before anything is written.
  std::filesystem::path nsfw_model;
};
using ImageJobOptions = FaceJobOptions;

// The faces of a frame a job processes: every one with many_faces, else the selected one.
std::vector<std::size_t> faces_to_process(const std::vector<face::Face>& faces, const FaceJobOptions& options);

// Runs the chain on one target face with the chain's source `source` (0: the -s face): its
// landmarks added when a processor or the mouth mask needs them, the target's mouth put back
// (options.mouth_mask) before Poisson and opacity, the mask's outline drawn over the result
// (options.draw_mouth_mask). False when the face cannot be placed and was skipped.
bool process_face(cv::Mat& frame, face::Face& target, const ProcessorChain& chain, FaceAnalyser& analyser,
                  const FaceJobOptions& options, std::size_t source = 0);

struct ImageJobReport {
  std::filesystem::path output;
  std::size_t target_faces = 0;     // found in the target
  std::size_t processed_faces = 0;  // swapped/enhanced
  std::size_t skipped_faces = 0;    // chosen but not placeable (NaN or degenerate keypoints): left as they were
  std::vector<std::string> processors;
  std::string detector;
};

// An output folder means <folder>/<source stem>-<target stem><target extension> (Deep-Live-Cam's
// normalize_output_path).
std::filesystem::path resolve_output(const std::filesystem::path& source, const std::filesystem::path& target,
                                     const std::filesystem::path& output);

// Writes the image in the format of the path's extension, first to a temporary name in the
// same folder, renamed over the path only when complete. Throws InputError when OpenCV cannot
// write that format or the folder is not writable.
void write_image_atomically(const cv::Mat& image, const std::filesystem::path& path);

// Reads an image; throws InputError naming the file and its role when it is missing or not an
// image OpenCV can decode.
cv::Mat read_image(const std::filesystem::path& path, const char* role);

// The image job: the target read, its faces processed (one selected face, or all with
// many_faces), the result written with the target's size. A target without a face is written
// unchanged and the report says so (processed_faces == 0).
ImageJobReport run_image_job(const ImageJobOptions& options);

}  // namespace dlc::pipeline
