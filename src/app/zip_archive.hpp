#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace dlc::app {

// Extracts the members of a zip archive whose file names (the last path component) are in
// `members` into `dir`: each is inflated in 1 MiB pieces to NAME.part, its CRC-32 checked, then
// renamed to NAME. Stored and deflated members (methods 0 and 8), no zip64. Returns the files
// written, in `members` order. Throws std::runtime_error naming the archive and what is wrong
// (a member missing, a damaged entry); a member that fails leaves no file under its name.
std::vector<std::filesystem::path> extract_zip_members(const std::filesystem::path& zip,
                                                       const std::vector<std::string>& members,
                                                       const std::filesystem::path& dir);

}  // namespace dlc::app
