#include <QTest>

#include "gui/preview_stream.hpp"
#include "pipeline/preview_format.hpp"

using dlc::gui::PreviewStream;

namespace {

// A w×h frame of one BGR colour, with its header.
QByteArray frame_bytes(int w, int h, std::int64_t index, std::uint32_t millifps, unsigned char b, unsigned char g,
                       unsigned char r) {
  QByteArray bytes(static_cast<qsizetype>(dlc::pipeline::kPreviewHeaderBytes), '\0');
  dlc::pipeline::encode_preview_header({static_cast<std::uint32_t>(w), static_cast<std::uint32_t>(h), millifps, index},
                                       reinterpret_cast<unsigned char*>(bytes.data()));
  for (int i = 0; i < w * h; ++i) bytes.append(static_cast<char>(b)).append(static_cast<char>(g)).append(static_cast<char>(r));
  return bytes;
}

}  // namespace

class PreviewStreamTest : public QObject {
  Q_OBJECT

 private slots:
  // Bytes in odd pieces: whole frames come out, the newest only, its colours as they were.
  void framesSplitAcrossChunksComeOutWhole() {
    const QByteArray stream = frame_bytes(8, 4, 0, 0, 255, 0, 0) + frame_bytes(8, 4, 1, 25000, 0, 0, 255);
    PreviewStream preview;
    for (qsizetype at = 0; at < stream.size(); at += 7) QVERIFY(preview.feed(stream.mid(at, 7), true));
    QCOMPARE(preview.frames(), 2);
    const auto frame = preview.take();
    QVERIFY(frame);
    QCOMPARE(frame->index, 1);
    QCOMPARE(frame->fps, 25.0);
    QCOMPARE(frame->image.size(), QSize(8, 4));
    QCOMPARE(frame->image.pixelColor(3, 2), QColor(255, 0, 0));  // BGR (0, 0, 255) is red
    QVERIFY(!preview.take());  // taken once
  }

  void onlyTheNewestOfAChunkIsMadeIntoAnImage() {
    PreviewStream preview;
    QVERIFY(preview.feed(frame_bytes(4, 4, 5, 0, 0, 255, 0) + frame_bytes(4, 4, 6, 0, 0, 255, 0) + frame_bytes(4, 4, 7, 0, 0, 255, 0), true));
    QCOMPARE(preview.frames(), 3);
    QCOMPARE(preview.skipped(), 2);
    QCOMPARE(preview.take()->index, 7);
  }

  void notWantedFramesAreSkipped() {
    PreviewStream preview;
    QVERIFY(preview.feed(frame_bytes(4, 4, 0, 0, 1, 2, 3), false));
    QCOMPARE(preview.frames(), 1);
    QCOMPARE(preview.skipped(), 1);
    QVERIFY(!preview.take());
  }

  void bytesThatAreNotAPreviewStreamFailIt() {
    PreviewStream preview;
    QVERIFY(!preview.feed(QByteArray(64, 'x'), true));
    QVERIFY(preview.failed());
    QVERIFY(!preview.feed(frame_bytes(4, 4, 0, 0, 1, 2, 3), true));
  }
};

QTEST_MAIN(PreviewStreamTest)
#include "preview_stream_test.moc"
