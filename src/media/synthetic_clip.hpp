#pragma once

#include <filesystem>

namespace dlc::media {

struct ClipOptions {
  int width = 1280;
  int height = 720;  // both even (yuv420p)
  int frames = 100;
  int fps = 25;
};

// A benchmark input made from one photo: the picture padded to the frame's aspect ratio, slowly
// zooming (1.1x to 1.4x over 4 s) and drifting sideways (over 6 s), so that a detector sees the
// face move and change size; H.264 yuv420p, no audio. The same recipe as tools/make_test_video.sh.
// Throws VideoError when ffmpeg fails.
void make_moving_clip(const std::filesystem::path& photo, const std::filesystem::path& output,
                      const ClipOptions& options);

}  // namespace dlc::media
