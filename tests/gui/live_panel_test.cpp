#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "gui/live_panel.hpp"

using dlc::gui::LivePanel;

namespace {

// Pixels of more than one colour: a picture, not a blank widget.
bool has_picture(const QImage& image) {
  if (image.isNull()) return false;
  const QRgb first = image.pixel(0, 0);
  int differing = 0;
  for (int y = 0; y < image.height(); y += 4) {
    for (int x = 0; x < image.width(); x += 4) differing += image.pixel(x, y) != first ? 1 : 0;
  }
  return differing > (image.width() / 4) * (image.height() / 4) / 10;
}

}  // namespace

class LivePanelTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    clip_ = dir_.filePath("camera.mp4");
    // 6 s at 25 fps, so 3 s of it are live whatever the start-up takes.
    QProcess make;
    make.start(QString(DLC_SOURCE_DIR) + "/tools/make_test_video.sh", {clip_, "150", "640x360", "--no-audio"});
    QVERIFY(make.waitForFinished(120000));
    QCOMPARE(make.exitCode(), 0);
  }

  void theArgumentsFollowTheSwitches() {
    LivePanel panel;
    panel.setSourceFace("/faces/a.png");
    panel.addCameraFile(clip_);
    panel.mirrorBox()->setChecked(true);
    panel.fixBlueishBox()->setChecked(true);
    panel.showFpsBox()->setChecked(true);
    panel.virtualCameraBox()->setChecked(true);
    panel.streamEdit()->setText("udp://127.0.0.1:5000");
    panel.setExtraArguments([] { return QStringList{"--max-memory", "4.0"}; });
    const QStringList expected{"live", "-s", "/faces/a.png", "--camera", clip_, "--headless", "--preview-pipe", "640x360", "--events", "json",
                               "--live-mirror", "--fix-blueish-cam", "--show-fps", "--virtual-camera",
                               "--stream", "udp://127.0.0.1:5000", "--max-memory", "4.0"};
    QCOMPARE(panel.liveArguments(), expected);
  }

  // A video file as the camera for 3 s: its frames are drawn in the widget, the FPS figure is
  // not zero, and Stop ends the session normally.
  void liveFromAFileCameraShowsFramesAndTheirRate() {
    LivePanel panel;
    panel.resize(800, 600);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    panel.setSourceFace(QString(DLC_SOURCE_DIR) + "/.cache/media/astronaut.png");
    panel.addCameraFile(clip_);
    panel.showFpsBox()->setChecked(true);
    QSignalSpy finished(&panel, &LivePanel::finished);
    QTest::mouseClick(panel.liveButton(), Qt::LeftButton);
    QCOMPARE(panel.liveButton()->text(), QString("Stop"));
    QTRY_VERIFY_WITH_TIMEOUT(panel.view()->framesDrawn() > 0, 60000);
    const auto first_frames = panel.stream().frames();
    QTest::qWait(3000);
    QVERIFY2(panel.stream().frames() > first_frames, "no frame came in 3 s");
    QTRY_VERIFY_WITH_TIMEOUT(panel.fps() > 0.0, 5000);
    QVERIFY2(panel.fpsLabel()->text().endsWith(" fps") && !panel.fpsLabel()->text().startsWith("0.0"),
             qPrintable(panel.fpsLabel()->text()));
    const QImage shown = panel.view()->grab().toImage();
    QVERIFY(has_picture(shown));
    const QString shots = qEnvironmentVariable("DLC_GUI_SCREENSHOTS");
    if (!shots.isEmpty()) panel.grab().save(QDir(shots).filePath("live.png"));
    QTest::mouseClick(panel.liveButton(), Qt::LeftButton);  // Stop
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.at(0).at(0).toInt(), 0);
    QCOMPARE(panel.liveButton()->text(), QString("Live"));
  }

  // While the view is hidden no image is made of the frames that come.
  void aHiddenPanelDrawsNothing() {
    LivePanel panel;
    panel.setSourceFace(QString(DLC_SOURCE_DIR) + "/.cache/media/astronaut.png");
    panel.addCameraFile(clip_);
    QSignalSpy finished(&panel, &LivePanel::finished);
    panel.startLive();  // never shown
    QTRY_VERIFY_WITH_TIMEOUT(panel.stream().frames() >= 10, 60000);
    QCOMPARE(panel.stream().skipped(), panel.stream().frames());
    QCOMPARE(panel.view()->framesDrawn(), 0);
    panel.stopLive();
    QVERIFY(finished.wait(30000));
  }

  // dlc's own error is shown: there is no v4l2loopback device here.
  void aMissingVirtualCameraShowsDlcsError() {
    LivePanel panel;
    panel.setSourceFace(QString(DLC_SOURCE_DIR) + "/.cache/media/astronaut.png");
    panel.addCameraFile(clip_);
    panel.virtualCameraBox()->setChecked(true);
    QSignalSpy finished(&panel, &LivePanel::finished);
    panel.startLive();
    QVERIFY(finished.wait(60000));
    QVERIFY(finished.at(0).at(0).toInt() != 0);
    QVERIFY2(finished.at(0).at(1).toString().contains("loopback", Qt::CaseInsensitive),
             qPrintable(finished.at(0).at(1).toString()));
    QVERIFY2(panel.statusLabel()->text().contains("loopback", Qt::CaseInsensitive), qPrintable(panel.statusLabel()->text()));
  }

 private:
  QTemporaryDir dir_;
  QString clip_;
};

QTEST_MAIN(LivePanelTest)
#include "live_panel_test.moc"
