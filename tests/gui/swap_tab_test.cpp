// The swap tab driven as a user drives it: paths in the pickers, the switches, a click on Start
// (the save dialog answered by the test), then the `dlc run` child this build made, on the Debian
// photos with the fixture swapper and BlazeFace.
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QProcess>
#include <QProgressBar>
#include <QTabWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <csignal>
#include <cstdlib>

#include "gui/dlc_process.hpp"
#include "gui/main_window.hpp"
#include "gui/memory_panel.hpp"
#include "gui/swap_tab.hpp"
#include "gui_test_support.hpp"

using dlc::gui::FaceEnhancer;
using dlc::gui::JobSettings;
using dlc::gui::MainWindow;
using dlc::gui::SwapTab;
using dlc::gui::test::kGrace;
using dlc::gui::test::kSource;
using dlc::gui::test::mean_difference;
using dlc::gui::test::run;

namespace {

// The value after flag in args, or a null string.
QString value_of(const QStringList& args, const QString& flag) {
  const auto at = args.indexOf(flag);
  return at >= 0 && at + 1 < args.size() ? args[at + 1] : QString();
}

// The box of the pixels where two images of one size differ by more than 40 in a channel.
QRect changed_box(const QImage& a, const QImage& b) {
  const QImage x = a.convertToFormat(QImage::Format_RGB888);
  const QImage y = b.convertToFormat(QImage::Format_RGB888);
  QRect box;
  for (int row = 0; row < x.height() && x.size() == y.size(); ++row) {
    const uchar* p = x.constScanLine(row);
    const uchar* q = y.constScanLine(row);
    for (int i = 0; i < x.width() * 3; ++i) {
      if (std::abs(int(p[i]) - int(q[i])) > 40) box |= QRect(i / 3, row, 1, 1);
    }
  }
  return box;
}

}  // namespace

class SwapTabTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    if (const auto why = dlc::gui::test::missing_inputs(); !why.isEmpty()) QSKIP(qPrintable(why));
    QVERIFY(dir_.isValid());
    // The swapper and its recognizer from the fixtures; BlazeFace and dlib's points find faces.
    QDir().mkpath(models());
    for (const char* name : {"w600k_r50.onnx", "inswapper_128.onnx"}) {
      QVERIFY(QFile::copy(QString(DLC_FIXTURE_DIR "/") + name, models() + "/" + name));
    }
    // The two photos side by side, 512 high: two faces.
    QCOMPARE(dlc::gui::test::write_two_photos(dir_.filePath("two.png")), 0);
  }

  void init() {
    window_ = std::make_unique<MainWindow>();
    JobSettings s;
    s.models_dir = models();
    s.extra_arguments = {"--execution-threads", "2", "--memory-monitor-interval", "0"};
    tab()->set_settings(s);
    tab()->set_output_chooser([this](const QString&) { return output_; });
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
  }
  void cleanup() { window_.reset(); }

  void manyFacesOnChangesEveryFace() {
    const QImage before(dir_.filePath("two.png"));
    const QRect left(0, 0, before.width() / 2, before.height());
    const QRect right(before.width() / 2, 0, before.width() - before.width() / 2, before.height());
    for (const bool many : {false, true}) {
      output_ = dir_.filePath(many ? "many.png" : "one.png");
      tab()->set_source(kSource);
      tab()->set_target(dir_.filePath("two.png"));
      tab()->many_faces_box()->setChecked(many);
      const int code = start_and_wait();
      QCOMPARE(code, 0);
      QCOMPARE(tab()->result_label()->text(), "Wrote " + output_);
      const QImage after(output_);
      QCOMPARE(after.size(), before.size());
      const double l = mean_difference(before, after, left);
      const double r = mean_difference(before, after, right);
      qInfo("many faces %s: left half changed by %.2f, right half by %.2f (mean |difference| per value)",
            many ? "on" : "off", l, r);
      QVERIFY2(l > 0.5, "the leftmost face was not swapped");
      if (many) {
        QVERIFY2(r > 0.5, "Many faces on, but the second face was left alone");
      } else {
        QVERIFY2(r < 0.05, "Many faces off, but the second face changed");
      }
    }
  }

  void aVideoRunsToTheEndWithProgress() {
    const auto clip = make_clip("clip.mp4", 2);
    output_ = dir_.filePath("clip-out.mp4");
    tab()->set_source(kSource);
    tab()->set_target(clip);
    // The longest time the event loop did not turn while the job ran: a 10 ms timer's gaps.
    QElapsedTimer clock;
    qint64 last = 0;
    qint64 longest = 0;
    QTimer probe;
    probe.setInterval(10);
    QStringList slow;  // the gaps over 50 ms: when, how long
    connect(&probe, &QTimer::timeout, this, [&] {
      const auto now = clock.elapsed();
      if (now - last > 50) slow << QString("%1 ms at %2 ms").arg(now - last).arg(last);
      longest = std::max(longest, now - last);
      last = now;
    });
    QSignalSpy progress(tab()->findChild<dlc::gui::DlcProcess*>(), &dlc::gui::DlcProcess::progress);
    clock.start();
    probe.start();
    // The same probe with no job first: what the machine's load alone costs.
    QTest::qWait(3000);
    const auto idle_longest = longest;
    const auto idle_slow = slow.join(", ");
    longest = 0;
    slow.clear();
    const auto job_start = clock.elapsed();
    const int code = start_and_wait();
    probe.stop();
    QCOMPARE(code, 0);
    qInfo("event loop, a 10 ms timer's longest gap between turns: %lld ms while the video ran (%lld ms), %lld ms "
          "idle before it (3000 ms); gaps over 50 ms, job: %s; idle: %s", longest, clock.elapsed() - job_start,
          idle_longest, qPrintable(slow.join(", ")), qPrintable(idle_slow));
    QVERIFY(progress.count() >= 1);
    QCOMPARE(tab()->progress_bar()->value(), 50);
    QCOMPARE(tab()->progress_bar()->maximum(), 50);
    QVERIFY(QFileInfo(output_).size() > 0);
    QByteArray frames;
    QCOMPARE(run("ffprobe", {"-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                             "stream=nb_read_frames,width,height", "-of", "csv=p=0", output_},
                 &frames),
             0);
    QCOMPARE(QString(frames).trimmed(), QString("320,240,50"));
  }

  // The Memory tab while a Swap tab video job runs: its plot is fed by the job's memory events
  // (one a second), and the job got the Memory tab's budget.
  void theMemoryTabFollowsASwapJob() {
    QTemporaryDir out;
    output_ = out.filePath("long-out.mp4");
    tab()->set_source(kSource);
    tab()->set_target(make_clip("long.mp4", 20));
    window_->memory_panel()->maxMemoryBox()->setValue(1.0);
    window_->resize(900, 760);
    QSignalSpy finished(tab(), &SwapTab::jobFinished);
    QTest::mouseClick(tab()->start_button(), Qt::LeftButton);
    window_->tabs()->setCurrentWidget(window_->memory_panel());
    const auto& samples = window_->memory_panel()->plot()->samples();
    QTRY_VERIFY_WITH_TIMEOUT(samples.size() >= 4 || !tab()->job_running(), 60000);
    QVERIFY2(samples.size() >= 4, "the job ended before four memory samples");
    const auto budget = samples.back().budget_bytes;
    qInfo("memory tab: %zu samples, RSS %.1f MiB, budget %llu bytes", samples.size(),
          static_cast<double>(samples.back().rss_bytes) / (1024.0 * 1024.0), static_cast<unsigned long long>(budget));
    QVERIFY2(budget >= 950'000'000ULL && budget <= 1'100'000'000ULL, "the Memory tab's 1 GB did not reach the job");
    QVERIFY(samples.back().rss_bytes > 0);
    // DLC_GUI_MEMORY_SCREENSHOT=FILE saves the tab as it is now, in 256 colours.
    if (const auto path = qEnvironmentVariable("DLC_GUI_MEMORY_SCREENSHOT"); !path.isEmpty()) {
      const auto picture = window_->grab().toImage().convertToFormat(QImage::Format_RGB444).convertToFormat(
          QImage::Format_Indexed8, Qt::AvoidDither);
      QVERIFY(picture.save(path, "PNG", 0));
    }
    QTest::mouseClick(tab()->cancel_button(), Qt::LeftButton);
    QVERIFY(finished.wait(30000));
  }

  void cancelMidVideoLeavesNothing() {
    QTemporaryDir out;
    const auto clip = make_clip("long.mp4", 20);
    output_ = out.filePath("long-out.mp4");
    tab()->set_source(kSource);
    tab()->set_target(clip);
    auto* process = tab()->findChild<dlc::gui::DlcProcess*>();
    QSignalSpy progress(process, &dlc::gui::DlcProcess::progress);
    QSignalSpy finished(tab(), &SwapTab::jobFinished);
    QTest::mouseClick(tab()->start_button(), Qt::LeftButton);
    QVERIFY(progress.wait(60000));
    QVERIFY(tab()->cancel_button()->isEnabled());
    QTest::mouseClick(tab()->cancel_button(), Qt::LeftButton);
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.at(0).at(0).toInt(), 128 + SIGINT);
    QVERIFY2(tab()->error_label()->text().contains("nothing was written"), qPrintable(tab()->error_label()->text()));
    QVERIFY(!QFile::exists(output_));
    QCOMPARE(QDir(out.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot), QStringList());
    QVERIFY(tab()->start_button()->isEnabled());
  }

  void aMissingEnhancerIsAMessageNotACrash() {
    output_ = dir_.filePath("enhanced.png");
    tab()->set_source(kSource);
    tab()->set_target(kGrace);
    tab()->enhancer_box()->setCurrentText("GFPGAN");
    QCOMPARE(start_and_wait(), 4);
    const auto text = tab()->error_label()->text();
    QVERIFY2(text.contains("dlc models download"), qPrintable(text));
    QVERIFY(!QFile::exists(output_));
    // Still usable: None, Start again, and it works.
    QVERIFY(tab()->start_button()->isEnabled());
    tab()->enhancer_box()->setCurrentText("None");
    QCOMPARE(start_and_wait(), 0);
    QVERIFY(QFile::exists(output_));
    QVERIFY(tab()->error_label()->text().isEmpty());
  }

  void aMissingSourceSaysWhatToDo() {
    output_ = dir_.filePath("never.png");
    tab()->set_source(dir_.filePath("no-such-face.png"));
    tab()->set_target(kGrace);
    QCOMPARE(start_and_wait(), 3);
    QVERIFY2(tab()->error_label()->text().contains("no-such-face.png"), qPrintable(tab()->error_label()->text()));
    QVERIFY(tab()->start_button()->isEnabled());
  }

  void previewShowsTheSwappedImage() {
    tab()->set_source(kSource);
    tab()->set_target(kGrace);
    QSignalSpy finished(tab()->findChild<dlc::gui::DlcProcess*>(), &dlc::gui::DlcProcess::finished);
    QTest::mouseClick(tab()->preview_button(), Qt::LeftButton);
    QVERIFY(finished.wait(120000));
    QCOMPARE(finished.at(0).at(0).toInt(), 0);
    QVERIFY(!tab()->preview_label()->pixmap().isNull());
    // The README's picture: DLC_GUI_SCREENSHOT=FILE saves the window with its preview, in 256
    // colours to stay small.
    // The fixture swapper's face is noise: the picture shows the classic swapper (no model).
    if (const auto path = qEnvironmentVariable("DLC_GUI_SCREENSHOT"); !path.isEmpty()) {
      auto s = tab()->settings();
      s.models_dir = dir_.filePath("no-models");
      tab()->set_settings(s);
      window_->resize(640, 940);
      QTest::mouseClick(tab()->preview_button(), Qt::LeftButton);
      QVERIFY(finished.wait(120000));
      QCOMPARE(finished.last().at(0).toInt(), 0);
      QTRY_VERIFY_WITH_TIMEOUT(!tab()->target_thumbnail()->pixmap().isNull(), 10000);
      const auto picture = window_->grab().toImage().convertToFormat(QImage::Format_RGB444).convertToFormat(
          QImage::Format_Indexed8, Qt::AvoidDither);
      QVERIFY(picture.save(path, "PNG", 0));  // 0: the smallest file
    }
  }

  // Holding the Mouth mask slider: the preview shows the mask's outline at the size it is held at
  // (dlc run --draw-mouth-mask), along the mouth only, larger for a larger size; a drag previews
  // once it rests (the last size wins); released, the plain preview comes back.
  void holdingTheMouthMaskSliderOutlinesTheMask() {
    tab()->set_source(kSource);
    tab()->set_target(kGrace);
    auto* slider = tab()->mouth_mask_slider();
    slider->setValue(20);
    QSignalSpy shown(tab(), &SwapTab::previewShown);
    QTest::mouseClick(tab()->preview_button(), Qt::LeftButton);
    QVERIFY(shown.wait(120000));
    QCOMPARE(shown.last().at(0).toBool(), false);
    const auto plain_small = tab()->preview_image();
    slider->setSliderDown(true);  // pressed, as a mouse press on its handle does
    QVERIFY(shown.wait(120000));
    QCOMPARE(shown.last().at(0).toBool(), true);
    QVERIFY(tab()->preview_arguments().contains("--draw-mouth-mask"));
    const auto small = tab()->preview_image();
    const auto before_drag = shown.count();
    for (int v : {40, 60, 80}) slider->setValue(v);  // dragged, faster than the debounce
    QTRY_VERIFY_WITH_TIMEOUT(!tab()->job_running() && shown.count() > before_drag &&
                                 value_of(tab()->preview_arguments(), "--mouth-mask-size") == "80",
                             120000);
    QCOMPARE(shown.count(), before_drag + 1);  // one preview for the whole drag
    const auto large = tab()->preview_image();
    slider->setSliderDown(false);
    QVERIFY(shown.wait(120000));
    QCOMPARE(shown.last().at(0).toBool(), false);
    QVERIFY(!tab()->preview_arguments().contains("--draw-mouth-mask"));
    const auto plain_large = tab()->preview_image();
    const auto a = changed_box(plain_small, small);
    const auto b = changed_box(plain_large, large);
    qInfo("the outline's box at 20: %d,%d %dx%d; at 80: %d,%d %dx%d", a.x(), a.y(), a.width(), a.height(), b.x(), b.y(),
          b.width(), b.height());
    QVERIFY2(!a.isEmpty(), "the held slider's preview is the plain one");
    // Grace Hopper's mouth is near (260, 280) in the 512×600 photo: the outline is around it.
    QVERIFY(a.left() > 150 && a.right() < 360 && a.top() > 200 && a.bottom() < 400);
    QVERIFY(b.contains(a));
    QVERIFY(b.width() * b.height() > 2 * a.width() * a.height());
    // DLC_GUI_MOUTH_SCREENSHOT=FILE: the window with the slider held at 50, the classic swapper's
    // face (the fixture swapper's is noise).
    if (const auto path = qEnvironmentVariable("DLC_GUI_MOUTH_SCREENSHOT"); !path.isEmpty()) {
      auto settings = tab()->settings();
      settings.models_dir = dir_.filePath("no-models");
      settings.mouth_mask = 50;
      tab()->set_settings(settings);
      window_->resize(640, 1000);
      slider->setSliderDown(true);
      QVERIFY(shown.wait(120000));
      QVERIFY(shown.last().at(0).toBool());
      QVERIFY(window_->grab().save(path));
      slider->setSliderDown(false);
      QVERIFY(shown.wait(120000));
    }
  }

  // A video target: the frame slider under the preview swaps the frame chosen.
  void aVideoFrameIsPreviewed() {
    tab()->set_source(kSource);
    tab()->set_target(make_clip("clip.mp4", 2));
    QTRY_VERIFY_WITH_TIMEOUT(tab()->preview_frame_slider()->isVisible(), 30000);
    QCOMPARE(tab()->preview_frame_slider()->maximum(), 49);
    tab()->preview_frame_slider()->setValue(25);
    QSignalSpy finished(tab()->findChild<dlc::gui::DlcProcess*>(), &dlc::gui::DlcProcess::finished);
    QTest::mouseClick(tab()->preview_button(), Qt::LeftButton);
    QVERIFY(finished.wait(120000));
    QCOMPARE(finished.at(0).at(0).toInt(), 0);
    const auto shown = tab()->preview_label()->pixmap();
    QVERIFY(!shown.isNull());
    QVERIFY2(std::abs(shown.width() * 3 - shown.height() * 4) <= 4, "not the 320x240 frame's shape");
  }

  void swapButtonOnlyForTwoImages() {
    tab()->set_source(kSource);
    tab()->set_target(kGrace);
    QVERIFY(tab()->swap_button()->isEnabled());
    QTest::mouseClick(tab()->swap_button(), Qt::LeftButton);
    QCOMPARE(tab()->settings().source, kGrace);
    QCOMPARE(tab()->settings().target, kSource);
    tab()->set_target(dir_.filePath("clip.mp4"));
    QVERIFY(!tab()->swap_button()->isEnabled());
  }

 private:
  SwapTab* tab() const { return window_->swap_tab(); }
  QString models() const { return dir_.filePath("models"); }

  // Grace Hopper's photo as a 320x240 video of seconds at 25 fps.
  QString make_clip(const QString& name, int seconds) {
    const auto path = dir_.filePath(name);
    if (QFile::exists(path)) return path;
    [&] {
      QCOMPARE(run("ffmpeg", {"-v", "error", "-nostdin", "-loop", "1", "-i", kGrace, "-vf",
                              "scale=-2:240,pad=320:240:(ow-iw)/2:0", "-t", QString::number(seconds), "-r", "25",
                              "-c:v", "libx264", "-pix_fmt", "yuv420p", path}),
               0);
    }();
    return path;
  }

  // Start, then the job's exit code once it ended (-1 if it did not within two minutes).
  int start_and_wait() {
    QSignalSpy finished(tab(), &SwapTab::jobFinished);
    QTest::mouseClick(tab()->start_button(), Qt::LeftButton);
    if (!finished.wait(120000)) return -1;
    return finished.at(0).at(0).toInt();
  }

  QTemporaryDir dir_;
  QString output_;
  std::unique_ptr<MainWindow> window_;
};

QTEST_MAIN(SwapTabTest)
#include "swap_tab_test.moc"
