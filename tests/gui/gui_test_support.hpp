#pragma once

#include <QByteArray>
#include <QFile>
#include <QImage>
#include <QProcess>
#include <QRect>
#include <QString>
#include <QStringList>

#include <cstdlib>

// What the window's tests share: the Debian photos, a child run to its end, an image comparison.
namespace dlc::gui::test {

inline const QString kSource = DLC_SOURCE_DIR "/.cache/media/astronaut.png";
inline const QString kGrace = DLC_SOURCE_DIR "/.cache/media/grace_hopper.jpg";

// Why a swapping test cannot run here (the photos or dlib's 68 points missing), empty when it can:
// `if (const auto why = missing_inputs(); !why.isEmpty()) QSKIP(qPrintable(why));`
inline QString missing_inputs() {
  if (!QFile::exists(kSource) || !QFile::exists(kGrace)) return "the Debian photos are missing: run scripts/setup.sh";
  if (!QFile::exists("/usr/share/dlib/shape_predictor_68_face_landmarks.dat")) {
    return "dlib's 68-point model is missing (Debian libdlib-data): run scripts/setup.sh";
  }
  return {};
}

// A program run to its end (two minutes at most): its exit code, -1 if it did not end; its stdout.
inline int run(const QString& program, const QStringList& args, QByteArray* out = nullptr) {
  QProcess p;
  p.start(program, args);
  if (!p.waitForFinished(120000)) return -1;
  if (out) *out = p.readAllStandardOutput();
  return p.exitCode();
}

// The two photos side by side, 512 high (two faces), as one image: ffmpeg's exit code.
inline int write_two_photos(const QString& path) {
  return run("ffmpeg", {"-v", "error", "-nostdin", "-i", kSource, "-i", kGrace, "-filter_complex",
                        "[0]scale=-2:512[a];[1]scale=-2:512[b];[a][b]hstack", "-frames:v", "1", path});
}

// The mean absolute difference of two images over a rectangle, per channel value.
inline double mean_difference(const QImage& a, const QImage& b, const QRect& area) {
  const QImage x = a.convertToFormat(QImage::Format_RGB888);
  const QImage y = b.convertToFormat(QImage::Format_RGB888);
  double sum = 0;
  for (int row = area.top(); row <= area.bottom(); ++row) {
    const uchar* p = x.constScanLine(row) + area.left() * 3;
    const uchar* q = y.constScanLine(row) + area.left() * 3;
    for (int i = 0; i < area.width() * 3; ++i) sum += std::abs(int(p[i]) - int(q[i]));
  }
  return sum / (double(area.width()) * area.height() * 3);
}

}  // namespace dlc::gui::test
