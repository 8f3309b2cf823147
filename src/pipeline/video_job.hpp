#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "media/video_probe.hpp"
#include "media/video_reader.hpp"
#include "memory/governor.hpp"
#include "pipeline/face_analyser.hpp"
#include "pipeline/frame_swapper.hpp"
#include "pipeline/image_job.hpp"
#include "pipeline/processor_chain.hpp"

namespace dlc::pipeline {

struct VideoJobOptions : FaceJobOptions {
  int workers = 1;                  // frames processed at once; the ring holds workers + 2
  // The stage strategy (swapper.strategy) takes chunks of chunk_frames frames through one worker,
  // stage by stage; swapper.frames_in_flight is set by the job.
  std::size_t chunk_frames = 64;
  // stage: when set, a chunk's frames wait in this folder (raw, lossless) instead of memory; the
  // folder is removed at the end unless keep_frames (--keep-frames).
  std::filesystem::path spill_folder;
  bool keep_frames = false;
  std::string encoder = "libx264";
  int quality = 18;
  std::string encoder_preset;  // --video-encoder-preset; empty: the encoder's own
  int encoder_threads = 0;     // the encoder's -threads (0: ffmpeg's choice), as the plan chose
  int encoder_lookahead = -1;  // the frames its lookahead holds (-1: the preset's)
  int decoder_threads = 0;     // the decoder's -threads (0: ffmpeg's choice)
  // The target as the command already probed it (its ffprobe run is the job's only one); empty:
  // the job probes target itself.
  std::optional<media::VideoInfo> target_info;
  // The decoder the command already started on target, whose report gave the plan its facts (no
  // ffprobe before the first frame); empty: the job starts one (from target_info when set).
  std::shared_ptr<media::VideoReader> reader;
  // The job's frame swapper, already being built (build_frame_swapper on these options, started
  // before the decoder had reported; its strategy must be swapper.strategy); empty: the job builds it.
  std::shared_future<std::shared_ptr<FrameSwapper>> prebuilt_swapper;
  bool prefer_hardware_encoder = false;  // NVENC when it opens (the CUDA provider), else the software one
  bool keep_audio = true;
  std::optional<double> output_fps;  // empty: the target's own rate
  // --frame-range: only these frames are written (no audio), after preroll_frames before them
  // are decoded and processed but not written, so the tracks and their smoothing are warm.
  std::optional<media::FrameSpan> frame_range;
  std::int64_t preroll_frames = 0;
  std::vector<std::pair<std::string, std::string>> output_metadata;  // the output's container tags
  memory::RssGovernor* governor = nullptr;  // holds the decoder when RSS nears the budget
  const std::atomic<bool>* stop = nullptr;  // set by a signal: stop and leave no output
  // Once the models a run starts with are loaded (all of them with the resident strategy).
  std::function<void()> on_models_loaded;
  // After each frame reaches the encoder, with the count so far (benchmarks: warm-up, figures).
  std::function<void(std::int64_t frames_written)> on_frame;
  // Starts each of the job's threads; empty: std::thread. Tests give one that throws, as
  // std::thread does at a process or memory limit.
  std::function<std::thread(std::function<void()>)> start_thread;
};

struct VideoProgress {
  std::int64_t frames_done = 0;
  std::int64_t frames_total = 0;  // the probe's count (estimated for some containers)
  double seconds = 0;
  // frames_total is duration x fps: the decoder's report until ffprobe's count is in, or a
  // container that states no count.
  bool total_estimated = false;
};

struct VideoJobReport {
  std::filesystem::path output;
  std::int64_t frames = 0;
  std::int64_t frames_without_face = 0;
  std::int64_t faces_skipped = 0;  // faces that could not be placed (NaN or degenerate keypoints), left alone
  double seconds = 0;
  bool stopped = false;           // a stop request ended it; no output was written
  bool truncated_input = false;   // the decoder failed before the end (a corrupt tail)
  std::string decoder_problem;
  std::vector<std::string> processors;
  bool audio = false;
  std::string encoder;  // what encoded it (NVENC falls back to the software encoder)
  MemoryStrategy strategy = MemoryStrategy::kResident;
  std::uint64_t model_releases = 0;  // models released and loaded again (lru, stage)
  std::uint64_t decoder_peak_bytes = 0;  // each child's own peak RSS, from the kernel when reaped
  std::uint64_t encoder_peak_bytes = 0;
};

// The frame swapper run_video_job builds for options (the source face read; with the resident
// strategy every model loaded), without the video's rate (set by the job): for a caller that knows
// the strategy before the decoder has reported, to build it meanwhile (VideoJobOptions::prebuilt_swapper).
std::shared_ptr<FrameSwapper> build_frame_swapper(const VideoJobOptions& options);

// Streaming: decoder → a ring of workers + 2 frames → workers → in-order writer → encoder, no
// image files in between; memory does not grow with the video's length. With the stage strategy
// the ring holds one chunk of frames and one worker takes it through the job stage by stage. The output is written
// to a temporary name and renamed only when the encoder finished cleanly.
VideoJobReport run_video_job(const VideoJobOptions& options,
                             const std::function<void(const VideoProgress&)>& progress = {});

}  // namespace dlc::pipeline
