// libFuzzer target for the model-file readers that see untrusted bytes before ONNX Runtime
// does: the protobuf scan (signatures, initializer offsets) and inswapper's emap reader. Any
// input must end in a result or a runtime::ModelError, never a crash, hang or huge allocation.
//   cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DDLC_FUZZ=ON
//   cmake --build build-fuzz --target dlc_onnx_file_fuzzer
//   build-fuzz/fuzz/dlc_onnx_file_fuzzer -max_total_time=60 -timeout=5 -rss_limit_mb=2048 build-fuzz/fuzz-corpus
// -timeout=5 turns an input that runs over 5 s into a reported hang (libFuzzer's default waits
// 20 minutes); fuzz/corpus/ holds the inputs that once hung or crashed the reader.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "processors/inswapper.hpp"
#include "runtime/onnx_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A memory-backed file: the readers work on paths, as they do on real models.
  const int fd = memfd_create("model.onnx", 0);
  if (fd < 0) return 0;
  if (write(fd, data, size) == static_cast<ssize_t>(size)) {
    const std::string path = "/proc/self/fd/" + std::to_string(fd);
    try {
      dlc::runtime::scan_onnx_file(path);
    } catch (const dlc::runtime::ModelError&) {
    }
    try {
      dlc::processors::read_emap(path);
    } catch (const dlc::runtime::ModelError&) {
    }
  }
  close(fd);
  return 0;
}
