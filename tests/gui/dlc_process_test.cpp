#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QSignalSpy>
#include <QTest>

#include "gui/dlc_process.hpp"
#include "gui_test_support.hpp"

using dlc::gui::DlcProcess;

namespace {

// ffmpeg's test pattern (no face) as an H.264 video of seconds at 25 fps.
bool make_pattern(const QString& path, const QString& size, int seconds) {
  QProcess ffmpeg;
  ffmpeg.start("ffmpeg", {"-v", "error", "-nostdin", "-f", "lavfi", "-i", "testsrc2=size=" + size + ":rate=25", "-t",
                          QString::number(seconds), "-c:v", "libx264", "-pix_fmt", "yuv420p", path});
  return ffmpeg.waitForFinished(60000) && ffmpeg.exitCode() == 0;
}

}  // namespace

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

  // --events json: the plan, a progress line at the end and the done line of a video, as signals;
  // none of them reaches logLine.
  void aVideoJobsEventsBecomeSignals() {
    const QString& source = dlc::gui::test::kSource;
    if (!QFile::exists(source)) QSKIP("the Debian photos are missing: run scripts/setup.sh");
    QTemporaryDir dir;
    QVERIFY(make_pattern(dir.filePath("clip.mp4"), "160x120", 1));
    DlcProcess process;
    QSignalSpy planned(&process, &DlcProcess::planned);
    QSignalSpy progress(&process, &DlcProcess::progress);
    QSignalSpy done(&process, &DlcProcess::done);
    QSignalSpy finished(&process, &DlcProcess::finished);
    QStringList log;
    connect(&process, &DlcProcess::logLine, this, [&log](const QString& line) { log << line; });
    // No model at all: BlazeFace and the classic swapper (a test pattern has no face: frames pass).
    process.start({"run", "-s", source, "-t", dir.filePath("clip.mp4"), "-o", dir.filePath("out.mp4"), "--models-dir",
                   dir.filePath("no-models"), "--events", "json", "--execution-threads", "2"});
    QVERIFY(finished.wait(120000));
    QCOMPARE(finished.at(0).at(0).toInt(), 0);
    QCOMPARE(planned.count(), 1);
    const auto plan = planned.at(0).at(0).value<dlc::gui::JobPlan>();
    QCOMPARE(plan.strategy, std::string("resident"));
    QVERIFY(plan.fits && plan.budget_bytes > 0 && plan.planned_bytes > 0 && !plan.lines.empty());
    QVERIFY(progress.count() >= 1);
    const auto last = progress.last().at(0).value<dlc::gui::Progress>();
    QCOMPARE(last.frame, 25);
    QCOMPARE(last.frames, 25);
    QCOMPARE(done.count(), 1);
    QCOMPARE(QString::fromStdString(done.at(0).at(0).value<dlc::gui::JobDone>().output), dir.filePath("out.mp4"));
    QCOMPARE(done.at(0).at(0).value<dlc::gui::JobDone>().frames, 25);
    for (const auto& line : log) QVERIFY2(!line.startsWith("{"), qPrintable(line));
  }

  // A long enough job gives memory lines every second, with dlc's RSS and the budget.
  void memoryEventsComeEverySecond() {
    const QString& source = dlc::gui::test::kSource;
    if (!QFile::exists(source)) QSKIP("the Debian photos are missing: run scripts/setup.sh");
    QTemporaryDir dir;
    QVERIFY(make_pattern(dir.filePath("clip.mp4"), "640x480", 20));
    DlcProcess process;
    QSignalSpy memory(&process, &DlcProcess::memorySample);
    QSignalSpy finished(&process, &DlcProcess::finished);
    process.start({"run", "-s", source, "-t", dir.filePath("clip.mp4"), "-o", dir.filePath("out.mp4"), "--models-dir",
                   dir.filePath("no-models"), "--events", "json", "--execution-threads", "2", "--max-memory", "3"});
    QVERIFY(memory.wait(60000));
    const auto m = memory.at(0).at(0).value<dlc::gui::MemorySample>();
    QVERIFY(m.rss_bytes > 10'000'000);
    QVERIFY(m.tree_rss_bytes >= m.rss_bytes);
    QCOMPARE(m.budget_bytes, 3ULL << 30);
    QVERIFY(m.system_total_bytes > 0);
    process.cancel();
    QVERIFY(finished.wait(30000));
  }

  // The error event's message is what finished() carries.
  void anErrorEventGivesTheMessage() {
    DlcProcess process;
    QSignalSpy finished(&process, &DlcProcess::finished);
    process.start({"run", "-s", "/nonexistent/face.png", "-t", "/nonexistent/target.png", "-o",
                   QDir::temp().filePath("dlc-gui-test-out.png"), "--events", "json"});
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.at(0).at(0).toInt(), 3);
    QVERIFY2(finished.at(0).at(1).toString().startsWith("source '/nonexistent/face.png'"),
             qPrintable(finished.at(0).at(1).toString()));
  }
};

QTEST_MAIN(DlcProcessTest)
#include "dlc_process_test.moc"
