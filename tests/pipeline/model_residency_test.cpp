#include "pipeline/model_residency.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <thread>

namespace dlc::pipeline {
namespace {

using namespace std::chrono_literals;

class Residency : public testing::Test {
 protected:
  std::size_t add(ModelResidency& r, const char* name, std::uint64_t bytes) {
    return r.add({name, bytes, [this, name] { released_.emplace_back(name); }});
  }
  std::vector<std::string> released_;
};

TEST(MemoryStrategy, NamesRoundTrip) {
  for (const auto s : {MemoryStrategy::kResident, MemoryStrategy::kLru, MemoryStrategy::kStage}) {
    EXPECT_EQ(parse_memory_strategy(strategy_name(s)), s);
  }
  EXPECT_FALSE(parse_memory_strategy("auto"));
}

TEST_F(Residency, ResidentNeverReleases) {
  ModelResidency r(MemoryStrategy::kResident, 10);
  const auto a = add(r, "a", 100);
  const auto b = add(r, "b", 100);
  r.use(a);
  r.use(b);
  EXPECT_TRUE(released_.empty());
  EXPECT_EQ(r.resident_bytes(), 200u);
}

// Room for two of three 100-byte models: using the third pushes out the least recently used.
TEST_F(Residency, LruReleasesTheLeastRecentlyUsedForRoom) {
  ModelResidency r(MemoryStrategy::kLru, 250, 1h);
  const auto a = add(r, "a", 100);
  const auto b = add(r, "b", 100);
  const auto c = add(r, "c", 100);
  const auto t0 = ModelResidency::Clock::now();
  r.use(a, t0);
  r.use(b, t0 + 1s);
  r.use(a, t0 + 2s);
  r.use(c, t0 + 3s);
  EXPECT_EQ(released_, std::vector<std::string>{"b"});
  EXPECT_EQ(r.resident(), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(r.resident_bytes(), 200u);
  EXPECT_EQ(r.releases(), 1u);
}

TEST_F(Residency, LruReleasesIdleModels) {
  ModelResidency r(MemoryStrategy::kLru, 1000, 30s);
  const auto a = add(r, "a", 100);
  const auto b = add(r, "b", 100);
  const auto t0 = ModelResidency::Clock::now();
  r.use(a, t0);
  r.use(b, t0 + 31s);
  EXPECT_EQ(released_, std::vector<std::string>{"a"});
}

// A model larger than the room still loads, alone.
TEST_F(Residency, LruLoadsAModelLargerThanTheRoomAlone) {
  ModelResidency r(MemoryStrategy::kLru, 50, 1h);
  const auto a = add(r, "a", 10);
  const auto big = add(r, "big", 100);
  r.use(a);
  r.use(big);
  EXPECT_EQ(r.resident(), std::vector<std::string>{"big"});
}

TEST_F(Residency, StageReleasesWhenTold) {
  ModelResidency r(MemoryStrategy::kStage, 0);
  const auto a = add(r, "a", 100);
  r.use(a);
  r.release(a);
  r.release(a);  // not loaded: nothing to do
  EXPECT_EQ(released_, std::vector<std::string>{"a"});
  EXPECT_EQ(r.resident_bytes(), 0u);
}


// A release (a session freed, the heap trimmed) runs after the residency's lock is let go: while
// one worker's use() is still freeing the model it evicted, another reads the residency at once,
// and it already shows the new state. The 20 s bound only ends a wait that is the failure.
TEST(ModelResidency, AReleaseDoesNotHoldTheOtherWorkers) {
  ModelResidency residency(MemoryStrategy::kLru, 150);
  std::latch releasing(1);
  std::promise<void> go;
  const auto released = go.get_future().share();
  std::atomic<bool> main_done{false};
  std::atomic<bool> main_done_before_release{false};
  const auto a = residency.add({"a", 100, [&] {
                                  releasing.count_down();
                                  released.wait_for(std::chrono::seconds(20));
                                  main_done_before_release = main_done.load();
                                }});
  const auto b = residency.add({"b", 100, [] {}});
  residency.use(a);
  std::thread worker([&] { residency.use(b); });
  releasing.wait();
  EXPECT_EQ(residency.resident(), std::vector<std::string>{"b"});
  EXPECT_EQ(residency.resident_bytes(), 100u);
  main_done = true;
  go.set_value();
  worker.join();
  EXPECT_TRUE(main_done_before_release) << "the reader waited for the release to finish";
  EXPECT_EQ(residency.releases(), 1u);
}

}  // namespace
}  // namespace dlc::pipeline
