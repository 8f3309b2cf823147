#include "memory/monitor.hpp"

#include <gtest/gtest.h>

#include <atomic>
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

TEST(MonitorLines, NoGpuNoArenas) {
  auto s = example();
  s.gpus.clear();
  s.arenas.reset();
  const auto lines = monitor_lines(s);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1], "[DLC.MEMORY] dlc: RSS 1.3GB (peak 1.4GB)");
}

TEST(MemoryMonitor, PrintsEveryIntervalAndStopsAtOnce) {
  std::mutex mutex;
  std::vector<std::string> printed;
  const auto start = std::chrono::steady_clock::now();
  {
    MemoryMonitor monitor(std::chrono::milliseconds(50), example, [&](const std::string& line) {
      std::lock_guard lock(mutex);
      printed.push_back(line);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(180));
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::milliseconds(1000));  // destruction did not wait out an interval
  std::lock_guard lock(mutex);
  // Rounds at 50, 100 and 150 ms: three rounds of three lines (a loaded machine may miss one).
  EXPECT_GE(printed.size(), 6u);
  EXPECT_LE(printed.size(), 9u);
  EXPECT_EQ(printed.size() % 3, 0u);
  const std::regex system_line(R"(\[DLC\.MEMORY\] System Memory: \d+\.\dGB/\d+\.\dGB \(\d+\.\d%\))");
  EXPECT_TRUE(std::regex_match(printed[0], system_line));
}

}  // namespace
}  // namespace dlc::memory
