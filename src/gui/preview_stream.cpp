#include "gui/preview_stream.hpp"

#include "pipeline/preview_format.hpp"

namespace dlc::gui {

bool PreviewStream::feed(const QByteArray& bytes, bool wanted) {
  if (failed_) return false;
  buffer_ += bytes;
  qsizetype at = 0;
  const auto header_bytes = static_cast<qsizetype>(pipeline::kPreviewHeaderBytes);
  while (buffer_.size() - at >= header_bytes) {
    const auto* data = reinterpret_cast<const unsigned char*>(buffer_.constData()) + at;
    const auto header = pipeline::decode_preview_header(data);
    if (!header) {
      failed_ = true;
      buffer_.clear();
      return false;
    }
    const auto pixels = static_cast<qsizetype>(header->width) * header->height * 3;
    if (buffer_.size() - at < header_bytes + pixels) break;
    ++frames_;
    // Earlier frames of the same chunk are passed over: only the newest is drawn.
    const bool last_whole = buffer_.size() - at - header_bytes - pixels < header_bytes + pixels;
    if (wanted && last_whole) {
      const QImage bgr(data + header_bytes, static_cast<int>(header->width), static_cast<int>(header->height),
                       static_cast<qsizetype>(header->width) * 3, QImage::Format_BGR888);
      newest_ = Frame{bgr.convertToFormat(QImage::Format_RGB888), header->index, header->millifps / 1000.0};
    } else {
      ++skipped_;
    }
    at += header_bytes + pixels;
  }
  buffer_.remove(0, at);
  return true;
}

std::optional<PreviewStream::Frame> PreviewStream::take() {
  auto frame = std::move(newest_);
  newest_.reset();
  return frame;
}

}  // namespace dlc::gui
