#include "pipeline/frame_ring.hpp"

namespace dlc::pipeline {

FrameRing::FrameRing(std::size_t slots) : slots_(slots), states_(slots, State::kFree) {}

FrameRing::Slot* FrameRing::acquire_free() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (closed_) return nullptr;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (states_[i] == State::kFree) {
        states_[i] = State::kDecoding;
        return &slots_[i];
      }
    }
    changed_.wait(lock);
  }
}

void FrameRing::submit(Slot* slot, std::int64_t index) {
  {
    std::lock_guard lock(mutex_);
    slot->index = index;
    states_[static_cast<std::size_t>(slot - slots_.data())] = State::kDecoded;
  }
  changed_.notify_all();
}

void FrameRing::end_input(Slot* unused, std::int64_t frames) {
  {
    std::lock_guard lock(mutex_);
    if (unused != nullptr) {
      unused->index = -1;
      states_[static_cast<std::size_t>(unused - slots_.data())] = State::kFree;
    }
    total_ = frames;
  }
  changed_.notify_all();
}

FrameRing::Slot* FrameRing::take_work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (closed_) return nullptr;
    Slot* oldest = nullptr;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (states_[i] == State::kDecoded && (oldest == nullptr || slots_[i].index < oldest->index)) {
        oldest = &slots_[i];
      }
    }
    if (oldest != nullptr) {
      states_[static_cast<std::size_t>(oldest - slots_.data())] = State::kWorking;
      return oldest;
    }
    if (total_ >= 0) return nullptr;  // the input has ended: no more work will come
    changed_.wait(lock);
  }
}

void FrameRing::complete(Slot* slot) {
  {
    std::lock_guard lock(mutex_);
    states_[static_cast<std::size_t>(slot - slots_.data())] = State::kDone;
  }
  changed_.notify_all();
}

FrameRing::Slot* FrameRing::take_next_done() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (closed_) return nullptr;
    if (total_ >= 0 && next_to_write_ >= total_) return nullptr;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (states_[i] == State::kDone && slots_[i].index == next_to_write_) return &slots_[i];
    }
    changed_.wait(lock);
  }
}

void FrameRing::release(Slot* slot) {
  {
    std::lock_guard lock(mutex_);
    ++next_to_write_;
    slot->index = -1;
    states_[static_cast<std::size_t>(slot - slots_.data())] = State::kFree;
  }
  changed_.notify_all();
}

void FrameRing::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

}  // namespace dlc::pipeline
