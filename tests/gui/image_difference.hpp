#pragma once

#include <QImage>
#include <QRect>

#include <cstdlib>

namespace dlc::gui::test {

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
