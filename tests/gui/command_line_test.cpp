#include <QProcess>
#include <QProcessEnvironment>
#include <QTest>

#include "gui/command_line.hpp"

namespace {

struct Ran {
  int exit_code = -1;
  QString out;
  QString err;
};

// dlc-gui run as a user without a display would (no DISPLAY, no WAYLAND_DISPLAY).
Ran run_without_display(const QStringList& args) {
  QProcess p;
  auto env = QProcessEnvironment::systemEnvironment();
  env.remove("DISPLAY");
  env.remove("WAYLAND_DISPLAY");
  p.setProcessEnvironment(env);
  p.start(DLC_GUI_BINARY, args);
  Ran ran;
  if (!p.waitForFinished(60000)) return ran;
  ran.exit_code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  ran.out = QString::fromLocal8Bit(p.readAllStandardOutput());
  ran.err = QString::fromLocal8Bit(p.readAllStandardError());
  return ran;
}

}  // namespace

class CommandLineTest : public QObject {
  Q_OBJECT

 private slots:
  void helpNeedsNoDisplay() {
    for (const QString flag : {"--help", "-h"}) {
      const auto ran = run_without_display({flag});
      QVERIFY2(ran.exit_code == 0, qPrintable(QString("%1: exit %2, %3").arg(flag).arg(ran.exit_code).arg(ran.err)));
      QVERIFY2(ran.out.startsWith("usage: dlc-gui"), qPrintable(ran.out));
    }
  }

  void versionNeedsNoDisplay() {
    const auto ran = run_without_display({"--version"});
    QCOMPARE(ran.exit_code, 0);
    QVERIFY2(ran.out.startsWith("dlc-gui "), qPrintable(ran.out));
  }

  // A value out of a control's range, and a flag dlc does not know: one line, exit 2, no window.
  void aBadFlagIsOneLineAndExit2() {
    const auto bad_value = run_without_display({"--opacity", "2"});
    QCOMPARE(bad_value.exit_code, 2);
    QCOMPARE(bad_value.err, QString("dlc-gui: --opacity: '2' is out of range (allowed: 0 to 1)\n"));
    const auto unknown = run_without_display({"--many-faces", "--no-such-flag"});
    QCOMPARE(unknown.exit_code, 2);
    QVERIFY2(unknown.err.startsWith("dlc-gui: ") && unknown.err.contains("--no-such-flag") && unknown.err.count('\n') == 1,
             qPrintable(unknown.err));
    const auto refused = run_without_display({"--face-detector", "nope"});
    QCOMPARE(refused.exit_code, 2);
    QVERIFY2(refused.err.contains("--face-detector") && refused.err.contains("'nope'"), qPrintable(refused.err));
  }

  void qtsOwnOptionsAreLeftToQt() {
    QCOMPARE(dlc::gui::without_qt_options({"-platform", "offscreen", "-s", "a.png", "-style=fusion", "-reverse",
                                           "--many-faces", "--display", ":1"}),
             QStringList({"-s", "a.png", "--many-faces"}));
  }
};

QTEST_GUILESS_MAIN(CommandLineTest)
#include "command_line_test.moc"
