#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "app/model_manifest.hpp"

namespace dlc::app {

// A download's progress: on a terminal one line redrawn (bar, size, rate, ETA), otherwise a
// plain line at every tenth of the file.
class DownloadProgress {
 public:
  DownloadProgress(std::FILE* out, bool terminal) : out_(out), terminal_(terminal) {}
  void start(const std::string& name, std::uint64_t resumed_at);
  void update(std::uint64_t have, std::uint64_t total);  // bytes in the .part, and of the whole file (0: unknown)
  void finish();

 private:
  std::FILE* out_;
  bool terminal_;
  std::string name_;
  std::uint64_t resumed_at_ = 0;
  std::uint64_t have_ = 0;
  std::uint64_t total_ = 0;
  int tenths_printed_ = 0;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point started_{};
  std::chrono::steady_clock::time_point drawn_at_{};
};

enum class FetchFailure { kNone, kNetwork, kHttp, kLocal };

struct FetchResult {
  FetchFailure failure = FetchFailure::kNone;
  std::string message;  // what failed, for the user ("" when nothing did)
  bool retryable = false;  // a cut or stalled transfer: the .part holds what came, a new try resumes it
};

// Fetches url (http, https, file; the proxy variables http_proxy, https_proxy, all_proxy and
// no_proxy apply, as libcurl reads them) into part, resuming after the bytes part already has
// with a Range request; a server that ignores the Range starts the part afresh.
FetchResult fetch_url(const std::string& url, const std::filesystem::path& part, DownloadProgress& progress);

// Why the file is not the manifest's entry ("" when it is): size, sha256 (or its published digits),
// and for a model of one of dlc's roles, its signature. sha256 receives the file's sha256.
std::string content_problem(const ManifestEntry& entry, const std::filesystem::path& file, std::string& sha256);

struct InstallOptions {
  std::filesystem::path dir;                  // where the models go
  std::optional<std::filesystem::path> from;  // --from DIR: copy from there, no network
  std::optional<std::string> mirror;          // --mirror URL: URL/FILE instead of the manifest's URLs
  int attempts = 4;                           // tries of one URL while a transfer is cut (each resumes)
  std::FILE* out = stdout;
  bool terminal = false;
};

enum class InstallStatus { kInstalled, kPresent, kNetwork, kHttp, kWrongContent, kLocal };

struct InstallResult {
  InstallStatus status = InstallStatus::kInstalled;
  std::string message;                       // the failure, for the user
  std::vector<std::filesystem::path> files;  // what is now in dir
  std::string sha256;                        // of the downloaded file
};

// Brings one entry (a file, or an archive whose members are extracted) into options.dir: to
// NAME.part, verified, then renamed; nothing unverified ever has the final name. A network or
// HTTP failure leaves the .part for the next run to resume; a file that fails verification is
// removed.
InstallResult install_entry(const Manifest& manifest, const ManifestEntry& entry, const InstallOptions& options);

}  // namespace dlc::app
