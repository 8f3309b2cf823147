#pragma once

#include <onnxruntime_cxx_api.h>

#include <cstdint>
#include <span>
#include <vector>

namespace dlc::runtime {

// Plain host memory, for tensors over buffers the caller owns.
inline const Ort::MemoryInfo& host_memory_info() {
  static const auto info = Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeDefault);
  return info;
}

// A tensor over caller-owned memory: ONNX Runtime reads or writes it in place, nothing is copied,
// so per-worker buffers sized once serve every frame.
template <typename T>
Ort::Value tensor_view(std::vector<T>& data, std::span<const std::int64_t> shape) {
  return Ort::Value::CreateTensor<T>(host_memory_info(), data.data(), data.size(), shape.data(), shape.size());
}

}  // namespace dlc::runtime
