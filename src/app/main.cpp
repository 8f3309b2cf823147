#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <malloc.h>

#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "app/cli.hpp"
#include "app/commands.hpp"
#include "app/event_lines.hpp"
#include "app/exit_codes.hpp"
#include "media/video_probe.hpp"
#include "pipeline/processor_chain.hpp"
#include "processors/nsfw_filter.hpp"
#include "runtime/model_session.hpp"
#include "runtime/ort_runtime.hpp"

namespace {

void set_up_logging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("dlc");
  logger->set_pattern("[dlc] %l: %v");
  logger->set_level(level == "warning" ? spdlog::level::warn : spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

int dispatch(const dlc::app::CliOptions& options) {
  using dlc::app::Command;
  const int threads = dlc::app::resolve_threads(options.job, std::getenv("OMP_NUM_THREADS"));
  dlc::runtime::OrtRuntime::configure(dlc::app::runtime_options(options.job, threads));
  switch (options.command) {
    case Command::Version: return dlc::app::version_command();
    case Command::Diagnose: return dlc::app::diagnose_command(options);
    case Command::Run:
    case Command::Live: return dlc::app::job_command(options, threads);
    case Command::Bench: return dlc::app::bench_command(options, threads);
    case Command::Models: return dlc::app::models_command(options);
    case Command::Faces: return dlc::app::faces_command(options, threads);
    case Command::Join: return dlc::app::join_command(options);
    case Command::Plan: return dlc::app::plan_command(options, threads);
    case Command::Batch: return dlc::app::batch_command(options, threads);
  }
  return dlc::app::kExitFailure;
}

}  // namespace

int main(int argc, char** argv) {
  // Blocks of 1 MiB and more (frames, model weights, arena regions) get their own mappings and go
  // back to the system when freed; glibc's default threshold climbs to 32 MiB after the first
  // large free, after which a released model's pages would stay in the heap.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  // ONNX Runtime 1.29's Linux telemetry (1DS) starts with the first environment: a SQLite cache and
  // a device id under ~/.cache/Microsoft/DeveloperTools, an empty /tmp/mat-debug-PID.log left by
  // every process, an uploader thread, 2.6 MB of RSS (`dlc diagnose`'s peak). dlc sends nothing
  // anywhere; a user who sets the variable keeps their own value. ORT reads it once, at that start.
  setenv("ORT_DISABLE_TELEMETRY", "1", 0);
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto outcome = dlc::app::parse_command_line(args);
  if (!outcome.options) {
    std::fputs(outcome.out.c_str(), stdout);
    std::fputs(outcome.err.c_str(), stderr);
    return outcome.exit_code;
  }
  set_up_logging(outcome.options->log_level);
  if (outcome.options->job.events == "json") dlc::app::events::enable();
  for (const auto& warning : outcome.options->warnings) spdlog::warn("{}", warning);
  const auto fail = [](int code, const std::string& message) {
    spdlog::error("{}", message);
    dlc::app::events::note_error(message);
    return code;
  };
  int code = dlc::app::kExitFailure;
  try {
    code = dispatch(*outcome.options);
  } catch (const dlc::processors::NsfwRefused& e) {
    code = fail(dlc::app::kExitRefused, e.what());
  } catch (const dlc::pipeline::InputError& e) {
    code = fail(dlc::app::kExitBadInput, e.what());
  } catch (const dlc::media::VideoError& e) {
    code = fail(dlc::app::kExitBadInput, e.what());
  } catch (const dlc::runtime::ModelError& e) {
    code = fail(dlc::app::kExitModel, std::string("model ") + e.what());
  } catch (const std::exception& e) {
    code = fail(dlc::app::kExitFailure, e.what());
  }
  if (code != dlc::app::kExitOk) dlc::app::events::error(code, dlc::app::events::error_message(code));
  return code;
}
