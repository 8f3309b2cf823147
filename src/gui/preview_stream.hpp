#pragma once

#include <QByteArray>
#include <QImage>

#include <cstdint>
#include <optional>

namespace dlc::gui {

// Reads `dlc live --preview-pipe WxH`'s stdout (pipeline/preview_format.hpp): whole frames out of
// the bytes as they come. Only the newest complete frame is kept; while not wanted (the live view
// hidden) the pixel bytes are skipped without being copied into an image. It holds at most one
// frame and a partial one, however long the session.
class PreviewStream {
 public:
  struct Frame {
    QImage image;  // RGB888 (the BGR bytes swapped), detached from the stream's buffer
    std::int64_t index = 0;
    double fps = 0.0;
  };

  // false: the bytes are not a preview stream (a header with the wrong magic); the stream stops.
  bool feed(const QByteArray& bytes, bool wanted);
  // The newest complete frame since the last call, if any.
  std::optional<Frame> take();
  std::int64_t frames() const { return frames_; }    // complete frames read
  std::int64_t skipped() const { return skipped_; }  // of them, not made into an image
  bool failed() const { return failed_; }

 private:
  QByteArray buffer_;
  std::optional<Frame> newest_;
  std::int64_t frames_ = 0;
  std::int64_t skipped_ = 0;
  bool failed_ = false;
};

}  // namespace dlc::gui
