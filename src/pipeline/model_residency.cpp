#include "pipeline/model_residency.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <utility>

#include "memory/units.hpp"

namespace dlc::pipeline {
namespace {

constexpr std::array<std::pair<std::string_view, MemoryStrategy>, 3> kStrategies{
    {{"resident", MemoryStrategy::kResident}, {"lru", MemoryStrategy::kLru}, {"stage", MemoryStrategy::kStage}}};

}  // namespace

std::optional<MemoryStrategy> parse_memory_strategy(std::string_view name) {
  for (const auto& [text, strategy] : kStrategies) {
    if (text == name) return strategy;
  }
  return std::nullopt;
}

std::string_view strategy_name(MemoryStrategy strategy) {
  for (const auto& [text, s] : kStrategies) {
    if (s == strategy) return text;
  }
  return "?";
}

ModelResidency::ModelResidency(MemoryStrategy strategy, std::uint64_t room_bytes, std::chrono::milliseconds idle)
    : strategy_(strategy), room_bytes_(room_bytes), idle_(idle) {}

std::size_t ModelResidency::add(Model model) {
  std::lock_guard lock(mutex_);
  entries_.push_back({std::move(model)});
  return entries_.size() - 1;
}

void ModelResidency::release_locked(Entry& entry, std::string_view why, std::vector<std::function<void()>>& frees) {
  if (!entry.loaded) return;
  frees.push_back(entry.model.release);
  entry.loaded = false;
  ++releases_;
  // lru releases are news; stage releases every model after every chunk, by design.
  spdlog::log(strategy_ == MemoryStrategy::kLru ? spdlog::level::info : spdlog::level::debug,
              "memory: released {} ({}, {})", entry.model.name, memory::format_mb(entry.model.bytes), why);
}

void ModelResidency::use(std::size_t id, Clock::time_point now) {
  // Freeing a session and trimming the heap take time: done after the lock, so that the other
  // workers' use() and the readers below are not held up by them.
  std::vector<std::function<void()>> frees;
  {
    std::lock_guard lock(mutex_);
    auto& entry = entries_.at(id);
    if (strategy_ == MemoryStrategy::kLru) {
      for (auto& other : entries_) {
        if (&other != &entry && other.loaded && now - other.last_use > idle_) release_locked(other, "idle", frees);
      }
      if (!entry.loaded) {
        auto total = entry.model.bytes;
        for (const auto& other : entries_) total += other.loaded ? other.model.bytes : 0;
        while (total > room_bytes_) {
          Entry* oldest = nullptr;
          for (auto& other : entries_) {
            if (&other != &entry && other.loaded && (oldest == nullptr || other.last_use < oldest->last_use)) {
              oldest = &other;
            }
          }
          if (oldest == nullptr) break;  // this model alone: it has to load all the same
          total -= oldest->model.bytes;
          release_locked(*oldest, fmt::format("lru: room for {}", entry.model.name), frees);
        }
      }
    }
    entry.loaded = true;
    entry.last_use = now;
  }
  for (const auto& free : frees) free();
}

void ModelResidency::release(std::size_t id) {
  std::vector<std::function<void()>> frees;
  {
    std::lock_guard lock(mutex_);
    release_locked(entries_.at(id), strategy_name(strategy_), frees);
  }
  for (const auto& free : frees) free();
}

std::uint64_t ModelResidency::resident_bytes() const {
  std::lock_guard lock(mutex_);
  std::uint64_t total = 0;
  for (const auto& e : entries_) total += e.loaded ? e.model.bytes : 0;
  return total;
}

std::uint64_t ModelResidency::releases() const {
  std::lock_guard lock(mutex_);
  return releases_;
}

std::vector<std::string> ModelResidency::resident() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> names;
  for (const auto& e : entries_) {
    if (e.loaded) names.push_back(e.model.name);
  }
  return names;
}

}  // namespace dlc::pipeline
