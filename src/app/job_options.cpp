#include "app/job_options.hpp"

#include <sched.h>

#include <charconv>
#include <cstring>
#include <thread>


namespace dlc::app {
namespace {

int usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set);
  const auto n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

}  // namespace

int resolve_threads(const JobOptions& job, const char* omp_num_threads) {
  if (job.execution_threads) return *job.execution_threads;
  if (omp_num_threads != nullptr) {
    int value = 0;
    const auto* end = omp_num_threads + std::strlen(omp_num_threads);
    const auto [ptr, ec] = std::from_chars(omp_num_threads, end, value);
    if (ec == std::errc{} && ptr == end && value > 0) return value;
  }
  return usable_cores();
}

runtime::RuntimeOptions runtime_options(const JobOptions&, int threads) {
  return runtime::RuntimeOptions{.intra_op_threads = threads, .inter_op_threads = 1};
}

runtime::SessionPolicy session_policy(const JobOptions& job, int threads) {
  runtime::SessionPolicy policy;
  policy.memory_optimization = job.memory_optimization;
  policy.providers = job.execution_providers.empty() ? runtime::default_providers() : job.execution_providers;
  policy.intra_op_threads = threads;
  return policy;
}

}  // namespace dlc::app
