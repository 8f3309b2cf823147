// How long ChildProcess::terminate() takes: a child that dies of SIGTERM (goal: a few ms, the
// reap poll's 10 ms at most) and one that ignores it (the 2 s grace, then SIGKILL). Figures only,
// never pass/fail; the tests assert how each ends. Run: build/bench/dlc_child_process_bench
#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>

#include "media/child_process.hpp"

namespace {

using dlc::media::ChildPipes;
using dlc::media::ChildProcess;

void BM_TerminateSleepingChild(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    ChildProcess sleeper({"sleep", "30"}, ChildPipes{});
    state.ResumeTiming();
    benchmark::DoNotOptimize(sleeper.terminate());
  }
}
BENCHMARK(BM_TerminateSleepingChild)->Unit(benchmark::kMillisecond)->Iterations(20);

void BM_TerminateChildIgnoringSigterm(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    ChildProcess stubborn({"/bin/sh", "-c", "trap '' TERM; echo ready; exec sleep 30"}, ChildPipes{.from_stdout = true});
    std::array<std::byte, 6> ready{};
    stubborn.read_exact(ready);
    state.ResumeTiming();
    benchmark::DoNotOptimize(stubborn.terminate());
  }
}
BENCHMARK(BM_TerminateChildIgnoringSigterm)->Unit(benchmark::kMillisecond)->Iterations(2);

}  // namespace

BENCHMARK_MAIN();
