#pragma once

#include <cstdint>
#include <exception>
#include <future>
#include <memory>
#include <mutex>

namespace dlc::pipeline {

// A model built on first use and shared by every worker. The mutex guards the pointer, not the
// build: the first caller builds outside it while the others wait on that build's future (one
// build, never two), and a thread that needs another model, or only asks what is loaded, is not
// held up meanwhile. A reset() during a build frees the old model and lets the build serve its
// callers without keeping it.
template <typename T>
class LazyModel {
 public:
  template <typename Make>
  std::shared_ptr<T> get(Make&& make) {
    std::shared_future<std::shared_ptr<T>> building;
    std::promise<std::shared_ptr<T>> promise;
    std::uint64_t generation = 0;
    {
      std::lock_guard lock(mutex_);
      if (value_) return value_;
      if (building_.valid()) {
        building = building_;
      } else {
        building_ = promise.get_future().share();
        generation = generation_;
      }
    }
    if (building.valid()) return building.get();
    try {
      std::shared_ptr<T> built = make();
      {
        std::lock_guard lock(mutex_);
        if (generation == generation_) value_ = built;
        building_ = {};
      }
      promise.set_value(built);
      return built;
    } catch (...) {
      {
        std::lock_guard lock(mutex_);
        building_ = {};
      }
      promise.set_exception(std::current_exception());
      throw;
    }
  }

  // Frees the model (after the calls that hold a copy); the next get() builds it again. The
  // session is destroyed outside the mutex.
  void reset() {
    std::shared_ptr<T> old;
    {
      std::lock_guard lock(mutex_);
      old.swap(value_);
      ++generation_;
    }
  }

  bool loaded() const {
    std::lock_guard lock(mutex_);
    return value_ != nullptr;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<T> value_;
  std::shared_future<std::shared_ptr<T>> building_;
  std::uint64_t generation_ = 0;
};

}  // namespace dlc::pipeline
