#pragma once

#include <opencv2/core/mat.hpp>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

namespace dlc::pipeline {

// The frames of a streaming job: a fixed set of slots handed from the decoder to the workers and
// on to the writer in frame order. It is all the frame memory a video job has, whatever the
// video's length: threads + 2 slots by default (one decoding, one writing, one per worker).
class FrameRing {
 public:
  // A slot holds one frame, or a chunk of consecutive frames for the stage strategy; its index
  // counts slots (0, 1, 2, ...), not frames.
  struct Slot {
    std::vector<cv::Mat> frames;
    std::int64_t index = -1;
  };

  explicit FrameRing(std::size_t slots);
  FrameRing(const FrameRing&) = delete;
  FrameRing& operator=(const FrameRing&) = delete;

  std::size_t capacity() const { return slots_.size(); }

  // Decoder: a free slot, waiting while all are in use; nullptr once closed.
  Slot* acquire_free();
  // Decoder: the slot now holds frame `index` (0, 1, 2, ... in order), ready for a worker.
  void submit(Slot* slot, std::int64_t index);
  // Decoder: gives back a slot it did not fill, and says no frame comes after `frames`.
  void end_input(Slot* unused, std::int64_t frames);
  // Workers: the oldest decoded frame, waiting for one; nullptr when the input has ended and
  // nothing is left, or once closed.
  Slot* take_work();
  void complete(Slot* slot);
  // Writer: the next frame in order once it is processed; nullptr when every frame is written,
  // or once closed.
  Slot* take_next_done();
  void release(Slot* slot);
  // Stops every waiter at once (an error, Ctrl-C).
  void close();

 private:
  enum class State { kFree, kDecoding, kDecoded, kWorking, kDone };

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Slot> slots_;
  std::vector<State> states_;
  std::int64_t next_to_write_ = 0;
  std::int64_t total_ = -1;  // known once the input has ended
  bool closed_ = false;
};

}  // namespace dlc::pipeline
