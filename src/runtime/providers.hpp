#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dlc::runtime {

// Execution providers are named like Deep-Live-Cam names them: ONNX Runtime's provider name
// without "ExecutionProvider", lower-cased ("CUDAExecutionProvider" -> "cuda").
std::string short_provider_name(std::string_view ort_name);

// The providers compiled into the loaded ONNX Runtime, as short names, in ORT's priority order.
// Compiled in does not mean usable: CUDA also needs its provider library and a device.
std::vector<std::string> compiled_providers();

// ORT's full name for a short name, if the loaded ONNX Runtime has that provider.
std::optional<std::string> ort_provider_name(std::string_view short_name);

// The folder of the loaded libonnxruntime; ORT loads provider libraries from there.
std::string onnxruntime_library_dir();

// Whether ORT's CUDA provider library sits next to the loaded ONNX Runtime.
bool cuda_provider_library_present();

}  // namespace dlc::runtime
