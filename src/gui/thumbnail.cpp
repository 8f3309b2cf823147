#include "gui/thumbnail.hpp"

#include <QFileInfo>
#include <QImageReader>
#include <QCoreApplication>
#include <QPointer>
#include <QThreadPool>

namespace dlc::gui {
namespace {

const QStringList kImageSuffixes{"jpg", "jpeg", "png", "bmp", "webp", "tif", "tiff"};
const QStringList kVideoSuffixes{"mp4", "mkv", "mov", "avi", "webm", "m4v", "gif"};

QString patterns(const QStringList& suffixes) {
  QStringList out;
  for (const auto& s : suffixes) out << "*." + s << "*." + s.toUpper();
  return out.join(' ');
}

}  // namespace

bool is_image_file(const QString& path) { return kImageSuffixes.contains(QFileInfo(path).suffix().toLower()); }

QString image_filter() { return QString("Images (%1)").arg(patterns(kImageSuffixes)); }

QString media_filter() {
  return QString("Images and videos (%1 %2);;Images (%1);;Videos (%2)")
      .arg(patterns(kImageSuffixes), patterns(kVideoSuffixes));
}

FrameGrabber::FrameGrabber(QObject* parent) : QObject(parent) {
  connect(&ffmpeg_, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
    const auto png = ffmpeg_.readAllStandardOutput();
    QImage image;
    if (status == QProcess::NormalExit && code == 0) image.loadFromData(png, "PNG");
    if (image.isNull()) {
      emit failed(path_, QString::fromUtf8(ffmpeg_.readAllStandardError()).trimmed());
    } else {
      emit ready(path_, image);
    }
  });
  connect(&ffmpeg_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
    if (error == QProcess::FailedToStart) emit failed(path_, "cannot start ffmpeg: " + ffmpeg_.errorString());
  });
}

FrameGrabber::~FrameGrabber() {
  if (ffmpeg_.state() != QProcess::NotRunning) {
    ffmpeg_.kill();
    ffmpeg_.waitForFinished(2000);
  }
}

void FrameGrabber::load(const QString& path, double seconds) {
  if (ffmpeg_.state() != QProcess::NotRunning) {
    ffmpeg_.blockSignals(true);
    ffmpeg_.kill();
    ffmpeg_.waitForFinished(2000);
    ffmpeg_.blockSignals(false);
  }
  path_ = path;
  if (is_image_file(path)) {
    // Decoded on a pool thread; the result comes back through the event loop, and only while
    // this grabber still exists.
    QThreadPool::globalInstance()->start([guard = QPointer<FrameGrabber>(this), path] {
      QImageReader reader(path);
      reader.setAutoTransform(true);
      const QImage image = reader.read();
      const QString problem = reader.errorString();
      QMetaObject::invokeMethod(qApp, [guard, path, image, problem] {
        if (!guard || guard->path_ != path) return;
        if (image.isNull()) {
          emit guard->failed(path, problem);
        } else {
          emit guard->ready(path, image);
        }
      }, Qt::QueuedConnection);
    });
    return;
  }
  ffmpeg_.start("ffmpeg", {"-nostdin", "-v", "error", "-ss", QString::number(seconds, 'f', 3), "-i", path,
                           "-frames:v", "1", "-f", "image2pipe", "-c:v", "png", "-"});
}

}  // namespace dlc::gui
