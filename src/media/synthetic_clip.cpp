#include "media/synthetic_clip.hpp"

#include <fmt/format.h>

#include "media/subprocess.hpp"
#include "media/video_probe.hpp"

namespace dlc::media {

void make_moving_clip(const std::filesystem::path& photo, const std::filesystem::path& output,
                      const ClipOptions& o) {
  const auto picture = fmt::format("pad=w='max(iw,ih*{0}/{1})':h='max(ih,iw*{1}/{0})':x='(ow-iw)/2':y='(oh-ih)/2'"
                                   ":color=gray",
                                   o.width, o.height);
  const auto motion = fmt::format("zoompan=z='1.25+0.15*sin(2*PI*on/100)':x='(iw-iw/zoom)/2*(1+sin(2*PI*on/150))'"
                                  ":y='(ih-ih/zoom)/2':d={}:s={}x{}:fps={}",
                                  o.frames, o.width, o.height, o.fps);
  const auto result = run_process({"ffmpeg", "-v", "error", "-nostdin", "-y", "-i", photo.string(), "-vf",
                                   fmt::format("{},{},format=yuv420p", picture, motion), "-frames:v",
                                   std::to_string(o.frames), "-c:v", "libx264", "-preset", "veryfast", "-crf", "18",
                                   output.string()});
  if (result.exit_code != 0) {
    throw VideoError(photo, "cannot make a test clip of it: " + result.err);
  }
}

}  // namespace dlc::media
