#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace dlc::pipeline {

// The hand-over between the stages of the live loop: a few slots (2 by default) holding the
// newest items. A camera does not wait for a slow consumer, so push() never blocks: when the
// queue is full the oldest item makes room and is counted as dropped, which bounds how stale a
// frame can be when it is taken. push_wait() is the lossless variant, for a stage whose every
// item must arrive (a recording).
template <typename T>
class LatestQueue {
 public:
  enum class Pop { kItem, kTimeout, kClosed };

  explicit LatestQueue(std::size_t capacity = 2) : slots_(capacity) {
    if (capacity == 0) throw std::invalid_argument("LatestQueue: capacity 0");
  }
  LatestQueue(const LatestQueue&) = delete;
  LatestQueue& operator=(const LatestQueue&) = delete;

  // Never waits. Returns the item that did not stay: the oldest one when the queue was full
  // (counted in dropped()), or `item` itself once closed; the caller may reuse its buffers.
  std::optional<T> push(T item) {
    std::optional<T> out;
    {
      std::lock_guard lock(mutex_);
      if (closed_) return item;
      if (count_ == slots_.size()) {
        out = take_front();
        ++dropped_;
      }
      slots_[(head_ + count_) % slots_.size()] = std::move(item);
      ++count_;
    }
    changed_.notify_all();
    return out;
  }

  // Waits while the queue is full. False once closed; `item` is then left with the caller.
  bool push_wait(T& item) {
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return closed_ || count_ < slots_.size(); });
      if (closed_) return false;
      slots_[(head_ + count_) % slots_.size()] = std::move(item);
      ++count_;
    }
    changed_.notify_all();
    return true;
  }

  // The oldest item, waiting for one; nullopt once closed and emptied.
  std::optional<T> pop() {
    std::optional<T> out;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return closed_ || count_ > 0; });
      if (count_ == 0) return out;
      out = take_front();
    }
    changed_.notify_all();
    return out;
  }

  // Moves the oldest item into `out`, waiting up to `timeout` for one. What was queued before
  // close() is still handed out; kClosed comes after it.
  template <typename Rep, typename Period>
  Pop pop_for(T& out, std::chrono::duration<Rep, Period> timeout) {
    {
      std::unique_lock lock(mutex_);
      if (!changed_.wait_for(lock, timeout, [&] { return closed_ || count_ > 0; })) return Pop::kTimeout;
      if (count_ == 0) return Pop::kClosed;
      out = take_front();
    }
    changed_.notify_all();
    return Pop::kItem;
  }

  // No more pushes; waiters wake. Items already queued can still be popped (a drain).
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    changed_.notify_all();
  }

  // Takes every queued item out, oldest first (for returning buffers after a close).
  std::vector<T> take_all() {
    std::vector<T> items;
    {
      std::lock_guard lock(mutex_);
      while (count_ > 0) items.push_back(take_front());
    }
    changed_.notify_all();
    return items;
  }

  std::uint64_t dropped() const {
    std::lock_guard lock(mutex_);
    return dropped_;
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return count_;
  }
  std::size_t capacity() const { return slots_.size(); }

 private:
  T take_front() {
    T item = std::move(slots_[head_]);
    head_ = (head_ + 1) % slots_.size();
    --count_;
    return item;
  }

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<T> slots_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::uint64_t dropped_ = 0;
  bool closed_ = false;
};

}  // namespace dlc::pipeline
