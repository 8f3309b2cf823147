#include "pipeline/frame_chunk.hpp"

#include <fmt/format.h>

#include <fstream>
#include <stdexcept>
#include <system_error>

namespace dlc::pipeline {

SpilledChunk::SpilledChunk(std::filesystem::path folder, cv::Size frame_size, bool keep_files)
    : folder_(std::move(folder)), size_(frame_size), keep_(keep_files), buffer_(frame_size, CV_8UC3) {
  std::filesystem::create_directories(folder_);
}

SpilledChunk::~SpilledChunk() {
  if (keep_) return;
  std::error_code ec;
  std::filesystem::remove_all(folder_, ec);
}

std::filesystem::path SpilledChunk::file(std::size_t i) const {
  return folder_ / fmt::format("{:08}.bgr", first_ + static_cast<std::int64_t>(i));
}

void SpilledChunk::write(std::size_t i, const cv::Mat& frame) const {
  if (frame.size() != size_ || frame.type() != CV_8UC3 || !frame.isContinuous()) {
    throw std::invalid_argument("SpilledChunk: a frame of another size or type");
  }
  std::ofstream out(file(i), std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(frame.data), static_cast<std::streamsize>(frame.total() * frame.elemSize()));
  if (!out) throw std::runtime_error(fmt::format("cannot write the spilled frame '{}' (disk full?)", file(i).string()));
}

void SpilledChunk::read(std::size_t i) {
  std::ifstream in(file(i), std::ios::binary);
  in.read(reinterpret_cast<char*>(buffer_.data), static_cast<std::streamsize>(buffer_.total() * buffer_.elemSize()));
  if (!in) throw std::runtime_error(fmt::format("cannot read the spilled frame '{}'", file(i).string()));
}

void SpilledChunk::reset(std::int64_t first_index) {
  first_ = first_index;
  count_ = 0;
}

void SpilledChunk::append(const cv::Mat& frame) {
  write(count_, frame);
  ++count_;
}

cv::Mat& SpilledChunk::open(std::size_t i) {
  read(i);
  return buffer_;
}

void SpilledChunk::close(std::size_t i, bool changed) {
  if (changed) write(i, buffer_);
}

const cv::Mat& SpilledChunk::take(std::size_t i) {
  read(i);
  if (!keep_) {
    std::error_code ec;
    std::filesystem::remove(file(i), ec);
  }
  return buffer_;
}

}  // namespace dlc::pipeline
