#include "memory/monitor.hpp"

#include <gtest/gtest.h>

#include "support/paths.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <regex>
#include <thread>

namespace dlc::memory {
namespace {

constexpr std::uint64_t kGiB = 1ULL << 30;

MemorySnapshot example() {
  MemorySnapshot s;
  s.system = SystemMemory{};
  s.system->total_bytes = 16 * kGiB;
  s.system->available_bytes = static_cast<std::uint64_t>(7.81 * kGiB);  // 8.19 GiB used
  GpuMemory gpu;
  gpu.index = 0;
  gpu.name = "NVIDIA GeForce RTX 4070";
  gpu.total_bytes = 12 * kGiB;
  gpu.used_bytes = static_cast<std::uint64_t>(4.1 * kGiB);
  s.gpus.push_back(gpu);
  s.process = ProcessMemory{static_cast<std::uint64_t>(1.3 * kGiB), static_cast<std::uint64_t>(1.4 * kGiB)};
  s.arenas = ArenaFigures{static_cast<std::uint64_t>(0.9 * kGiB), static_cast<std::uint64_t>(1.0 * kGiB)};
  return s;
}

TEST(MonitorLines, KeepDeepLiveCamsFormat) {
  const auto lines = monitor_lines(example());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "[DLC.MEMORY] System Memory: 8.2GB/16.0GB (51.2%)");
  EXPECT_EQ(lines[1], "[DLC.MEMORY] GPU 0 (NVIDIA GeForce RTX 4070): 4.1GB/12.0GB");
  EXPECT_EQ(lines[2], "[DLC.MEMORY] dlc: RSS 1.3GB (peak 1.4GB), model arenas 0.9GB (peak 1.0GB)");
}

TEST(MonitorLines, OwnGpuUsageIsAddedWhenKnown) {
  auto s = example();
  s.gpus[0].process_used_bytes = 2 * kGiB;
  EXPECT_EQ(monitor_lines(s)[2],
            "[DLC.MEMORY] dlc: RSS 1.3GB (peak 1.4GB), model arenas 0.9GB (peak 1.0GB), GPU 0 2.0GB");
}

TEST(MonitorLines, TheTreeComesBesideDlcsOwnWhenItHasChildren) {
  auto s = example();
  s.gpus.clear();
  s.tree = TreeMemory{*s.process, static_cast<std::uint64_t>(0.3 * kGiB), 2};
  EXPECT_EQ(monitor_lines(s)[1],
            "[DLC.MEMORY] dlc: RSS 1.3GB (peak 1.4GB), with its 2 ffmpeg children 1.6GB, model arenas 0.9GB (peak 1.0GB)");
  s.tree->children = 0;
  EXPECT_EQ(monitor_lines(s)[1], "[DLC.MEMORY] dlc: RSS 1.3GB (peak 1.4GB), model arenas 0.9GB (peak 1.0GB)");
}

// recorded-16g: dlc at 1363148 kB, its ffmpeg child 4242 at 262144 kB; 4343 has exited.
TEST(TreeMemory, AddsEachRunningChildsRss) {
  const auto proc = test::source_tree_file("tests/data/machines/recorded-16g/proc");
  const auto tree = read_tree_memory({4242, 4343}, proc);
  EXPECT_EQ(tree.own.rss_bytes, 1363148ULL * 1024);
  EXPECT_EQ(tree.children, 1u);
  EXPECT_EQ(tree.children_rss_bytes, 262144ULL * 1024);
  EXPECT_EQ(tree.rss_bytes(), (1363148ULL + 262144ULL) * 1024);
}

TEST(TreeReader, KeepsTheHighestReading) {
  std::vector<std::uint64_t> readings{100, 300, 200};
  std::size_t next = 0;
  TreeReader reader([] { return std::vector<int>{1}; }, [&](const std::vector<int>& pids) {
    EXPECT_EQ(pids, std::vector<int>{1});
    return TreeMemory{ProcessMemory{readings[next++], 0}, 0, 0};
  });
  EXPECT_EQ(reader.rss_bytes(), 100u);
  EXPECT_EQ(reader.rss_bytes(), 300u);
  EXPECT_EQ(reader.rss_bytes(), 200u);
  EXPECT_EQ(reader.sampled_peak_bytes(), 300u);
}

TEST(MonitorLines, NoGpuNoArenas) {
  auto s = example();
  s.gpus.clear();
  s.arenas.reset();
  const auto lines = monitor_lines(s);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1], "[DLC.MEMORY] dlc: RSS 1.3GB (peak 1.4GB)");
}

// Counts, not clocks: the test waits for three rounds however long the machine takes, and each
// round is whole (its three lines) whenever the monitor is destroyed.
TEST(MemoryMonitor, PrintsWholeRoundsEveryInterval) {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> printed;
  {
    MemoryMonitor monitor(std::chrono::milliseconds(1), example, [&](const std::string& line) {
      {
        std::lock_guard lock(mutex);
        printed.push_back(line);
      }
      changed.notify_all();
    });
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return printed.size() >= 9; });
  }
  std::lock_guard lock(mutex);
  EXPECT_GE(printed.size(), 9u);
  EXPECT_EQ(printed.size() % 3, 0u);
  const std::regex system_line(R"(\[DLC\.MEMORY\] System Memory: \d+\.\dGB/\d+\.\dGB \(\d+\.\d%\))");
  for (std::size_t i = 0; i < printed.size(); i += 3) EXPECT_TRUE(std::regex_match(printed[i], system_line)) << printed[i];
}

// The first round comes one interval after the start, and destruction does not wait it out: with
// an interval of an hour nothing is read or printed, and the test ends (a wait would hang it
// until CTest's timeout).
TEST(MemoryMonitor, NothingBeforeTheFirstIntervalAndDestructionStopsAtOnce) {
  std::atomic<int> reads{0};
  std::atomic<int> lines{0};
  {
    MemoryMonitor monitor(
        std::chrono::hours(1),
        [&] {
          ++reads;
          return example();
        },
        [&](const std::string&) { ++lines; });
  }
  EXPECT_EQ(reads.load(), 0);
  EXPECT_EQ(lines.load(), 0);
}

}  // namespace
}  // namespace dlc::memory
