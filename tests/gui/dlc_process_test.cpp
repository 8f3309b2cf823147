#include <QDir>
#include <QSignalSpy>
#include <QTest>

#include "gui/dlc_process.hpp"

using dlc::gui::DlcProcess;

class DlcProcessTest : public QObject {
  Q_OBJECT

 private slots:
  void versionExitsZero() {
    DlcProcess process;
    QSignalSpy finished(&process, &DlcProcess::finished);
    process.start({"--version"});
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.at(0).at(0).toInt(), 0);
    QVERIFY(finished.at(0).at(1).toString().isEmpty());
  }

  void aMissingSourceGivesDlcsExitCodeAndItsMessage() {
    DlcProcess process;
    QSignalSpy finished(&process, &DlcProcess::finished);
    process.start({"run", "-s", "/nonexistent/face.png", "-t", "/nonexistent/target.png", "-o",
                   QDir::temp().filePath("dlc-gui-test-out.png")});
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.at(0).at(0).toInt(), 3);  // kExitBadInput
    QVERIFY2(finished.at(0).at(1).toString().contains("/nonexistent/face.png"),
             qPrintable(finished.at(0).at(1).toString()));
  }
};

QTEST_MAIN(DlcProcessTest)
#include "dlc_process_test.moc"
