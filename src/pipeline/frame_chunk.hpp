#pragma once

#include <opencv2/core/mat.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace dlc::pipeline {

// The consecutive frames the stage strategy takes through the job one stage at a time: held in
// memory, or spilled to a folder when the budget cannot hold them.
class FrameChunk {
 public:
  virtual ~FrameChunk() = default;
  virtual std::size_t size() const = 0;
  // Frame i, to read or change until close(i); one frame is open at a time.
  virtual cv::Mat& open(std::size_t i) = 0;
  // changed: it was written to and must be kept that way.
  virtual void close(std::size_t i, bool changed) = 0;
};

// Frames in memory (a span of the caller's).
class MemoryChunk : public FrameChunk {
 public:
  explicit MemoryChunk(std::span<cv::Mat> frames) : frames_(frames) {}
  std::size_t size() const override { return frames_.size(); }
  cv::Mat& open(std::size_t i) override { return frames_[i]; }
  void close(std::size_t, bool) override {}

 private:
  std::span<cv::Mat> frames_;
};

// Frames as raw BGR files (lossless, no encoding cost) in a folder, one per frame index, with one
// frame's buffer in memory. The folder is made on construction and removed with its files on
// destruction unless kept (--keep-frames).
class SpilledChunk : public FrameChunk {
 public:
  SpilledChunk(std::filesystem::path folder, cv::Size frame_size, bool keep_files);
  ~SpilledChunk() override;
  SpilledChunk(const SpilledChunk&) = delete;
  SpilledChunk& operator=(const SpilledChunk&) = delete;

  // Starts a new chunk at frame first_index (the previous chunk's files are gone by then unless
  // kept): frames are added in order with append().
  void reset(std::int64_t first_index);
  void append(const cv::Mat& frame);
  std::int64_t first_index() const { return first_; }
  std::size_t size() const override { return count_; }
  cv::Mat& open(std::size_t i) override;
  void close(std::size_t i, bool changed) override;
  // Reads frame i for the encoder and removes its file (unless kept).
  const cv::Mat& take(std::size_t i);
  const std::filesystem::path& folder() const { return folder_; }

 private:
  std::filesystem::path file(std::size_t i) const;
  void write(std::size_t i, const cv::Mat& frame) const;
  void read(std::size_t i);

  std::filesystem::path folder_;
  cv::Size size_;
  bool keep_;
  std::int64_t first_ = 0;
  std::size_t count_ = 0;
  cv::Mat buffer_;
};

}  // namespace dlc::pipeline
