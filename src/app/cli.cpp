#include "app/cli.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

#include "app/exit_codes.hpp"
#include "app/part_identity.hpp"
#include "face/scrfd_detector.hpp"
#include "media/camera_source.hpp"
#include "media/video_writer.hpp"
#include "processors/swapper_models.hpp"
#include "runtime/providers.hpp"

namespace dlc::app {
namespace {

// A validator whose message names the allowed range; CLI11 puts the flag's name in front.
template <typename T>
CLI::Validator in_range(T low, T high, std::string_view unit = "") {
  const auto range = fmt::format("{} to {}{}", low, high, unit);
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        T value{};
        if (!CLI::detail::lexical_cast(text, value)) return fmt::format("'{}' is not a number (allowed: {})", text, range);
        if (value < low || value > high) return fmt::format("{} is out of range (allowed: {})", text, range);
        return {};
      },
      range);
}

CLI::Validator one_of(std::vector<std::string> allowed) {
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  return CLI::Validator(
      [allowed, list](std::string& text) -> std::string {
        if (std::ranges::find(allowed, text) != allowed.end()) return {};
        return fmt::format("'{}' is not one of: {}", text, list);
      },
      "{" + list + "}");
}

// SCRFD decodes only sizes whose every level is a whole grid (face/scrfd_detector.hpp).
CLI::Validator detector_size() {
  const auto allowed = fmt::format("multiples of {} from {} to {}", face::kScrfdSizeStep, face::kScrfdMinSize,
                                   face::kScrfdMaxSize);
  return CLI::Validator(
      [allowed](std::string& text) -> std::string {
        int value = 0;
        if (!CLI::detail::lexical_cast(text, value)) return fmt::format("'{}' is not a number (allowed: {})", text, allowed);
        if (!face::scrfd_size_allowed(value)) return fmt::format("{} is not allowed (allowed: {})", text, allowed);
        return {};
      },
      allowed);
}

// Deep-Live-Cam's flags that dlc takes for compatibility but that change nothing, or that are
// hidden aliases of other flags (its modules/core.py parse_args, "deprecated args").
struct CompatFlags {
  std::string face;                       // -f/--face: -s
  // Checked after parsing: CLI11 leaves a hidden option's name out of its error messages.
  std::string cpu_cores;                  // --cpu-cores N: --execution-threads
  std::string gpu_threads;                // --gpu-threads N: --execution-threads
  std::string gpu_vendor;                 // apple | nvidia | amd: --execution-provider coreml | cuda | rocm
  std::string lang = "en";                // -l/--lang: the UI's language
};

// The flags of PRODUCT.md §2, shared by plain `dlc`, `dlc run` and `dlc live`.
void add_job_flags(CLI::App& app, JobOptions& job, CompatFlags& compat) {
  app.add_option("-s,--source", job.source, "source face image");
  // Hidden (an empty group), as in Deep-Live-Cam.
  app.add_option("-f,--face", compat.face, "the same as -s")->group("");
  app.add_option("--cpu-cores", compat.cpu_cores, "the same as --execution-threads")->group("");
  app.add_option("--gpu-threads", compat.gpu_threads, "the same as --execution-threads")->group("");
  app.add_option("--gpu-vendor", compat.gpu_vendor, "apple, nvidia or amd: --execution-provider coreml, cuda or rocm")
      ->group("");
  app.add_option("-t,--target", job.target, "target image or video");
  app.add_option("-o,--output", job.output, "output file, or a folder");
  app.add_option("--frame-processor", job.frame_processors, "processors in order")
      ->check(one_of({"face_swapper", "face_enhancer", "face_enhancer_gpen256", "face_enhancer_gpen512"}))
      ->expected(1, 4);
  app.add_flag("--keep-fps", job.keep_fps, "keep the target's frame rate (the default; accepted for compatibility)");
  app.add_option("--output-fps", job.output_fps, "force this output frame rate")->check(in_range(1.0, 240.0));
  app.add_flag("--keep-audio,!--no-keep-audio", job.keep_audio, "copy the target's audio (default on)");
  app.add_flag("--keep-frames", job.keep_frames, "keep extracted frames (disk pipeline only)");
  app.add_flag("--many-faces", job.many_faces, "swap every face, not only the selected one");
  app.add_option("--map-faces", job.map_faces,
                 "JSON file mapping source faces to target faces (video: the template dlc faces scan writes; "
                 "takes the place of -s)")
      ->check(CLI::ExistingFile);
  app.add_flag("--mouth-mask", job.mouth_mask, "keep the target's original mouth");
  app.add_option("--mouth-mask-size", job.mouth_mask_size,
                 "the kept mouth's size, 0 (the lips) to 100 (mouth to chin); above 0 implies --mouth-mask")
      ->check(in_range(0.0, 100.0))
      ->each([&job](const std::string& value) { job.mouth_mask = job.mouth_mask || std::stod(value) > 0; });
  app.add_option("--video-encoder", job.video_encoder, "video encoder")
      ->check(one_of({"libx264", "libx265", "libvpx-vp9"}));
  app.add_option("--video-quality", job.video_quality, "CRF/CQ, lower is better (default 18)")->check(in_range(0, 51));
  app.add_option("--video-encoder-preset", job.video_encoder_preset,
                 "encoder speed: ultrafast ... veryslow (default: the encoder's own, medium)")
      ->check(one_of(media::encoder_presets()));
  app.add_flag("--live-mirror", job.live_mirror, "mirror the camera image");
  app.add_option("--max-memory", job.max_memory_gb, "system RAM budget in GB")->check(in_range(0.1, 4096.0, " GB"));
  app.add_option("--execution-provider", job.execution_providers, "execution providers in priority order")
      ->check(one_of(runtime::compiled_providers()));
  app.add_option("--execution-threads", job.execution_threads, "worker threads")->check(in_range(1, 256));
  app.add_option("--gpu-memory-fraction", job.gpu_memory_fraction, "share of the GPU's memory dlc may use (default 0.8)")
      ->check(in_range(0.1, 0.95));
  app.add_flag("--enable-memory-optimization,!--disable-memory-optimization", job.memory_optimization,
               "tuned ONNX Runtime memory settings (default on)");
  app.add_option("--models-dir", job.models_dir, "where model files are looked up");
  app.add_option("--face-detector", job.face_detector,
                 "auto (det_10g.onnx, else BlazeFace, else dlib), scrfd, blazeface or dlib")
      ->check(one_of({"auto", "scrfd", "blazeface", "dlib"}));
  app.add_option("--face-swapper-model", job.face_swapper_model,
                 fmt::format("auto (inswapper_128 when present, else the first swapper present, else the classic "
                             "swapper) or one of {}", processors::swapper_model_names()))
      ->check(one_of({"auto", "inswapper_128", "hyperswap_1a_256", "hyperswap_1b_256", "hyperswap_1c_256", "simswap_256"}));
  app.add_option("--face-detector-size", job.face_detector_size, "SCRFD's input size (default 640)")
      ->check(detector_size());
  app.add_option("--face-detector-score", job.face_detector_score, "lowest detector score kept (default 0.5)")
      ->check(in_range(0.05, 0.95));
  app.add_option("--face-selector", job.face_selector,
                 "the face a single-face swap takes: leftmost (Deep-Live-Cam), largest, best, or reference "
                 "(the face nearest to --reference-face; needs w600k_r50.onnx)")
      ->check(one_of({"leftmost", "largest", "best", "reference"}));
  app.add_option("--reference-face", job.reference_face,
                 "--face-selector reference: a photo of the person whose face is swapped");
  app.add_option("--reference-distance", job.reference_distance,
                 "--face-selector reference, --map-faces and dlc faces scan: the largest cosine distance "
                 "(1 - similarity) of a face from the person it is taken for, 0 to 2 (default 0.6)")
      ->check(in_range(0.0, 2.0));
  app.add_option("--paste-back", job.paste_back,
                 "default (Deep-Live-Cam's soft ellipse mask) or legacy (insightface's eroded mask)")
      ->check(one_of({"default", "legacy"}));
  app.add_option("--color-correction", job.color_correction,
                 "match the neural swapper's face to the target's colours: none (default), lab (Reinhard mean/std) "
                 "or histogram")
      ->check(one_of({"none", "lab", "histogram"}));
  app.add_option("--opacity", job.opacity, "how much of the swapped face shows, 0 to 1 (default 1)")
      ->check(in_range(0.0, 1.0));
  app.add_option("--sharpness", job.sharpness, "unsharp masking of the swapped face, 0 to 5 (default 0)")
      ->check(in_range(0.0, 5.0));
  app.add_flag("--poisson-blend", job.poisson_blend, "blend the face in with OpenCV's seamless clone");
  app.add_option("--memory-monitor-interval", job.memory_monitor_interval_s,
                 "seconds between [DLC.MEMORY] lines while working; 0 turns them off (default 10)")
      ->check(in_range(0.0, 3600.0, " s"));
  app.add_option("--events", job.events,
                 "json: also write one JSON object per line on stderr (plan, progress, memory each second, done, "
                 "error) for a program that drives dlc")
      ->check(one_of({"json"}));
  app.add_option("--detect-every", job.detect_every,
                 "detect faces every N frames and reuse them in between (default 1; live: from the camera's rate)")
      ->check(in_range(1, 1000));
  app.add_option("--face-smoothing", job.face_smoothing,
                 "video and live: One-Euro smoothing of each tracked face's box and points: off, light, default "
                 "or strong")
      ->check(one_of({"off", "light", "default", "strong"}));
  app.add_option("--face-hold", job.face_hold,
                 "video and live: detections a tracked face may miss and still be swapped on its predicted path "
                 "(default 3; 0 = none)")
      ->check(in_range(0, 100));
  app.add_option("--memory-strategy", job.memory_strategy,
                 "auto (from the --max-memory plan), resident, lru or stage (one model at a time)")
      ->check(one_of({"auto", "resident", "lru", "stage"}));
  app.add_option("-l,--lang", compat.lang, "Deep-Live-Cam's UI language; dlc speaks English only (default en)");
  app.add_flag("--nsfw-filter", job.nsfw_filter,
               "refuse a target open_nsfw.onnx scores over 0.85 (images whole, videos every 100th frame): exit 7");
  app.add_flag("--live-resizable", job.live_resizable, "live: a preview window the user can resize (the image scales)");
}

// The flags only `dlc run` takes.
void add_run_flags(CLI::App& run, JobOptions& job) {
  run.add_flag("--draw-mouth-mask", job.draw_mouth_mask,
               "draw the outline of the mouth mask --mouth-mask-size makes on each swapped face (a preview: dlc-gui "
               "shows it while its Mouth mask slider is held)");
  run.add_option("--frame-range", job.frame_range,
                 "video: only frames START to END-1 (from 0; FaceFusion's --trim-frame-start/-end), into a part "
                 "file for dlc join (no audio)")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            try {
              parse_frame_range(text);
            } catch (const std::invalid_argument& e) {
              return e.what();
            }
            return {};
          },
          "START:END"));
}

// The camera and the ends of a live run.
void add_live_flags(CLI::App& live, JobOptions& job) {
  live.add_option("--camera", job.camera, "camera index, /dev/videoN, a video file played as a camera, or a camera's name (default 0)");
  live.add_flag("--list-cameras", job.list_cameras, "list the cameras with their formats, sizes and rates, and exit");
  const CLI::Validator frame_size(
      [](std::string& text) -> std::string {
        int w = 0, h = 0;
        char x = 0, extra = 0;
        std::istringstream in(text);
        if ((in >> w >> x >> h) && x == 'x' && !(in >> extra) && w >= 16 && h >= 16 && w <= 7680 && h <= 4320) return {};
        return fmt::format("'{}' is not a size WxH (16x16 to 7680x4320)", text);
      },
      "WxH");
  live.add_option("--camera-size", job.camera_size, "capture size WxH, e.g. 1280x720")->check(frame_size);
  live.add_option("--camera-fps", job.camera_fps, "capture frame rate to ask for")->check(in_range(1.0, 240.0));
  live.add_flag("--headless", job.headless, "no preview window");
  live.add_flag("--fix-blueish-cam", job.fix_blueish_cam, "swap each camera frame's red and blue channels (a camera that gives RGB as BGR)");
  live.add_flag("--show-fps", job.show_fps, "draw the frame rate into the preview from the start (the f key toggles it)");
  live.add_option("--preview-pipe", job.preview_pipe,
                  "write each preview frame, raw BGR letterboxed to WxH after a 24-byte header, to stdout (for dlc-gui)")
      ->check(frame_size);
  live.add_option("--record", job.record, "write the processed stream to this video file");
  live.add_option("--stream", job.stream, "send the processed stream, paced, to udp://HOST:PORT, srt://, tcp://, rtsp:// or rtp://")
      ->check(CLI::Validator(
          [](std::string& url) -> std::string {
            return media::is_stream_url(url) ? "" : fmt::format("'{}' is not a udp://, srt://, tcp://, rtsp:// or rtp:// URL", url);
          },
          "URL"));
  live.add_option_function<std::string>(
          "--virtual-camera", [&job](const std::string& device) { job.virtual_camera = device; },
          "write the processed stream, paced, to a v4l2loopback device (default: the first one)")
      ->expected(0, 1);
  live.add_option("--virtual-camera-size", job.virtual_camera_size, "the stream's and virtual camera's fixed size WxH (default 1280x720)")
      ->check(frame_size)
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            cv::Size size;
            try {
              size = media::parse_frame_size(text);
            } catch (const std::invalid_argument&) {
              return fmt::format("'{}' is not a size WxH", text);
            }
            return size.width % 2 == 0 && size.height % 2 == 0 ? "" : fmt::format("'{}' is odd (YUV420 needs even sizes)", text);
          },
          "even"));
  live.add_option("--virtual-camera-fit", job.virtual_camera_fit, "crop (default: fill, the overflow cut) or letterbox (black bars)")
      ->check(one_of({"crop", "letterbox"}));
  live.add_flag("--stamp-capture-time", job.stamp_capture_time,
                "draw each frame's capture time as 32 blocks into the paced outputs' top-left corner (latency: bench/live_stream.sh)");
  live.add_option("--max-frames", job.max_frames, "end after this many camera frames")->check(in_range<std::int64_t>(1, 1'000'000'000));
  live.add_option("--duration", job.duration_s, "end after this many seconds")->check(in_range(0.1, 1'000'000.0, " s"));
}

Command command_of(const CLI::App& app) {
  if (app.got_subcommand("live")) return Command::Live;
  if (app.got_subcommand("diagnose")) return Command::Diagnose;
  if (app.got_subcommand("bench")) return Command::Bench;
  if (app.got_subcommand("models")) return Command::Models;
  if (app.got_subcommand("faces")) return Command::Faces;
  if (app.got_subcommand("join")) return Command::Join;
  if (app.got_subcommand("plan")) return Command::Plan;
  if (app.got_subcommand("batch")) return Command::Batch;
  return Command::Run;
}

// The flags after `batch ENGINE` that each part's `dlc run` takes: all but the batch's own and
// -s/-t/-o, which the jobs give themselves (absolute, on the shared folder).
std::vector<std::string> batch_run_args(std::span<const std::string> args) {
  static const std::vector<std::string> kWithValue{"--parts", "--work-dir", "-s", "--source", "-t", "--target",
                                                   "-o", "--output", "-f", "--face"};
  std::vector<std::string> kept;
  const auto batch = std::ranges::find(args, "batch");
  bool engine_seen = false;
  for (auto it = batch == args.end() ? args.begin() : batch + 1; it != args.end(); ++it) {
    const auto& a = *it;
    const auto name = a.substr(0, a.find('='));
    if (std::ranges::find(kWithValue, name) != kWithValue.end()) {
      if (a.find('=') == std::string::npos && it + 1 != args.end()) ++it;
      continue;
    }
    if (a == "--submit") continue;
    if (!engine_seen && (a == "slurm" || a == "k8s")) {
      engine_seen = true;
      continue;
    }
    kept.push_back(a);
  }
  return kept;
}

// Deep-Live-Cam's meaning for each compatibility flag (its parse_args "translate deprecated args"),
// a warning where dlc has none. A non-zero exit code (with its line in err) ends the run.
int apply_compat_flags(CompatFlags compat, CliOptions& options, std::string& err) {
  auto& job = options.job;
  const auto refused = [&](std::string_view flag, std::string& text, const CLI::Validator& check) {
    const auto problem = check(text);
    if (!problem.empty()) err = fmt::format("dlc: {}: {}\n", flag, problem);
    return !problem.empty();
  };
  const auto threads = in_range(1, 256);
  if ((!compat.cpu_cores.empty() && refused("--cpu-cores", compat.cpu_cores, threads)) ||
      (!compat.gpu_threads.empty() && refused("--gpu-threads", compat.gpu_threads, threads)) ||
      (!compat.gpu_vendor.empty() && refused("--gpu-vendor", compat.gpu_vendor, one_of({"apple", "nvidia", "amd"})))) {
    return kExitUsage;
  }
  if (!compat.face.empty()) {
    if (job.source.empty()) job.source = compat.face;
    options.warnings.push_back("-f/--face is Deep-Live-Cam's old name of -s/--source");
  }
  for (const auto& [flag, text] : {std::pair{"--cpu-cores", compat.cpu_cores}, std::pair{"--gpu-threads", compat.gpu_threads}}) {
    if (text.empty()) continue;
    if (!job.execution_threads) job.execution_threads = std::stoi(text);
    options.warnings.push_back(fmt::format("{} is Deep-Live-Cam's old name of --execution-threads", flag));
  }
  if (!compat.gpu_vendor.empty()) {
    const std::string provider = compat.gpu_vendor == "apple" ? "coreml" : compat.gpu_vendor == "nvidia" ? "cuda" : "rocm";
    const auto compiled = runtime::compiled_providers();
    if (std::ranges::find(compiled, provider) == compiled.end()) {
      options.warnings.push_back(fmt::format(
          "--gpu-vendor {} means --execution-provider {}, which this ONNX Runtime does not have (it has: {}); ignored",
          compat.gpu_vendor, provider, fmt::join(compiled, ", ")));
    } else {
      if (job.execution_providers.empty()) job.execution_providers = {provider};
      options.warnings.push_back(
          fmt::format("--gpu-vendor {} is Deep-Live-Cam's old name of --execution-provider {}", compat.gpu_vendor, provider));
    }
  }
  if (job.nsfw_filter && options.command == Command::Live) {
    options.warnings.push_back("--nsfw-filter: dlc live does not check the camera (nor does Deep-Live-Cam's live mode)");
  }
  if (compat.lang != "en") {
    options.warnings.push_back(fmt::format("--lang {}: dlc's messages are in English only", compat.lang));
  }
  return kExitOk;
}

}  // namespace

ParseOutcome parse_command_line(std::span<const std::string> args) {
  CliOptions options;
  CLI::App app("dlc: swap the face of a source photo onto a target image, video or camera,\n"
               "within the memory you give it.",
               "dlc");
  app.set_help_all_flag("--help-all", "all commands and their flags");
  bool version = false;
  app.add_flag("-v,--version", version, "dlc's version, ONNX Runtime's version and providers");
  app.add_option("--log-level", options.log_level, "trace, debug, info, warning, error or off (default info)")
      ->check(one_of({"trace", "debug", "info", "warning", "error", "off"}));
  CompatFlags compat;
  add_job_flags(app, options.job, compat);

  auto* run = app.add_subcommand("run", "swap on an image or video file (also plain `dlc [flags]`)");
  auto* live = app.add_subcommand("live", "swap on a camera, with a preview window or headless");
  add_job_flags(*run, options.job, compat);
  add_run_flags(*run, options.job);
  add_job_flags(*live, options.job, compat);
  add_live_flags(*live, options.job);
  auto* diagnose = app.add_subcommand("diagnose", "memory diagnostics and recommended flags for this machine");
  diagnose->add_flag("--json", options.json, "machine-readable output");
  auto* bench = app.add_subcommand("bench", "per-stage speed and memory figures on this machine");
  add_job_flags(*bench, options.job, compat);
  bench->add_option("--frames", options.job.frames, "frames to time after one warm-up frame (default 20)")
      ->check(in_range(1, 100000));
  bench->add_flag("--json", options.json, "machine-readable output");
  bench->add_flag("--compare-memory-optimization", options.compare_memory_optimization,
                  "run the same work with and without the tuned ONNX Runtime settings, side by side");
  auto* models = app.add_subcommand("models", "which model files are present and what is missing; download them verified");
  models->add_option("action", options.models_action, "list, verify, download or prepare")
      ->check(one_of({"list", "verify", "download", "prepare"}));
  models->add_option("names", options.models_names,
                     "download: files, roles or sets (deep-live-cam) to fetch; prepare: model files");
  models->add_option("--execution-threads", options.job.execution_threads, "prepare: ONNX Runtime's threads")
      ->check(in_range(1, 256));
  models->add_option("--models-dir", options.job.models_dir, "where model files are looked up (download: put)");
  models->add_flag("--all", options.models_all, "download: every file of the manifest");
  models->add_option("--from", options.models_from, "download: copy the files from this folder instead (offline)");
  models->add_option("--mirror", options.models_mirror, "download: fetch MIRROR/FILE instead of the manifest's URLs");
  models->add_option("--manifest", options.models_manifest, "a model manifest (JSON) instead of the built-in one");
  models->add_flag("--json", options.models_json, "list: one JSON object (each role: its file or what stands in for it; no hashing)");
  auto* faces = app.add_subcommand("faces", "who appears in a video: dlc faces scan -t VIDEO -o DIR writes a thumbnail "
                                            "per person and a --map-faces template");
  faces->add_option("action", options.faces_action, "scan")->check(one_of({"scan"}));
  add_job_flags(*faces, options.job, compat);
  auto* join = app.add_subcommand("join", "join the parts of dlc run --frame-range, checked, without re-encoding");
  join->add_option("parts", options.join_parts, "the part files, in any order");
  join->add_option("-o,--output", options.job.output, "the joined video");
  join->add_option("--audio-from", options.audio_from, "the target: its audio, cut where the video ends");
  auto* plan = app.add_subcommand("plan", "the memory plan dlc run would take, without loading a model");
  add_job_flags(*plan, options.job, compat);
  add_run_flags(*plan, options.job);
  plan->add_flag("--json", options.json, "machine-readable output");
  auto* batch = app.add_subcommand("batch", "the part jobs and the join job of a video for Slurm or Kubernetes");
  add_job_flags(*batch, options.job, compat);
  batch->add_option("engine", options.batch_engine, "slurm or k8s")->required()->check(one_of({"slurm", "k8s"}));
  batch->add_option("--parts", options.batch_parts, "frame ranges, one job each")->required()->check(in_range(1, 100000));
  batch->add_option("--work-dir", options.batch_work_dir, "a folder every node sees: the parts, scripts and logs")
      ->required();
  batch->add_flag("--submit", options.batch_submit, "slurm: submit the jobs with sbatch and print their ids");
  app.require_subcommand(0, 1);
  for (auto* sub : {run, live, diagnose, bench, models, faces, join, plan, batch}) sub->fallthrough();

  ParseOutcome outcome;
  try {
    // CLI11 wants the arguments in reverse order when given a vector.
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    outcome.out = app.help();
    return outcome;
  } catch (const CLI::CallForAllHelp&) {
    outcome.out = app.help("", CLI::AppFormatMode::All);
    return outcome;
  } catch (const CLI::ParseError& e) {
    outcome.exit_code = kExitUsage;
    outcome.err = fmt::format("dlc: {}\n", e.what());
    return outcome;
  }
  options.command = version ? Command::Version : command_of(app);
  if (options.command == Command::Batch) options.batch_run_args = batch_run_args(args);
  if (const auto code = apply_compat_flags(compat, options, outcome.err); code != kExitOk) {
    outcome.exit_code = code;
    return outcome;
  }
  outcome.options = std::move(options);
  return outcome;
}

}  // namespace dlc::app
