#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "app/commands.hpp"
#include "app/exit_codes.hpp"
#include "app/job_setup.hpp"
#include "app/model_download.hpp"
#include "app/model_manifest.hpp"
#include "memory/system_memory.hpp"
#include "memory/units.hpp"
#include "pipeline/face_analyser.hpp"
#include "pipeline/job_models.hpp"
#include "runtime/model_session.hpp"
#include "runtime/onnx_file.hpp"
#include "runtime/sha256.hpp"

namespace dlc::app {
namespace {

std::string role_label(const pipeline::ModelRole& role) {
  return role.role == "enhancer" ? fmt::format("enhancer ({})", role.serves) : std::string(role.role);
}

// What actually stands in for a missing role on this machine.
std::string fallback_in_use(const pipeline::ModelRole& role, const std::vector<std::filesystem::path>& search_path) {
  if (role.role == "detector") {
    pipeline::AnalyserOptions options;
    options.search_path = search_path;
    const auto choice = pipeline::choose_detector(options);
    return choice.kind == "blazeface" ? fmt::format("BlazeFace ({})", choice.model.string())
                                      : "dlib's HOG detector (no BlazeFace model found either: run scripts/setup.sh)";
  }
  if (role.role == "landmarks") {
    std::error_code ec;
    const bool present = std::filesystem::exists(face::DlibLandmarks::kDefaultModel, ec);
    return present ? fmt::format("dlib's 68-point shape predictor ({})", face::DlibLandmarks::kDefaultModel)
                   : fmt::format("nothing: {} is missing too (Debian package libdlib-data)", face::DlibLandmarks::kDefaultModel);
  }
  return std::string(role.fallback);
}

Manifest manifest_of(const CliOptions& options) {
  return options.models_manifest ? read_manifest(*options.models_manifest) : builtin_manifest();
}

std::string entry_label(const ManifestEntry& e) {
  return e.variant.empty() ? e.file : fmt::format("{} ({})", e.file, e.variant);
}

// What the manifest knows of a file by its content (its sha256).
struct Identity {
  std::string sha256;
  std::string what;
  const KnownBadFile* bad = nullptr;
};

Identity identify(const Manifest& manifest, const std::filesystem::path& file, std::uint64_t size) {
  Identity id{runtime::file_sha256(file), {}, nullptr};
  id.bad = manifest.known_bad_file(id.sha256);
  if (id.bad != nullptr) {
    id.what = fmt::format("KNOWN BAD: {}; delete it and run `dlc models download {}`", id.bad->why, file.filename().string());
    return id;
  }
  const auto* known = manifest.by_content(id.sha256, size);
  if (known == nullptr) {
    const auto* named = manifest.by_file(file.filename().string());
    const bool published = named != nullptr && (named->sha256 || named->sha256_partial);
    id.what = published ? fmt::format("not the published {} (another export, or damaged)", named->file)
                        : std::string("a file the manifest has no hash of");
    return id;
  }
  const auto how = known->sha256 ? "the published sha256" : "the published digits of its sha256";
  id.what = fmt::format("is {} by content ({}){}", entry_label(*known), how,
                        known->file == file.filename() ? "" : ", under another name");
  return id;
}

// `dlc models list --json`, for dlc-gui's models panel: the same roles and files as the text list,
// without the sha256 of each file (reading every model takes seconds; `verify` does it).
int list_json(const CliOptions& options) {
  const auto search_path = models_search_path(options.job);
  nlohmann::json out;
  out["search_path"] = nlohmann::json::array();
  for (const auto& d : search_path) out["search_path"].push_back(d.string());
  out["roles"] = nlohmann::json::array();
  for (const auto* role : pipeline::all_roles()) {
    const auto present = pipeline::role_files_present(*role, search_path);
    nlohmann::json r;
    r["role"] = std::string(role->role);
    r["label"] = role_label(*role);
    r["serves"] = std::string(role->serves);
    r["file"] = std::string(role->files.front());
    r["present"] = !present.empty();
    r["download"] = pipeline::download_key(*role);
    r["adds"] = std::string(role->adds);
    if (present.empty()) {
      r["fallback"] = role->fallback.empty() ? nlohmann::json(nullptr) : nlohmann::json(fallback_in_use(*role, search_path));
    } else {
      const auto& used = present.front();  // the one a job uses (pipeline::find_role_file)
      r["path"] = used.path.string();
      r["bytes"] = used.file_bytes;
      r["problem"] = used.problem;
    }
    out["roles"].push_back(std::move(r));
  }
  fmt::print("{}\n", out.dump());
  return kExitOk;
}

int list_or_verify(const CliOptions& options) {
  const bool verify = options.models_action == "verify";
  const auto manifest = manifest_of(options);
  const auto search_path = models_search_path(options.job);
  std::vector<std::string> dirs;
  for (const auto& d : search_path) dirs.push_back(d.string());
  fmt::print("models looked up in: {}\n", fmt::join(dirs, ", "));

  bool any_invalid = false;
  for (const auto* role : pipeline::all_roles()) {
    const auto present = pipeline::role_files_present(*role, search_path);
    const auto label = role_label(*role);
    if (present.empty()) {
      fmt::print("{}: missing {}\n", label, role->files.front());
      if (role->fallback.empty()) {
        fmt::print("    no fallback: {} refuses to run without it\n", role->serves);
      } else {
        fmt::print("    in use instead: {}\n", fallback_in_use(*role, search_path));
      }
      fmt::print("    the file would add: {}\n", role->adds);
      fmt::print("    `{}` fetches it\n", pipeline::download_command(*role, search_path));
      continue;
    }
    // The first file present is the one a job uses (pipeline::find_role_file).
    for (std::size_t i = 0; i < present.size(); ++i) {
      const auto& file = present[i];
      const auto size = memory::format_size(file.file_bytes);
      if (file.problem.empty()) {
        if (i == 0) {
          fmt::print("{}: {} ({})\n", label, file.path.string(), size);
        } else {
          fmt::print("    also present, not used: {} ({})\n", file.path.string(), size);
        }
        const auto id = identify(manifest, file.path, file.file_bytes);
        if (verify) {
          fmt::print("    signature ok; sha256 {}\n    {}\n", id.sha256, id.what);
        } else {
          fmt::print("    sha256 {}: {}\n", id.sha256, id.what);
        }
        any_invalid = any_invalid || id.bad != nullptr;
        continue;
      }
      any_invalid = true;
      if (i == 0) {
        fmt::print("{}: INVALID {} ({}): {}\n", label, file.path.string(), size, file.problem);
        fmt::print("    run, live and bench stop at this file (exit 4): {}\n", pipeline::invalid_file_advice(*role));
      } else {
        fmt::print("    INVALID, not used: {} ({}): {}\n", file.path.string(), size, file.problem);
      }
      fmt::print("      expected signature of {}: {}\n", role->files.front(), pipeline::expected_signature(*role));
      if (const auto id = identify(manifest, file.path, file.file_bytes); id.bad != nullptr) fmt::print("    {}\n", id.what);
    }
  }
  return verify && any_invalid ? kExitModel : kExitOk;
}

int exit_code_of(InstallStatus status) {
  switch (status) {
    case InstallStatus::kInstalled:
    case InstallStatus::kPresent: return kExitOk;
    case InstallStatus::kNetwork:
    case InstallStatus::kHttp: return kExitDownload;
    case InstallStatus::kWrongContent: return kExitModel;
    case InstallStatus::kLocal: return kExitFailure;
  }
  return kExitFailure;
}

int download(const CliOptions& options) {
  if (options.models_names.empty() && !options.models_all) {
    std::fputs("dlc: models download: name the files, roles or sets to fetch (deep-live-cam for all Deep-Live-Cam "
               "uses), or --all\n",
               stderr);
    return kExitUsage;
  }
  const auto manifest = manifest_of(options);
  std::vector<const ManifestEntry*> entries;
  try {
    entries = entries_to_download(manifest, options.models_names, options.models_all);
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "dlc: models download: {}\n", e.what());
    return kExitUsage;
  }
  const auto search_path = models_search_path(options.job);
  InstallOptions install;
  install.dir = search_path.back();
  if (options.models_from) install.from = *options.models_from;
  install.mirror = options.models_mirror;
  install.terminal = isatty(STDOUT_FILENO) == 1;
  fmt::print("models go to: {}\n", install.dir.string());

  int code = kExitOk;
  bool unreachable = false;
  for (const auto* entry : entries) {
    fmt::print("{}: {}; licence: {}\n", entry_label(*entry),
               entry->size ? memory::format_size(*entry->size) : std::string("size not published"), entry->licence);
    const auto result = install_entry(manifest, *entry, install);
    if (result.status == InstallStatus::kPresent) {
      fmt::print("{}: already there, verified\n", entry->file);
    } else if (result.status == InstallStatus::kInstalled) {
      for (const auto& f : result.files) fmt::print("{}: verified, in place\n", f.string());
      if (!entry->sha256) {
        fmt::print("{}: no full sha256 is published for it; its sha256 is {} (pin it: checked by size and "
                   "signature only)\n",
                   entry->file, result.sha256);
      }
    } else {
      fmt::print(stderr, "dlc: {}: {}\n", entry->file, result.message);
      unreachable = unreachable || result.status == InstallStatus::kNetwork;
      if (code == kExitOk) code = exit_code_of(result.status);
    }
  }
  if (unreachable && !options.models_from) {
    std::string names;
    for (const auto& n : options.models_names) names += " " + n;
    if (options.models_all) names += " --all";
    fmt::print(stderr,
               "dlc: no connection to the model servers. Behind a proxy: set https_proxy=http://HOST:PORT (and "
               "no_proxy) and run again. Offline: fetch the files from the URLs above on a machine that can (or "
               "run dlc models download there), copy them into a folder DIR here, and run "
               "`dlc models download{} --from DIR`; or use a mirror: --mirror URL\n",
               names);
  }
  return code;
}

// `dlc models prepare FILE...`: each file's session built once on the CPU under dlc's settings,
// which writes its mapped copy and ONNX Runtime's optimized copy into .dlc-mapped/ beside it (what
// a first run's child does; ModelSession). Ends with this process's peak RSS, which the parent
// (prepare_in_child) reads. Without files: every model file present, each in a child of its own.
int prepare(const CliOptions& options) {
  const int threads = resolve_threads(options.job, std::getenv("OMP_NUM_THREADS"));
  if (options.models_names.empty()) {
    int code = kExitOk;
    for (const auto* role : pipeline::all_roles()) {
      for (const auto& file : pipeline::role_files_present(*role, models_search_path(options.job))) {
        if (!file.problem.empty() || !runtime::optimized_copy_missing(file.path)) continue;
        const auto peak = prepare_in_child(file.path, threads);
        if (peak) fmt::print("{}: optimized copy written (peak RSS {})\n", file.path.string(), memory::format_mb(*peak));
        if (!peak) code = kExitFailure;
      }
    }
    fmt::print("every model present has its optimized copy{}\n", code == kExitOk ? "" : ", except those above");
    return code;
  }
  auto policy = session_policy(options.job, threads);
  policy.memory_optimization = true;
  policy.providers = {"cpu"};
  for (const auto& name : options.models_names) {
    const std::filesystem::path model(name);
    runtime::scan_onnx_file(model);  // a file that is not a model: one line naming it, nothing written
    { const runtime::ModelSession session(model, policy); }
    if (!runtime::optimized_copy_available(model)) {
      fmt::print(stderr, "dlc: models prepare: {}: no optimized copy could be written beside it (see the warning "
                         "above); a run loads it as before\n", name);
      return kExitFailure;
    }
    fmt::print("{}: its optimized copy is in {}\n", name, runtime::optimized_copy_name(runtime::mapped_model_file(model)).string());
  }
  const auto self = memory::read_process_memory();
  fmt::print("peak RSS {} (VmHWM {} kB)\n", memory::format_mb(self ? self->peak_bytes : 0), self ? self->peak_bytes / 1024 : 0);
  return kExitOk;
}

}  // namespace

int models_command(const CliOptions& options) {
  try {
    if (options.models_action == "prepare") return prepare(options);
    if (options.models_action == "download") return download(options);
    if (options.models_json && options.models_action == "list") return list_json(options);
    return list_or_verify(options);
  } catch (const std::runtime_error& e) {
    fmt::print(stderr, "dlc: {}\n", e.what());
    return kExitFailure;
  }
}

}  // namespace dlc::app
