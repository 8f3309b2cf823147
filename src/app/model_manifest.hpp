#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dlc::app {

// One file of models/manifest.json: what it is for, where it comes from, how to know it.
struct ManifestEntry {
  std::string file;                       // the name dlc looks it up by
  std::string role;                       // pipeline role key: "swapper", "detector", "face_enhancer", ... ("bundle": an archive)
  std::vector<std::string> names;         // other names `dlc models download` accepts for it
  bool role_default = false;              // what `dlc models download ROLE` fetches
  std::string variant;                    // "fp32", "fp16 ...", or ""
  std::vector<std::string> urls;          // tried in order
  std::optional<std::uint64_t> size;      // published size in bytes
  std::optional<std::string> sha256;      // published sha256, lowercase hex
  std::optional<std::string> sha256_partial;  // "prefix...suffix" where only that much is published
  std::string hash_source;
  std::string licence;
  std::string replaces;
  std::vector<std::string> members;       // an archive's files dlc extracts
  std::string in_archive;                 // the archive a member comes in
  std::vector<std::string> needs;         // files it cannot run without
};

struct KnownBadFile {
  std::string sha256;
  std::string why;
};

struct Manifest {
  std::filesystem::path source;  // the file it was read from ("built-in" for the compiled copy)
  std::vector<ManifestEntry> files;
  std::map<std::string, std::vector<std::string>> sets;
  std::vector<KnownBadFile> known_bad;

  const ManifestEntry* by_file(std::string_view file) const;
  // What a model file is, from its sha256 (and size): the entry whose published sha256 it has,
  // else one whose published first and last digits it has (and size, where published).
  const ManifestEntry* by_content(std::string_view sha256, std::uint64_t size) const;
  const KnownBadFile* known_bad_file(std::string_view sha256) const;
};

// models/manifest.json as compiled into dlc.
const Manifest& builtin_manifest();
// Parses a manifest; throws std::runtime_error naming the source and the problem.
Manifest parse_manifest(std::string_view json_text, const std::filesystem::path& source);
Manifest read_manifest(const std::filesystem::path& file);

// Whether a sha256 has the published digits of the entry ("" reasons when it does).
bool matches_partial(std::string_view sha256, std::string_view partial);

// The downloadable entries (files with URLs, archives) that bring what `names` ask for: a file
// name, one of its names, a role (its default file), a set ("deep-live-cam"); every file with
// `all`. A member brings its archive. Files a swapper needs come with it. Throws
// std::invalid_argument naming the first name that is none of these.
std::vector<const ManifestEntry*> entries_to_download(const Manifest& manifest, const std::vector<std::string>& names,
                                                      bool all);

}  // namespace dlc::app
