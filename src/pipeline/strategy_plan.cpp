#include "pipeline/strategy_plan.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "memory/units.hpp"

namespace dlc::pipeline {
namespace {

using Models = std::vector<const PlannedModel*>;

std::uint64_t weights_sum(const Models& models) {
  std::uint64_t sum = 0;
  for (const auto* m : models) sum += m->footprint.weights_bytes();
  return sum;
}

const PlannedModel* largest_by(const Models& models, std::uint64_t memory::ModelFootprint::*field) {
  const PlannedModel* largest = nullptr;
  for (const auto* m : models) {
    if (largest == nullptr || m->footprint.*field > largest->footprint.*field) largest = m;
  }
  return largest;
}

std::uint64_t largest_value(const Models& models, std::uint64_t memory::ModelFootprint::*field) {
  const auto* m = largest_by(models, field);
  return m != nullptr ? m->footprint.*field : 0;
}

// Each model's weights, one line each.
void add_weights(memory::MemoryPlan& plan, const Models& models) {
  for (const auto* m : models) plan.add(m->what, m->footprint.weights_bytes(), m->basis);
}

// Running the models: as many calls at once as there are workers, each of the largest model's
// working memory.
void add_activations(memory::MemoryPlan& plan, const Models& models, int calls) {
  const auto* largest = largest_by(models, &memory::ModelFootprint::arena_bytes);
  if (largest == nullptr) return;
  plan.add(fmt::format("running: {} call{} at once of {}", calls, calls == 1 ? "" : "s", largest->what),
           static_cast<std::uint64_t>(calls) * largest->footprint.arena_bytes, "working memory of one call x calls");
}

// The largest transient while a session is built, on top of what is loaded.
void add_build(memory::MemoryPlan& plan, const Models& models) {
  const auto* largest = largest_by(models, &memory::ModelFootprint::load_extra_bytes);
  if (largest == nullptr) return;
  plan.add("building the session of " + largest->what, largest->footprint.load_extra_bytes,
           "transient while ONNX Runtime builds it");
}

// The process as it is, and what running adds to it whatever the models: ONNX Runtime's
// environment and thread pools, the decoder's and encoder's pipes, the worker threads' heaps.
// Measured with the stand-ins: a run's peak RSS over the sum of the plan's other lines was 48 to
// 55 MiB (stage, swapper and GFPGAN on 720p; 15 MiB of it before the first model loads); 64 MiB
// keeps a margin.
constexpr std::uint64_t kRunningOverheadBytes = 64ULL << 20;

void add_process(memory::MemoryPlan& plan, const JobShape& job, std::size_t encoder) {
  plan.add("dlc process now", job.process_bytes, "measured RSS");
  plan.add("running: runtime, pipes, threads", kRunningOverheadBytes, "measured with the stand-ins");
  if (job.decoder) plan.add(job.decoder->what, job.decoder->bytes, job.decoder->basis);
  if (encoder < job.encoders.size()) {
    const auto& e = job.encoders[encoder];
    plan.add(e.what, e.bytes, e.basis);
  }
}

void add_frames(memory::MemoryPlan& plan, const JobShape& job, std::uint64_t frames) {
  plan.add(fmt::format("{} frames in flight", frames), job.frame_bytes * frames, "frame size x frames");
}

Models pointers(const std::vector<PlannedModel>& models) {
  Models out;
  for (const auto& m : models) out.push_back(&m);
  return out;
}

// The start: the analysis models and the recognizer, for the source face.
memory::MemoryPlan start_plan(const JobShape& job, std::size_t encoder) {
  memory::MemoryPlan plan;
  add_process(plan, job, encoder);
  auto models = pointers(job.analysis);
  if (job.recognizer) models.push_back(&*job.recognizer);
  add_weights(plan, models);
  add_activations(plan, models, 1);
  add_build(plan, models);
  return plan;
}

// What dlc grows by while it waits for a first run's children (their pipes and its reading
// thread, ONNX Runtime's environment): its VmRSS went from 17.7 MB when it planned to at most 29 MB
// while they ran (swap + GFPGAN stand-ins, a 720p clip, sampled every 0.02 s).
constexpr std::uint64_t kFirstRunOverheadBytes = 16ULL << 20;

// The first run: before any model loads (and before the ffmpeg children start), each model
// without ONNX Runtime's optimized copy has it written by a child dlc process, one at a time,
// beside this process as it is now. Empty when every copy is there.
memory::MemoryPlan first_run_plan(const JobShape& job) {
  auto models = pointers(job.analysis);
  for (const auto* m : pointers(job.steps)) models.push_back(m);
  if (job.recognizer) models.push_back(&*job.recognizer);
  memory::MemoryPlan plan;
  const auto* largest = largest_by(models, &memory::ModelFootprint::prepare_bytes);
  if (largest == nullptr || largest->footprint.prepare_bytes == 0) return plan;
  plan.add("dlc process now", job.process_bytes, "measured RSS");
  plan.add("running: dlc while its child runs", kFirstRunOverheadBytes, "measured with the stand-ins");
  plan.add("a child dlc writing the optimized copy of " + largest->what + ", once",
           largest->footprint.prepare_bytes, "measured peak of that child");
  return plan;
}

// The frames' stages: the analysis models together, then each step alone.
std::vector<Models> stages(const JobShape& job) {
  std::vector<Models> out;
  if (!job.analysis.empty()) out.push_back(pointers(job.analysis));
  for (const auto& step : job.steps) out.push_back({&step});
  return out;
}

// A stage's peak: its weights with its session build, or with one call running (not both).
std::uint64_t stage_cost(const Models& stage) {
  return weights_sum(stage) + std::max(largest_value(stage, &memory::ModelFootprint::arena_bytes),
                                       largest_value(stage, &memory::ModelFootprint::load_extra_bytes));
}

// The most weight that models can hold together within room (lru never keeps more); a job has a
// handful of models, so every subset is tried.
std::uint64_t largest_fitting_set(const Models& models, std::uint64_t room) {
  std::uint64_t best = 0;
  for (std::uint64_t set = 0; set < (1ULL << models.size()); ++set) {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < models.size(); ++i) {
      if ((set >> i) & 1U) sum += models[i]->footprint.weights_bytes();
    }
    if (sum <= room) best = std::max(best, sum);
  }
  return best;
}

// The plan with the encoder in its settings number `encoder`.
StrategyPlan plan_with_encoder(MemoryStrategy strategy, const JobShape& job, std::uint64_t budget_bytes,
                               std::size_t encoder) {
  StrategyPlan out;
  out.strategy = strategy;
  out.encoder = encoder;
  // Two phases after the start: loading (the weights so far and one session's build transient)
  // and the frames (the weights, the calls' working memory and the frames); the peak is the
  // largest of the three.
  memory::MemoryPlan loading;
  memory::MemoryPlan frames;
  for (auto* plan : {&loading, &frames}) add_process(*plan, job, encoder);
  auto models = pointers(job.analysis);
  for (const auto* m : pointers(job.steps)) models.push_back(m);
  const int calls = std::max(1, job.concurrent_calls);
  const auto ring = static_cast<std::uint64_t>(std::max(1, job.frames_in_flight));
  bool possible = true;
  switch (strategy) {
    case MemoryStrategy::kResident:
      add_weights(loading, models);
      add_build(loading, models);
      add_weights(frames, models);
      add_activations(frames, models, calls);
      add_frames(frames, job, ring);
      break;
    case MemoryStrategy::kLru: {
      // Room first with the workers' calls; when not every model fits, one worker takes the frames.
      const auto all = weights_sum(models);
      auto room_with = [&](int workers) {
        memory::MemoryPlan fixed;
        add_process(fixed, job, encoder);
        add_activations(fixed, models, workers);
        add_frames(fixed, job, ring);
        const auto used = fixed.peak_bytes();
        return budget_bytes > used ? budget_bytes - used : 0;
      };
      out.workers = room_with(calls) >= all ? calls : 1;
      out.lru_room_bytes = room_with(out.workers);
      std::uint64_t largest = 0;
      for (const auto* m : models) largest = std::max(largest, m->footprint.weights_bytes());
      // The room is sized with steady-state calls, so the budget holds whatever runs.
      possible = out.lru_room_bytes >= largest;
      add_frames(frames, job, ring);
      if (out.lru_room_bytes >= all) {
        add_weights(frames, models);
        add_activations(frames, models, out.workers);
      } else {
        // The models take turns: each use rebuilds a session whose call is a first call. The peak
        // is the turn of the model whose weights, the most of the others that fit beside it, and
        // its first call weigh most.
        const PlannedModel* peak_model = nullptr;
        std::uint64_t peak_kept = 0;
        for (const auto* m : models) {
          Models others;
          for (const auto* o : models) {
            if (o != m) others.push_back(o);
          }
          const auto w = m->footprint.weights_bytes();
          const auto kept = w + largest_fitting_set(others, out.lru_room_bytes > w ? out.lru_room_bytes - w : 0);
          if (peak_model == nullptr ||
              kept + m->footprint.first_call() > peak_kept + peak_model->footprint.first_call()) {
            peak_model = m;
            peak_kept = kept;
          }
        }
        if (peak_model != nullptr) {
          frames.add(fmt::format("model weights loaded at {}'s turn (lru: {} of {})", peak_model->what,
                                 memory::format_mb(peak_kept), memory::format_mb(all)),
                     peak_kept, "it and the most of the others that fit in the room the budget leaves");
          frames.add("running: a first call of " + peak_model->what, peak_model->footprint.first_call(),
                     "a rebuilt session's first call");
        }
      }
      const auto kept = std::max(largest, largest_fitting_set(models, out.lru_room_bytes));
      loading.add(fmt::format("model weights kept loaded (lru: {} of {})", memory::format_mb(kept),
                              memory::format_mb(all)),
                  kept, "the most that fits together in the room the budget leaves");
      add_build(loading, models);  // a model loads again while the frames are in flight
      add_frames(loading, job, ring);
      break;
    }
    case MemoryStrategy::kStage: {
      // The costliest stage alone: its weights with its build, or with one call's working memory
      // (one worker takes a chunk through a stage) and a chunk of frames sized to the budget.
      const auto all = stages(job);
      const Models* costliest = nullptr;
      for (const auto& stage : all) {
        if (costliest == nullptr || stage_cost(stage) > stage_cost(*costliest)) costliest = &stage;
      }
      if (costliest != nullptr) {
        add_weights(loading, *costliest);
        add_build(loading, *costliest);
        add_weights(frames, *costliest);
        add_activations(frames, *costliest, 1);
      }
      // The chunk stays in memory while the next stage's model loads: both phases hold it.
      const auto fixed = std::max(loading.peak_bytes(), frames.peak_bytes());
      const std::uint64_t room = budget_bytes > fixed ? budget_bytes - fixed : 0;
      const auto in_memory = static_cast<std::size_t>(
          std::min<std::uint64_t>(kMaxChunkFrames, job.frame_bytes > 0 ? room / job.frame_bytes : kMaxChunkFrames));
      out.spill = in_memory < kMinChunkFrames;
      out.chunk_frames = out.spill ? kMaxChunkFrames : in_memory;
      // Spilled: the decoder's buffer and the frame being processed.
      const std::size_t held = out.spill ? 2 : out.chunk_frames;
      possible = in_memory >= held;
      for (auto* plan : {&loading, &frames}) {
        if (out.spill) {
          plan->add(fmt::format("2 frames in memory, chunks of {} spilled to disk", out.chunk_frames),
                    2 * job.frame_bytes, "frame size x 2");
        } else {
          add_frames(*plan, job, out.chunk_frames);
        }
      }
      break;
    }
  }
  if (strategy == MemoryStrategy::kResident) out.workers = calls;
  out.plan = start_plan(job, encoder);
  out.first_run = first_run_plan(job);
  for (const auto* phase : {&out.first_run, &loading, &frames}) {
    if (phase->peak_bytes() > out.plan.peak_bytes()) out.plan = *phase;
  }
  out.fits = possible && out.plan.fits(budget_bytes);
  return out;
}

}  // namespace

StrategyPlan plan_strategy(MemoryStrategy strategy, const JobShape& job, std::uint64_t budget_bytes) {
  const auto settings = std::max<std::size_t>(1, job.encoders.size());
  for (std::size_t e = 0; e + 1 < settings; ++e) {
    auto plan = plan_with_encoder(strategy, job, budget_bytes, e);
    if (plan.fits) return plan;
  }
  return plan_with_encoder(strategy, job, budget_bytes, settings - 1);
}

StrategyChoice choose_strategy(const JobShape& job, std::uint64_t budget_bytes, std::optional<MemoryStrategy> asked,
                               bool live) {
  StrategyChoice choice;
  for (const auto s : {MemoryStrategy::kResident, MemoryStrategy::kLru, MemoryStrategy::kStage}) {
    choice.plans.push_back(plan_strategy(s, job, budget_bytes));
  }
  const auto index = [](MemoryStrategy s) { return static_cast<std::size_t>(s); };
  if (asked) {
    if (choice.plans[index(*asked)].fits) choice.chosen = index(*asked);
    return choice;
  }
  choice.automatic = true;
  for (const auto s : {MemoryStrategy::kResident, live ? MemoryStrategy::kLru : MemoryStrategy::kStage}) {
    if (choice.plans[index(s)].fits) {
      choice.chosen = index(s);
      break;
    }
  }
  return choice;
}

std::string describe_strategies(const StrategyChoice& choice) {
  std::string text = "memory strategies (--memory-strategy):\n";
  for (std::size_t i = 0; i < choice.plans.size(); ++i) {
    const auto& p = choice.plans[i];
    std::string detail;
    if (p.strategy == MemoryStrategy::kStage) {
      detail = fmt::format(", chunks of {} frames{}", p.chunk_frames, p.spill ? " on disk" : "");
    }
    text += fmt::format("  {:>12}  {:<8} {}{}{}\n", memory::format_mb(p.plan.peak_bytes()), strategy_name(p.strategy),
                        p.fits ? "fits" : "does NOT fit", detail, choice.chosen == i ? "  <- chosen" : "");
  }
  if (!choice.plans.empty() && !choice.plans.front().first_run.items().empty()) {
    const auto& first = choice.plans.front().first_run;
    text += fmt::format("  {:>12}  first run only: {}, before any model loads (in every strategy's peak; later "
                        "runs map the copy)\n",
                        memory::format_mb(first.peak_bytes()), first.items().back().what);
  }
  return text;
}

std::uint64_t smallest_budget(MemoryStrategy strategy, const JobShape& job) {
  // The plan grows with the budget only through lru's room and stage's chunk, both bounded, so
  // a bisection over whole MiB finds the smallest budget that fits.
  std::uint64_t low = 0;
  std::uint64_t high = 1ULL << 50;
  if (!plan_strategy(strategy, job, high).fits) return high;
  while (high - low > (1ULL << 20)) {
    const auto mid = low + (high - low) / 2;
    (plan_strategy(strategy, job, mid).fits ? high : low) = mid;
  }
  return high;
}

}  // namespace dlc::pipeline
