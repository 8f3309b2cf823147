#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <filesystem>
#include <string>

#include "app/commands.hpp"
#include "app/exit_codes.hpp"
#include "app/job_setup.hpp"
#include "app/part_identity.hpp"
#include "media/video_probe.hpp"
#include "memory/units.hpp"
#include "pipeline/image_job.hpp"

namespace dlc::app {
namespace {

using nlohmann::json;

json child_json(const pipeline::PlannedChild& child) {
  return {{"what", child.what}, {"bytes", child.bytes}, {"basis", child.basis}};
}

json strategy_json(const pipeline::StrategyPlan& plan, const pipeline::JobShape& shape) {
  json items = json::array();
  for (const auto& item : plan.plan.items()) items.push_back({{"what", item.what}, {"bytes", item.bytes}, {"basis", item.basis}});
  json doc{{"strategy", std::string(pipeline::strategy_name(plan.strategy))},
           {"peak_bytes", plan.plan.peak_bytes()},
           {"fits", plan.fits},
           {"workers", plan.workers},
           {"items", items}};
  if (plan.strategy == pipeline::MemoryStrategy::kStage) {
    doc["chunk_frames"] = plan.chunk_frames;
    doc["spill"] = plan.spill;
  }
  if (plan.strategy == pipeline::MemoryStrategy::kLru) doc["lru_room_bytes"] = plan.lru_room_bytes;
  if (plan.encoder < shape.encoders.size()) doc["encoder"] = child_json(shape.encoders[plan.encoder]);
  return doc;
}

}  // namespace

int plan_command(const CliOptions& options, int threads) {
  const auto& job = options.job;
  if (job.target.empty()) {
    fmt::print(stderr, "dlc plan: -t/--target is required: the plan depends on its frame size (see 'dlc plan --help')\n");
    return kExitUsage;
  }
  const auto target = media::probe_video(job.target);
  const int workers = is_image(job.target) ? 1 : video_workers(threads);
  const auto planned = plan_run(job, threads, target);
  const auto& choice = planned.choice;
  if (!options.json) {
    if (!planned.budget_warning.empty()) fmt::print("warning: {}\n", planned.budget_warning);
    const auto shown = choice.chosen.value_or(0);
    fmt::print("{}{}", choice.plans[shown].plan.describe(planned.budget_bytes), pipeline::describe_strategies(choice));
    fmt::print("{}: {}\n", choice.chosen ? "dlc run would take" : "nothing fits",
               choice.chosen ? pipeline::strategy_name(choice.plans[*choice.chosen].strategy) : "exit 5");
    return choice.chosen ? kExitOk : kExitMemoryBudget;
  }
  json strategies = json::array();
  for (const auto& plan : choice.plans) strategies.push_back(strategy_json(plan, planned.shape));
  json doc{{"target", {{"path", job.target}, {"width", target.width}, {"height", target.height},
                       {"frames", target.frame_count}, {"fps", target.fps.value()}}},
           {"budget_bytes", planned.budget_bytes},
           {"threads", threads},
           {"workers", workers},
           {"providers", session_policy(job, threads).providers},
           {"strategies", strategies},
           {"chosen", choice.chosen ? json(std::string(pipeline::strategy_name(choice.plans[*choice.chosen].strategy)))
                                    : json(nullptr)},
           {"automatic", choice.automatic}};
  if (choice.chosen) doc["peak_bytes"] = choice.plans[*choice.chosen].plan.peak_bytes();
  // A first run's one-time phase (the costliest child writing an optimized copy); null on later runs.
  const auto& first_run = choice.plans.front().first_run;
  doc["first_run_bytes"] = first_run.items().empty() ? json(nullptr) : json(first_run.peak_bytes());
  if (planned.shape.decoder) doc["decoder"] = child_json(*planned.shape.decoder);
  if (!planned.budget_warning.empty()) doc["budget_warning"] = planned.budget_warning;
  fmt::print("{}\n", doc.dump(2));
  return choice.chosen ? kExitOk : kExitMemoryBudget;
}

}  // namespace dlc::app
