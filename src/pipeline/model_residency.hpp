#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dlc::pipeline {

// How many of a job's models are loaded at once (--memory-strategy).
enum class MemoryStrategy {
  kResident,  // every model loaded for the whole run (fastest)
  kLru,       // loaded on first use; the least recently used released when the next needs the room
  kStage,     // one model at a time: frames go through the job stage by stage, in chunks
};
std::optional<MemoryStrategy> parse_memory_strategy(std::string_view name);
std::string_view strategy_name(MemoryStrategy strategy);

// How a job's frames are swapped: the memory strategy and the detection cadence.
struct SwapperOptions {
  MemoryStrategy strategy = MemoryStrategy::kResident;
  std::uint64_t lru_room_bytes = std::numeric_limits<std::uint64_t>::max();  // lru: models' room
  int detect_every = 1;
  double fps = 25;  // a video's rate: frame i is at i / fps seconds (the tracker's clock)
  // The first frame's index (--frame-range: where its pre-roll starts): indices stay those of the
  // whole video, so the detection cadence and the tracker's clock are the whole run's.
  std::int64_t first_index = 0;
  std::size_t frames_in_flight = 4;  // at most this many frames are processed at once
};

// Which models of a job are loaded. Each model is registered with its planned size and how to
// release it; a stage calls use() before it runs a model. Under lru, use() first releases the
// least recently used other models until the planned sizes of what stays loaded fit the room,
// and any model idle longer than the idle time; every release is logged. Under resident and
// stage use() only records (stage releases each model itself after its stage). The release
// callbacks run after the residency's lock is let go: a model marked released may still be
// freeing while another worker's use() loads it again (it is then rebuilt on its first call).
class ModelResidency {
 public:
  struct Model {
    std::string name;
    std::uint64_t bytes = 0;            // planned resident size
    std::function<void()> release;      // frees it; the next use loads it again
  };
  using Clock = std::chrono::steady_clock;

  ModelResidency(MemoryStrategy strategy, std::uint64_t room_bytes,
                 std::chrono::milliseconds idle = std::chrono::seconds(30));

  MemoryStrategy strategy() const { return strategy_; }
  std::size_t add(Model model);
  // Call before model id runs (it loads on that first call when it is not loaded).
  void use(std::size_t id, Clock::time_point now = Clock::now());
  void release(std::size_t id);
  std::uint64_t resident_bytes() const;
  std::uint64_t releases() const;
  std::vector<std::string> resident() const;

 private:
  struct Entry {
    Model model;
    bool loaded = false;
    Clock::time_point last_use{};
  };
  // Marks the entry released and queues its release callback, which the caller runs unlocked.
  void release_locked(Entry& entry, std::string_view why, std::vector<std::function<void()>>& frees);

  MemoryStrategy strategy_;
  std::uint64_t room_bytes_;
  std::chrono::milliseconds idle_;
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
  std::uint64_t releases_ = 0;
};

}  // namespace dlc::pipeline
