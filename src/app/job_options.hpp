#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/face_analyser.hpp"
#include "runtime/ort_runtime.hpp"
#include "runtime/session_policy.hpp"

namespace dlc::app {

// The flags of `dlc run` / `dlc live` (PRODUCT.md §2), already validated by the parser.
struct JobOptions {
  std::string source;
  std::string target;
  std::string output;
  std::vector<std::string> frame_processors{"face_swapper"};
  bool keep_fps = true;
  std::optional<double> output_fps;
  std::optional<std::string> frame_range;  // run: "START:END", END exclusive (part_identity.hpp)
  bool keep_audio = true;
  bool keep_frames = false;
  bool many_faces = false;
  std::string map_faces;  // mapping file; empty = off
  bool mouth_mask = false;
  double mouth_mask_size = 0.0;  // 0..100; above 0 turns the mouth mask on, as Deep-Live-Cam's slider
  bool draw_mouth_mask = false;  // run: the mask's outline drawn on the result (dlc-gui's preview)
  std::string video_encoder = "libx264";
  int video_quality = 18;
  std::string video_encoder_preset;  // ultrafast ... veryslow; empty = the encoder's own (medium)
  bool live_mirror = false;
  std::optional<double> max_memory_gb;           // empty = suggested from RAM
  std::vector<std::string> execution_providers;  // empty = best available
  std::optional<int> execution_threads;          // empty = OMP_NUM_THREADS, else the core count
  double gpu_memory_fraction = 0.8;
  bool memory_optimization = true;
  std::optional<std::string> models_dir;
  double memory_monitor_interval_s = 10;  // 0 = off
  std::string events;                     // --events json: machine-readable lines on stderr; empty = off
  std::string face_detector = "auto";     // auto | scrfd | blazeface | dlib
  std::string face_swapper_model = "auto";  // auto | inswapper_128 | hyperswap_1a/1b/1c_256 | simswap_256
  int face_detector_size = 640;
  double face_detector_score = 0.5;
  std::string face_selector = "leftmost";  // leftmost | largest | best
  std::string paste_back = "default";      // default (Deep-Live-Cam's soft mask) | legacy (insightface)
  std::string color_correction = "none";   // none | lab | histogram: the neural swapper's crop matched to the target's
  double opacity = 1.0;
  double sharpness = 0.0;
  bool poisson_blend = false;
  bool nsfw_filter = false;               // refuse NSFW targets (open_nsfw.onnx; exit 7)
  int frames = 20;                        // bench: frames to time after one warm-up frame
  std::optional<int> detect_every;        // detect faces every N frames; empty: 1 for run, camera-paced for live
  std::string face_smoothing = "default";  // off | light | default | strong (video and live)
  int face_hold = 3;                       // detections a tracked face may miss before it is let go
  std::string reference_face;              // --face-selector reference: the photo of the face to swap
  double reference_distance = 0.6;         // cosine distance (1 - similarity) a face may be from it
  std::string memory_strategy = "auto";   // auto | resident | lru | stage
  // live
  std::string camera = "0";               // index, /dev/videoN, or a video file played as a camera
  std::optional<std::string> camera_size;  // "WxH"
  std::optional<double> camera_fps;
  bool headless = false;
  bool live_resizable = false;            // a preview window the user can resize
  std::string record;                     // record the processed stream to this file; empty = off
  std::string stream;                     // --stream URL; empty = off
  std::optional<std::string> virtual_camera;  // --virtual-camera [DEVICE]; "" = the first v4l2loopback device
  std::string virtual_camera_size = "1280x720";  // the stream's and the virtual camera's fixed size
  std::string virtual_camera_fit = "crop";       // crop | letterbox
  bool stamp_capture_time = false;
  bool fix_blueish_cam = false;            // swap each camera frame's red and blue (Deep-Live-Cam's "Fix Blueish Cam")
  bool show_fps = false;                   // the preview's frame-rate overlay from the start
  std::optional<std::string> preview_pipe;  // "WxH": the preview's frames, raw, to stdout (pipeline/preview_pipe.hpp)
  bool list_cameras = false;
  std::optional<std::int64_t> max_frames;
  std::optional<double> duration_s;
};

// --execution-threads, else a valid OMP_NUM_THREADS (as Deep-Live-Cam honours it), else the
// number of cores this process may run on.
int resolve_threads(const JobOptions& job, const char* omp_num_threads);

runtime::RuntimeOptions runtime_options(const JobOptions& job, int threads);
runtime::SessionPolicy session_policy(const JobOptions& job, int threads);

// Where model files are looked up for this job (--models-dir, else ./models and $DLC_MODELS_DIR).
std::vector<std::filesystem::path> models_search_path(const JobOptions& job);
pipeline::AnalyserOptions analyser_options(const JobOptions& job, const runtime::SessionPolicy& policy);

}  // namespace dlc::app
