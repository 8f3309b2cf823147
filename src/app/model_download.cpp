#include "app/model_download.hpp"

#include <curl/curl.h>
#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <tuple>

#include "app/zip_archive.hpp"
#include "memory/units.hpp"
#include "pipeline/job_models.hpp"
#include "runtime/sha256.hpp"

namespace dlc::app {
namespace {

constexpr auto kRedrawEvery = std::chrono::milliseconds(200);
constexpr long kConnectTimeoutS = 20;
constexpr long kStallSeconds = 60;  // a transfer under 1 byte/s this long counts as cut

std::string duration_text(double seconds) {
  const auto s = static_cast<long>(std::lround(seconds));
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60) : fmt::format("{}:{:02}", s / 60, s % 60);
}

std::filesystem::path part_of(const std::filesystem::path& file) {
  auto part = file;
  part += ".part";
  return part;
}

void remove_quietly(const std::filesystem::path& file) {
  std::error_code ec;
  std::filesystem::remove(file, ec);
}

std::uint64_t size_or_zero(const std::filesystem::path& file) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  return ec ? 0 : size;
}

// libcurl is loaded by the first download, not with every dlc process: linked, it and the ~30
// libraries it pulls in cost every process 4.6 MB of RSS at start (README "Start-up cost").
struct CurlLibrary {
  decltype(&::curl_global_init) global_init = nullptr;
  decltype(&::curl_global_cleanup) global_cleanup = nullptr;
  decltype(&::curl_easy_init) easy_init = nullptr;
  decltype(&::curl_easy_setopt) easy_setopt = nullptr;
  decltype(&::curl_easy_perform) easy_perform = nullptr;
  decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&::curl_easy_strerror) easy_strerror = nullptr;
  std::string error;  // why it cannot be used; empty when every function is there
};

template <typename F>
void bind(void* handle, const char* name, F& function, std::string& error) {
  function = reinterpret_cast<F>(dlsym(handle, name));
  if (function == nullptr && error.empty()) error = std::string("it has no ") + name;
}

// Never closed: its handle lives as long as the process.
const CurlLibrary& curl_library() {
  static const CurlLibrary library = [] {
    CurlLibrary l;
    void* handle = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = dlerror();
      l.error = fmt::format("libcurl.so.4 cannot be loaded ({}): install libcurl4", why != nullptr ? why : "dlopen failed");
      return l;
    }
    bind(handle, "curl_global_init", l.global_init, l.error);
    bind(handle, "curl_global_cleanup", l.global_cleanup, l.error);
    bind(handle, "curl_easy_init", l.easy_init, l.error);
    bind(handle, "curl_easy_setopt", l.easy_setopt, l.error);
    bind(handle, "curl_easy_perform", l.easy_perform, l.error);
    bind(handle, "curl_easy_getinfo", l.easy_getinfo, l.error);
    bind(handle, "curl_easy_cleanup", l.easy_cleanup, l.error);
    bind(handle, "curl_easy_strerror", l.easy_strerror, l.error);
    if (!l.error.empty()) l.error = "libcurl.so.4 cannot be used: " + l.error;
    return l;
  }();
  return library;
}

struct CurlGlobal {
  CurlGlobal() { curl_library().global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_library().global_cleanup(); }
};

struct CurlFree {
  void operator()(CURL* c) const { curl_library().easy_cleanup(c); }
};
struct FileClose {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

struct Transfer {
  std::filesystem::path part;
  std::uint64_t offset = 0;  // bytes the part had when this transfer began
  std::unique_ptr<std::FILE, FileClose> file;
  bool write_failed = false;
  DownloadProgress* progress = nullptr;
};

std::size_t on_data(char* data, std::size_t size, std::size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const auto bytes = size * count;
  if (!t.file) {
    // Opened on the first byte of the body, so an HTTP error never touches the part.
    t.file.reset(std::fopen(t.part.c_str(), t.offset > 0 ? "ab" : "wb"));
    if (!t.file) {
      t.write_failed = true;
      return 0;
    }
  }
  if (std::fwrite(data, 1, bytes, t.file.get()) != bytes) {
    t.write_failed = true;
    return 0;
  }
  return bytes;
}

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto& t = *static_cast<Transfer*>(user);
  const auto have = t.offset + static_cast<std::uint64_t>(now);
  t.progress->update(have, total > 0 ? t.offset + static_cast<std::uint64_t>(total) : 0);
  return 0;
}

std::string host_of(const std::string& url) {
  const auto start = url.find("://");
  if (start == std::string::npos) return url;
  const auto end = url.find_first_of("/:", start + 3);
  return url.substr(start + 3, end == std::string::npos ? std::string::npos : end - start - 3);
}

// One transfer attempt. Returns the libcurl code and the HTTP status.
std::pair<CURLcode, long> transfer_once(const std::string& url, Transfer& t, std::string& error_text) {
  if (const auto& library = curl_library(); !library.error.empty()) {
    error_text = library.error;
    return {CURLE_FAILED_INIT, 0};
  }
  static CurlGlobal global;
  std::unique_ptr<CURL, CurlFree> curl(curl_library().easy_init());
  if (!curl) {
    error_text = "libcurl could not start";
    return {CURLE_FAILED_INIT, 0};
  }
  char errors[CURL_ERROR_SIZE] = {};
  CURL* c = curl.get();
  curl_library().easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_library().easy_setopt(c, CURLOPT_ERRORBUFFER, errors);
  curl_library().easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_library().easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_library().easy_setopt(c, CURLOPT_FAILONERROR, 1L);
  curl_library().easy_setopt(c, CURLOPT_USERAGENT, "dlc-models-download");
  curl_library().easy_setopt(c, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutS);
  curl_library().easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_library().easy_setopt(c, CURLOPT_LOW_SPEED_TIME, kStallSeconds);
  curl_library().easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_library().easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_library().easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_library().easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_library().easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  if (t.offset > 0) curl_library().easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(t.offset));
  const auto code = curl_library().easy_perform(c);
  long status = 0;
  curl_library().easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  error_text = errors[0] != '\0' ? errors : curl_library().easy_strerror(code);
  t.file.reset();  // flushed and closed before anyone looks at the part
  return {code, status};
}

bool network_unreachable(CURLcode code) {
  return code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY || code == CURLE_COULDNT_CONNECT ||
         code == CURLE_OPERATION_TIMEDOUT;
}

}  // namespace

void DownloadProgress::start(const std::string& name, std::uint64_t resumed_at) {
  name_ = name;
  resumed_at_ = resumed_at;
  have_ = resumed_at;
  total_ = 0;
  tenths_printed_ = 0;
  drawn_ = false;
  started_ = std::chrono::steady_clock::now();
  drawn_at_ = {};
  if (resumed_at > 0) fmt::print(out_, "{}: resuming at {}\n", name_, memory::format_size(resumed_at));
  std::fflush(out_);
}

void DownloadProgress::update(std::uint64_t have, std::uint64_t total) {
  have_ = have;
  if (total > 0) total_ = total;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - started_).count();
  const double rate = elapsed > 0 ? static_cast<double>(have_ - resumed_at_) / elapsed : 0;
  const auto rate_text = fmt::format("{}/s", memory::format_size(static_cast<std::uint64_t>(rate)));
  const bool known = total_ > 0;
  const double fraction = known ? std::min(1.0, static_cast<double>(have_) / static_cast<double>(total_)) : 0;
  const auto eta = known && rate > 0 ? duration_text(static_cast<double>(total_ - std::min(have_, total_)) / rate) : "?";
  if (terminal_) {
    if (drawn_ && now - drawn_at_ < kRedrawEvery) return;
    drawn_ = true;
    drawn_at_ = now;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    const auto bar = std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(kWidth - filled), '.');
    fmt::print(out_, "\r{} [{}] {:3.0f}% {} of {}  {}  ETA {}\033[K", name_, bar, fraction * 100,
               memory::format_size(have_), known ? memory::format_size(total_) : "?", rate_text, eta);
    std::fflush(out_);
    return;
  }
  if (!known) return;
  const int tenths = static_cast<int>(fraction * 10);
  if (tenths <= tenths_printed_ || tenths >= 10) return;
  tenths_printed_ = tenths;
  fmt::print(out_, "{}: {}% ({} of {}, {}, ETA {})\n", name_, tenths * 10, memory::format_size(have_),
             memory::format_size(total_), rate_text, eta);
  std::fflush(out_);
}

void DownloadProgress::finish() {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  const auto fetched = have_ - std::min(have_, resumed_at_);
  if (terminal_ && drawn_) fmt::print(out_, "\r\033[K");
  fmt::print(out_, "{}: {} fetched in {:.1f} s\n", name_, memory::format_size(fetched), elapsed);
  std::fflush(out_);
}

FetchResult fetch_url(const std::string& url, const std::filesystem::path& part, DownloadProgress& progress) {
  Transfer t;
  t.part = part;
  t.offset = size_or_zero(part);
  t.progress = &progress;
  progress.start(part.filename().string(), t.offset);
  std::string error_text;
  auto [code, status] = transfer_once(url, t, error_text);
  if (code == CURLE_RANGE_ERROR || (code == CURLE_HTTP_RETURNED_ERROR && status == 416 && t.offset == 0)) {
    // The server cannot resume this part: start it afresh.
    remove_quietly(part);
    t.offset = 0;
    progress.start(part.filename().string(), 0);
    std::tie(code, status) = transfer_once(url, t, error_text);
  }
  if (code == CURLE_HTTP_RETURNED_ERROR && status == 416) {
    // Nothing past the part's end: it may be complete already; verification decides.
    return {};
  }
  if (code == CURLE_OK) {
    progress.finish();
    return {};
  }
  FetchResult r;
  if (t.write_failed) {
    r.failure = FetchFailure::kLocal;
    r.message = fmt::format("{}: cannot be written ({})", part.string(), std::error_code(errno, std::generic_category()).message());
    return r;
  }
  if (code == CURLE_HTTP_RETURNED_ERROR) {
    r.failure = FetchFailure::kHttp;
    r.message = fmt::format("{}: the server answered HTTP {}", url, status);
    return r;
  }
  r.failure = FetchFailure::kNetwork;
  r.retryable = !network_unreachable(code);
  const auto have = size_or_zero(part);
  if (network_unreachable(code)) {
    r.message = fmt::format("{}: cannot reach {} ({})", url, host_of(url), error_text);
  } else {
    r.message = fmt::format("{}: the transfer broke off at {} ({})", url, memory::format_size(have), error_text);
  }
  return r;
}

std::string content_problem(const ManifestEntry& entry, const std::filesystem::path& file, std::string& sha256) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) return "cannot be read";
  if (entry.size && size != *entry.size) {
    sha256.clear();
    return fmt::format("is {} bytes, the manifest says {}", size, *entry.size);
  }
  sha256 = runtime::file_sha256(file);
  if (entry.sha256 && sha256 != *entry.sha256) {
    return fmt::format("has sha256 {}, the manifest says {}", sha256, *entry.sha256);
  }
  if (!entry.sha256 && entry.sha256_partial && !matches_partial(sha256, *entry.sha256_partial)) {
    return fmt::format("has sha256 {}, the published digits are {}", sha256, *entry.sha256_partial);
  }
  // A model of one of dlc's roles must have the role's signature, whatever the manifest knows. The
  // role is found by the file's name: several roles share a manifest role (the swappers).
  for (const auto* role : pipeline::all_roles()) {
    if (std::ranges::find(role->files, entry.file) == role->files.end()) continue;
    if (auto problem = pipeline::role_file_problem(*role, file); !problem.empty()) return problem;
  }
  return {};
}

namespace {

std::vector<std::string> urls_for(const ManifestEntry& entry, const InstallOptions& options) {
  if (!options.mirror) return entry.urls;
  auto base = *options.mirror;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return {base + "/" + entry.file};
}

// The members of an archive already in dir with their role's signature and published digits.
bool members_present(const Manifest& manifest, const ManifestEntry& archive, const std::filesystem::path& dir) {
  for (const auto& name : archive.members) {
    const auto* member = manifest.by_file(name);
    std::string sha;
    std::error_code ec;
    if (member == nullptr || !std::filesystem::is_regular_file(dir / name, ec) || !content_problem(*member, dir / name, sha).empty()) {
      return false;
    }
  }
  return true;
}

// Brings entry.file's bytes into part: copied from --from DIR, or fetched (resuming) from its URLs.
InstallResult fetch_part(const ManifestEntry& entry, const std::filesystem::path& part, const InstallOptions& options) {
  InstallResult r;
  if (options.from) {
    const auto source = *options.from / entry.file;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(source, ec)) {
      return {InstallStatus::kLocal, fmt::format("{}: not found (--from {})", source.string(), options.from->string()), {}, {}};
    }
    std::filesystem::copy_file(source, part, std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) return {InstallStatus::kLocal, fmt::format("{}: cannot copy to {}: {}", source.string(), part.string(), ec.message()), {}, {}};
    fmt::print(options.out, "{}: copied from {}\n", entry.file, source.string());
    return r;
  }
  const auto urls = urls_for(entry, options);
  if (urls.empty()) return {InstallStatus::kLocal, fmt::format("{}: the manifest gives no URL for it", entry.file), {}, {}};
  DownloadProgress progress(options.out, options.terminal);
  std::vector<std::string> failures;
  bool http_only = true;
  for (const auto& url : urls) {
    fmt::print(options.out, "{}: from {}\n", entry.file, url);
    FetchResult fetched;
    for (int attempt = 1; attempt <= options.attempts; ++attempt) {
      fetched = fetch_url(url, part, progress);
      if (fetched.failure == FetchFailure::kNone || !fetched.retryable) break;
      if (attempt < options.attempts) fmt::print(options.out, "{}; trying again ({} of {})\n", fetched.message, attempt + 1, options.attempts);
    }
    if (fetched.failure == FetchFailure::kNone) return r;
    if (fetched.failure == FetchFailure::kLocal) return {InstallStatus::kLocal, fetched.message, {}, {}};
    http_only = http_only && fetched.failure == FetchFailure::kHttp;
    failures.push_back(fetched.message);
  }
  std::string text;
  for (const auto& f : failures) text += (text.empty() ? "" : "; ") + f;
  return {http_only ? InstallStatus::kHttp : InstallStatus::kNetwork, text, {}, {}};
}

}  // namespace

InstallResult install_entry(const Manifest& manifest, const ManifestEntry& entry, const InstallOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return {InstallStatus::kLocal, fmt::format("{}: cannot create the folder: {}", options.dir.string(), ec.message()), {}, {}};
  const bool archive = !entry.members.empty();
  const auto target = options.dir / entry.file;
  const auto part = part_of(target);

  InstallResult r;
  if (archive) {
    if (members_present(manifest, entry, options.dir)) {
      for (const auto& m : entry.members) r.files.push_back(options.dir / m);
      r.status = InstallStatus::kPresent;
      return r;
    }
  } else if (std::filesystem::is_regular_file(target, ec)) {
    std::string sha;
    if (const auto problem = content_problem(entry, target, sha); problem.empty()) {
      r.files = {target};
      r.sha256 = sha;
      r.status = InstallStatus::kPresent;
      return r;
    } else {
      fmt::print(options.out, "{}: {}; it is replaced once a verified copy is here\n", target.string(), problem);
    }
  }

  if (auto fetched = fetch_part(entry, part, options); fetched.status != InstallStatus::kInstalled) {
    if (std::filesystem::exists(part, ec)) {
      fetched.message += fmt::format("; {} ({}) is kept: the same command resumes it", part.string(),
                                     memory::format_size(size_or_zero(part)));
    }
    return fetched;
  }
  std::string sha;
  if (auto problem = content_problem(entry, part, sha); !problem.empty()) {
    remove_quietly(part);
    return {InstallStatus::kWrongContent,
            fmt::format("{}: {}; not the published file, removed (nothing is kept under {})", part.string(), problem,
                        entry.file),
            {}, sha};
  }
  r.sha256 = sha;
  if (!archive) {
    std::filesystem::rename(part, target, ec);
    if (ec) return {InstallStatus::kLocal, fmt::format("{}: cannot rename to {}: {}", part.string(), target.string(), ec.message()), {}, sha};
    r.files = {target};
    return r;
  }
  // The archive verified: only the members dlc uses are kept.
  try {
    r.files = extract_zip_members(part, entry.members, options.dir);
  } catch (const std::runtime_error& e) {
    remove_quietly(part);
    return {InstallStatus::kWrongContent, e.what(), {}, sha};
  }
  remove_quietly(part);
  for (const auto& file : r.files) {
    const auto* member = manifest.by_file(file.filename().string());
    std::string member_sha;
    const auto problem = member == nullptr ? std::string() : content_problem(*member, file, member_sha);
    // The archive's sha256 vouches for the bytes; a member off its published digits is worth a word.
    if (!problem.empty()) fmt::print(options.out, "warning: {}: {}\n", file.string(), problem);
  }
  return r;
}

}  // namespace dlc::app
