#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/exit_codes.hpp"
#include "runtime/ort_runtime.hpp"
#include "runtime/providers.hpp"

namespace dlc::app {

int version_command() {
  fmt::print("dlc {}\n", DLC_VERSION);
  fmt::print("ONNX Runtime {} ({})\n", runtime::OrtRuntime::version(), runtime::onnxruntime_library_dir());
  fmt::print("execution providers compiled in: {}\n", fmt::join(runtime::compiled_providers(), ", "));
  return kExitOk;
}

}  // namespace dlc::app
