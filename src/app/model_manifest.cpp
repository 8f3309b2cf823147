#include "app/model_manifest.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace dlc::app {

// The text of models/manifest.json, compiled in (src/CMakeLists.txt generates it).
extern const char* const kBuiltinManifestJson;

namespace {

using Json = nlohmann::json;

std::string string_or(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it == j.end() || it->is_null() ? std::string() : it->get<std::string>();
}

std::vector<std::string> strings_of(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it == j.end() || it->is_null() ? std::vector<std::string>{} : it->get<std::vector<std::string>>();
}

bool is_hex(std::string_view text) {
  return std::ranges::all_of(text, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

ManifestEntry entry_of(const Json& j) {
  ManifestEntry e;
  e.file = j.at("file").get<std::string>();
  e.role = j.at("role").get<std::string>();
  e.names = strings_of(j, "names");
  e.role_default = j.value("role_default", false);
  e.variant = string_or(j, "variant");
  e.urls = strings_of(j, "urls");
  if (const auto it = j.find("size"); it != j.end() && !it->is_null()) e.size = it->get<std::uint64_t>();
  if (const auto sha = string_or(j, "sha256"); !sha.empty()) {
    if (sha.size() != 64 || !is_hex(sha)) throw std::invalid_argument(fmt::format("{}: sha256 is not 64 lowercase hex digits", e.file));
    e.sha256 = sha;
  }
  if (const auto partial = string_or(j, "sha256_partial"); !partial.empty()) {
    const auto dots = partial.find("...");
    if (dots == std::string::npos || !is_hex(partial.substr(0, dots)) || !is_hex(partial.substr(dots + 3))) {
      throw std::invalid_argument(fmt::format("{}: sha256_partial is not 'hexprefix...hexsuffix'", e.file));
    }
    e.sha256_partial = partial;
  }
  e.hash_source = string_or(j, "hash_source");
  e.licence = string_or(j, "licence");
  e.replaces = string_or(j, "replaces");
  e.members = strings_of(j, "members");
  e.in_archive = string_or(j, "in_archive");
  e.needs = strings_of(j, "needs");
  return e;
}

}  // namespace

bool matches_partial(std::string_view sha256, std::string_view partial) {
  const auto dots = partial.find("...");
  if (dots == std::string_view::npos) return false;
  const auto prefix = partial.substr(0, dots);
  const auto suffix = partial.substr(dots + 3);
  return sha256.size() == 64 && sha256.starts_with(prefix) && sha256.ends_with(suffix);
}

const ManifestEntry* Manifest::by_file(std::string_view file) const {
  const auto it = std::ranges::find(files, file, &ManifestEntry::file);
  return it == files.end() ? nullptr : &*it;
}

const ManifestEntry* Manifest::by_content(std::string_view sha256, std::uint64_t size) const {
  for (const auto& e : files) {
    if (e.sha256 && *e.sha256 == sha256) return &e;
  }
  for (const auto& e : files) {
    if (e.sha256_partial && matches_partial(sha256, *e.sha256_partial) && (!e.size || *e.size == size)) return &e;
  }
  return nullptr;
}

const KnownBadFile* Manifest::known_bad_file(std::string_view sha256) const {
  const auto it = std::ranges::find(known_bad, sha256, &KnownBadFile::sha256);
  return it == known_bad.end() ? nullptr : &*it;
}

Manifest parse_manifest(std::string_view json_text, const std::filesystem::path& source) {
  Manifest m;
  m.source = source;
  try {
    const auto j = Json::parse(json_text);
    if (j.value("format", 0) != 1) throw std::invalid_argument("'format' is not 1");
    for (const auto& f : j.at("files")) m.files.push_back(entry_of(f));
    if (const auto it = j.find("sets"); it != j.end()) {
      for (const auto& [name, list] : it->items()) m.sets[name] = list.get<std::vector<std::string>>();
    }
    if (const auto it = j.find("known_bad"); it != j.end()) {
      for (const auto& b : *it) m.known_bad.push_back({b.at("sha256").get<std::string>(), string_or(b, "why")});
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("{}: not a valid model manifest: {}", source.string(), e.what()));
  }
  for (const auto& e : m.files) {
    if (!e.in_archive.empty() && m.by_file(e.in_archive) == nullptr) {
      throw std::runtime_error(fmt::format("{}: {} comes in {}, which the manifest does not list", source.string(), e.file,
                                           e.in_archive));
    }
  }
  return m;
}

Manifest read_manifest(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot read the model manifest", file.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_manifest(text.str(), file);
}

const Manifest& builtin_manifest() {
  static const Manifest manifest = parse_manifest(kBuiltinManifestJson, "built-in models/manifest.json");
  return manifest;
}

std::vector<const ManifestEntry*> entries_to_download(const Manifest& manifest, const std::vector<std::string>& names,
                                                      bool all) {
  std::vector<const ManifestEntry*> out;
  const auto add = [&](const ManifestEntry& e) {
    const auto* target = e.in_archive.empty() ? &e : manifest.by_file(e.in_archive);
    if (std::ranges::find(out, target) == out.end()) out.push_back(target);
  };
  const auto add_with_needs = [&](const ManifestEntry& e) {
    add(e);
    for (const auto& need : e.needs) {
      if (const auto* n = manifest.by_file(need)) add(*n);
    }
  };
  if (all) {
    for (const auto& e : manifest.files) {
      if (!e.urls.empty()) add(e);
    }
    return out;
  }
  for (const auto& name : names) {
    if (const auto set = manifest.sets.find(name); set != manifest.sets.end()) {
      for (const auto& file : set->second) {
        if (const auto* e = manifest.by_file(file)) add_with_needs(*e);
      }
      continue;
    }
    const ManifestEntry* found = manifest.by_file(name);
    for (const auto& e : manifest.files) {
      if (found != nullptr) break;
      if (std::ranges::find(e.names, name) != e.names.end() || (e.role == name && e.role_default)) found = &e;
    }
    if (found == nullptr) {
      std::vector<std::string> known;
      for (const auto& [set, _] : manifest.sets) known.push_back(set);
      for (const auto& e : manifest.files) {
        if (e.role_default && std::ranges::find(known, e.role) == known.end()) known.push_back(e.role);
      }
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      throw std::invalid_argument(fmt::format("'{}' is no model file, role or set of {} (roles and sets: {}; "
                                              "file names: dlc models list)",
                                              name, manifest.source.string(), list));
    }
    add_with_needs(*found);
  }
  return out;
}

}  // namespace dlc::app
