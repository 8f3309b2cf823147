#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "memory/plan.hpp"
#include "processors/swapper_models.hpp"
#include "runtime/onnx_file.hpp"

namespace dlc::pipeline {

// The tensors a role's file must declare: a shape per tensor, -1 where any size goes (a
// dimension the file leaves symbolic matches any size too).
using ShapeRule = std::vector<std::int64_t>;
struct SignatureRule {
  std::vector<ShapeRule> inputs;
  std::vector<std::vector<ShapeRule>> output_layouts;  // any one of these
  bool float16_allowed = false;
  // When given, the inputs are matched to `inputs` by these names, in whatever order the file
  // declares them (FaceFusion feeds its swappers by name).
  std::vector<std::string_view> input_names = {};
};

// A model a job may need, by the file names Deep-Live-Cam and insightface use.
struct ModelRole {
  std::string_view role;                // "detector", "landmarks", "recognizer", "swapper", "enhancer"
  std::vector<std::string_view> files;  // accepted file names, preferred first
  std::string_view serves;              // what needs it, for messages
  std::uint64_t io_bytes;               // one call's input and output tensors (float32)
  SignatureRule signature;
  std::string_view fallback;            // what dlc uses without the file ("" = nothing)
  std::string_view adds;                // what the file adds over the fallback
};

struct JobModel {
  const ModelRole* role = nullptr;
  std::filesystem::path path;
  std::uint64_t file_bytes = 0;
};

// Every role, in pipeline order (PRODUCT.md §3).
const std::vector<const ModelRole*>& all_roles();

// The role of that name ("detector", "landmarks", "recognizer", "swapper"; enhancers by the
// processor they serve: "face_enhancer", ...). Throws std::invalid_argument for another name.
const ModelRole& role_named(std::string_view name);

// Why the file's declared inputs and outputs do not fit the role, or "" when they do.
std::string signature_problem(const ModelRole& role, const runtime::OnnxFileInfo& info);

// The signature a role's file must have, for messages: "input [1,3,?,?] → outputs [?,1] × 3, ...".
std::string expected_signature(const ModelRole& role);

// A file in the search path with one of a role's names, and what is wrong with it ("" when it
// is a valid model of the role).
struct RoleFile {
  std::filesystem::path path;
  std::uint64_t file_bytes = 0;
  std::string problem;
};

// Every file in the search path with one of the role's names, in search order (folders first,
// then the role's names): the first one is the one a job uses. Never throws for a bad file.
std::vector<RoleFile> role_files_present(const ModelRole& role, const std::vector<std::filesystem::path>& search_path);

// The file that serves the role, or nothing when no file of its names is in the search path. The
// first file present is the one used: when it is not a valid model of the role (not ONNX,
// damaged, the wrong signature), throws runtime::ModelError naming it, what is wrong and what to
// do. A fallback stands in only for a file that is absent.
std::optional<JobModel> find_role_file(const ModelRole& role, const std::vector<std::filesystem::path>& search_path);

// What is wrong with a file (of any name) as the role's model: not ONNX, damaged, the wrong
// signature; "" when it is a valid model of the role.
std::string role_file_problem(const ModelRole& role, const std::filesystem::path& file);

// The command that downloads the role's file into the search path: "dlc models download swapper"
// (with --models-dir when the search path is that one folder).
std::string download_command(const ModelRole& role, const std::vector<std::filesystem::path>& search_path);
// The name `dlc models download` knows the role's file by (the role, the processor an enhancer
// serves, or the file where several models share a role).
std::string download_key(const ModelRole& role);

// What to tell a user about an invalid file of the role: "delete it or download it again ...".
std::string invalid_file_advice(const ModelRole& role);

// --models-dir alone when given; otherwise ./models, then $DLC_MODELS_DIR (PRODUCT.md §2), then
// the user's data folder $XDG_DATA_HOME/dlc/models ($HOME/.local/share/dlc/models), where
// `dlc models download` puts files. The last folder is the download folder.
std::vector<std::filesystem::path> models_search_path(const std::optional<std::string>& models_dir,
                                                      const char* models_dir_env, const char* xdg_data_home,
                                                      const char* home);
// $XDG_DATA_HOME/dlc/models, else $HOME/.local/share/dlc/models (XDG Base Directory spec); nothing
// when neither is set.
std::optional<std::filesystem::path> user_models_dir(const char* xdg_data_home, const char* home);

// The ONNX models a job runs, in pipeline order, for its frame processors; the swapper's role is
// swapper_model's (--face-swapper-model; "" = inswapper_128's).
std::vector<const ModelRole*> roles_for(const std::vector<std::string>& frame_processors,
                                        std::string_view swapper_model = "");

// The role of a --face-swapper-model's file, and of simswap's embedding converter. Throws
// std::invalid_argument for a name that is no swapper.
const ModelRole& swapper_role(std::string_view swapper_model);
const ModelRole& converter_role();

// The swapper a job runs, its file and (simswap) its converter's file.
struct SwapperChoice {
  const processors::SwapperModel* model = nullptr;
  JobModel file;
  std::optional<JobModel> converter;
};
// swapper_model named (--face-swapper-model): its files must be there (runtime::ModelError naming
// the missing one otherwise). "" or "auto": the first of processors::swapper_models() whose files are
// all present, inswapper_128 first; nothing when there is none (the classic swapper's turn). A file
// present but invalid is runtime::ModelError either way (find_role_file).
std::optional<SwapperChoice> choose_swapper(std::string_view swapper_model,
                                            const std::vector<std::filesystem::path>& search_path);

// Finds each role's file in the search path; throws runtime::ModelError naming the file, where
// it was looked for and what needs it, for the first one that is missing or invalid.
std::vector<JobModel> locate_models(const std::vector<const ModelRole*>& roles,
                                    const std::vector<std::filesystem::path>& search_path);

// SCRFD's input side the detector's figures were measured at (--face-detector-size's default).
inline constexpr int kDefaultDetectorSize = 640;

// The model files whose sessions run without a CPU arena (runtime::SessionPolicy::
// without_cpu_arena): the enhancers' (GFPGAN, GPEN). Their call's tensors are few and large
// (maps of 67 and 134 MB), which the arena kept reserved beside what was in use: one GFPGAN call
// peaked 204 MB lower without it, for the same outputs and no slower (README, Working memory).
std::set<std::string> files_without_cpu_arena();
bool runs_without_cpu_arena(const JobModel& model);

// What a model file will cost in RAM: its weights, and its activations as measured for the real
// architecture when the file is one of them (by name and size; GPEN, without a stand-in, scaled
// from GFPGAN's by output pixels), otherwise the largest figure known for the role's files
// or the size-based estimate, whichever is larger; without a CPU arena (runs_without_cpu_arena)
// the figure measured so where there is one. The detector's working memory grows with
// detector_size² above 640.
// optimized_copies: the job's CPU sessions load ONNX Runtime's optimized copy (the CPU alone, memory
// optimization on); where it is missing, prepare_bytes is the peak of the child that writes it
// before the job loads any model, and the build transient is that of the optimized copy.
memory::ModelFootprint footprint_of(const JobModel& model, int detector_size = kDefaultDetectorSize,
                                    bool optimized_copies = true);
// Multiply-adds of one call when the file is one of the real architectures (by name and size).
std::optional<double> known_gmacs(const JobModel& model);

// The job's planned peak: what the process holds now (measured), each model's resident size,
// the largest transient while a session is built, and the frames in flight.
memory::MemoryPlan plan_job(const std::vector<JobModel>& models, std::uint64_t process_rss_bytes,
                            std::uint64_t frame_bytes, int frames_in_flight);

}  // namespace dlc::pipeline
