#pragma once

#include <QImage>
#include <QObject>
#include <QProcess>
#include <QString>

namespace dlc::gui {

// Image files by extension, as `dlc run` tells an image target from a video.
bool is_image_file(const QString& path);
// The file dialogs' filters: the source's images, the target's images and videos.
QString image_filter();
QString media_filter();

// One frame of a file for the window, read off the UI thread: an image through QImageReader, a
// video's frame through an `ffmpeg` child writing one PNG to a pipe (argv only). ready() comes
// once per load(); a file that cannot be read gives a null image and failed() with the reason.
class FrameGrabber : public QObject {
  Q_OBJECT

 public:
  explicit FrameGrabber(QObject* parent = nullptr);
  ~FrameGrabber() override;
  // seconds: where in a video (ignored for an image). A load replaces the one in flight.
  void load(const QString& path, double seconds = 0.0);

 signals:
  void ready(const QString& path, const QImage& image);
  void failed(const QString& path, const QString& reason);

 private:
  QProcess ffmpeg_;
  QString path_;
};

}  // namespace dlc::gui
