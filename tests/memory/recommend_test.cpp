#include "memory/recommend.hpp"

#include <gtest/gtest.h>

#include "support/paths.hpp"

namespace dlc::memory {
namespace {

constexpr std::uint64_t kMiB = 1ULL << 20;

SystemMemory machine_memory(const char* name) {
  const auto root = test::source_tree_file("tests/data/machines") / name;
  const auto mem = read_system_memory({root / "proc", root / "cgroup"});
  if (!mem) throw std::runtime_error(std::string("no recorded machine ") + name);
  return *mem;
}

GpuMemory gpu(const char* name, std::uint64_t total_mib, std::uint64_t used_mib) {
  GpuMemory g;
  g.name = name;
  g.total_bytes = total_mib * kMiB;
  g.used_bytes = used_mib * kMiB;
  g.free_bytes = (total_mib - used_mib) * kMiB;
  return g;
}

MachineFacts facts(const char* machine, std::vector<GpuMemory> gpus, int cores) {
  MachineFacts f;
  f.system = machine_memory(machine);
  f.gpus = std::move(gpus);
  f.cores = cores;
  f.cuda_provider_loads = !f.gpus.empty();
  return f;
}

struct TierCase {
  const char* label;
  MachineFacts facts;
  std::string command;
};

void PrintTo(const TierCase& c, std::ostream* os) { *os << c.label; }

class Tiers : public testing::TestWithParam<TierCase> {};

TEST_P(Tiers, RecommendTheFlagsOfTheTier) {
  const auto r = recommend(GetParam().facts);
  EXPECT_EQ(r.command, GetParam().command);
}

// The real cards report a little less than their marketing size (NVML totals below).
INSTANTIATE_TEST_SUITE_P(
    Machines, Tiers,
    testing::Values(
        TierCase{"rtx4090_64g", facts("ram-64g", {gpu("NVIDIA GeForce RTX 4090", 24564, 1000)}, 16),
                 "dlc run --execution-provider cuda --gpu-memory-fraction 0.85 --max-memory 16 --execution-threads 8"},
        TierCase{"rtx4070_16g", facts("ram-16g", {gpu("NVIDIA GeForce RTX 4070", 12282, 500)}, 8),
                 "dlc run --execution-provider cuda --gpu-memory-fraction 0.85 --max-memory 8 --execution-threads 8"},
        TierCase{"rtx3060ti_16g", facts("ram-16g", {gpu("NVIDIA GeForce RTX 3060 Ti", 8192, 500)}, 12),
                 "dlc run --execution-provider cuda --gpu-memory-fraction 0.75 --max-memory 8 --execution-threads 6"},
        TierCase{"gtx1660_8g", facts("ram-8g", {gpu("NVIDIA GeForce GTX 1660", 6144, 300)}, 6),
                 "dlc run --execution-provider cuda --gpu-memory-fraction 0.6 --max-memory 4 --execution-threads 4"},
        TierCase{"cpu_4g", facts("ram-4g", {}, 4), "dlc run --execution-provider cpu --max-memory 3 --execution-threads 4"},
        TierCase{"cpu_2_cores", facts("ram-16g", {}, 2),
                 "dlc run --execution-provider cpu --max-memory 8 --execution-threads 2"},
        TierCase{"container_6g_limit", facts("container-v2", {}, 32),
                 "dlc run --execution-provider cpu --max-memory 4 --execution-threads 4"}),
    [](const testing::TestParamInfo<TierCase>& param_info) { return param_info.param.label; });

TEST(Recommend, TierNamesAndArgsAreSeparateArgvEntries) {
  const auto r = recommend(facts("ram-64g", {gpu("NVIDIA A100", 81920, 0)}, 64));
  EXPECT_EQ(r.tier, "high-vram");
  EXPECT_EQ(r.args, (std::vector<std::string>{"--execution-provider", "cuda", "--gpu-memory-fraction", "0.85",
                                               "--max-memory", "16", "--execution-threads", "8"}));
  EXPECT_EQ(recommend(facts("ram-4g", {}, 1)).tier, "cpu");
}

bool mentions(const std::vector<Bottleneck>& found, const std::string& severity, const std::string& text) {
  for (const auto& b : found) {
    if (b.severity == severity && b.text.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(Bottlenecks, NamedForEachProblem) {
  auto f = facts("ram-4g", {gpu("NVIDIA GeForce GTX 1650", 4096, 2800)}, 4);
  f.cuda_provider_loads = false;
  f.cuda_provider_problem = "libcudart.so.13: cannot open shared object file";
  f.pytorch_cuda_alloc_conf_set = true;
  f.system.swap_used_bytes = 512 * kMiB;
  const auto found = find_bottlenecks(f);
  EXPECT_TRUE(mentions(found, "critical", "CUDA provider cannot be used (libcudart.so.13"));
  EXPECT_TRUE(mentions(found, "critical", "low available RAM: 3.0GB"));
  EXPECT_TRUE(mentions(found, "critical", "GPU 0: low free VRAM 1.3GB"));
  EXPECT_TRUE(mentions(found, "warning", "swap in use: 0.5GB"));
  EXPECT_TRUE(mentions(found, "info", "PYTORCH_CUDA_ALLOC_CONF"));
}

TEST(Bottlenecks, ModerateLevelsAndCgroup) {
  auto f = facts("container-v2", {gpu("NVIDIA GeForce RTX 3070", 8192, 5000)}, 8);
  const auto found = find_bottlenecks(f);
  EXPECT_TRUE(mentions(found, "warning", "moderate available RAM"));
  EXPECT_TRUE(mentions(found, "warning", "GPU 0: moderate free VRAM"));
  EXPECT_TRUE(mentions(found, "info", "a cgroup limits this process to 6.0GB of the machine's 64.0GB"));
  EXPECT_FALSE(mentions(found, "critical", ""));
}

TEST(Bottlenecks, HealthyMachineHasNone) {
  EXPECT_TRUE(find_bottlenecks(facts("ram-64g", {gpu("NVIDIA A100", 81920, 0)}, 64)).empty());
}

}  // namespace
}  // namespace dlc::memory
