#include "media/subprocess.hpp"

#include <array>
#include <cstddef>
#include <span>

#include "media/child_process.hpp"

namespace dlc::media {

ProcessResult run_process(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env) {
  ProcessResult result;
  try {
    ChildProcess child(argv, ChildPipes{.from_stdout = true, .stderr_bytes = kWholeStderr}, extra_env);
    std::array<std::byte, 4096> buffer{};
    while (const auto n = child.read_some(buffer)) {
      result.out.append(reinterpret_cast<const char*>(buffer.data()), n);
    }
    result.exit_code = child.wait();
    result.err = child.stderr_tail();
  } catch (const SpawnError& e) {
    return ProcessResult{127, {}, e.what()};
  }
  return result;
}

}  // namespace dlc::media
