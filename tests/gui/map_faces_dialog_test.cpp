// The map-faces dialog driven as a user drives it: Map faces on, Start, the scan's people listed
// (`dlc faces scan` of this build, the fixture recognizer and swapper), a source chosen for one
// of them, Submit, and the mapped `dlc run`: only that person's face changes.
#include <QCheckBox>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "gui/main_window.hpp"
#include "gui/map_faces_dialog.hpp"
#include "gui/swap_tab.hpp"
#include "gui_test_support.hpp"

using dlc::gui::JobSettings;
using dlc::gui::MainWindow;
using dlc::gui::MapFacesDialog;
using dlc::gui::SwapTab;
using dlc::gui::test::kGrace;
using dlc::gui::test::kSource;
using dlc::gui::test::mean_difference;
using dlc::gui::test::run;

class MapFacesDialogTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    if (const auto why = dlc::gui::test::missing_inputs(); !why.isEmpty()) QSKIP(qPrintable(why));
    QVERIFY(dir_.isValid());
    // The fixture recognizer embeds a face's mean colour: the astronaut and Grace Hopper are two
    // people to it.
    for (const char* name : {"w600k_r50.onnx", "inswapper_128.onnx"}) {
      QVERIFY(QDir().mkpath(models("both")));
      QVERIFY(QFile::copy(QString(DLC_FIXTURE_DIR "/") + name, models("both") + "/" + name));
    }
    QVERIFY(QDir().mkpath(models("swapper")));
    QVERIFY(QFile::copy(QString(DLC_FIXTURE_DIR "/inswapper_128.onnx"), models("swapper") + "/inswapper_128.onnx"));
    // The two photos side by side, 512 high: two faces, two people.
    QCOMPARE(dlc::gui::test::write_two_photos(dir_.filePath("two.png")), 0);
  }

  void init() {
    window_ = std::make_unique<MainWindow>();
    JobSettings s;
    s.models_dir = models("both");
    s.extra_arguments = {"--execution-threads", "2"};
    tab()->set_settings(s);
    tab()->set_output_chooser([this](const QString&) { return output_; });
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
  }
  void cleanup() { window_.reset(); }

  void anImagesPeopleAreListedAndOneIsSwapped() {
    output_ = dir_.filePath("mapped.png");
    tab()->set_target(dir_.filePath("two.png"));
    tab()->map_faces_box()->setChecked(true);
    auto* dialog = start_scan();
    QVERIFY(dialog != nullptr);
    QCOMPARE(dialog->people(), 2);
    QVERIFY(!dialog->submit_button()->isEnabled());  // nobody to swap yet
    QVERIFY(dialog->select_button(1)->isVisible());  // the rows are shown as soon as the scan ends
    // The scan's thumbnails are shown.
    QVERIFY(QFile::exists(QDir(dialog->folder()).filePath("person_1.png")));
    // "Select source" on the first person (the file dialog answered by the test).
    dialog->set_source_chooser([](int) { return kGrace; });
    QTest::mouseClick(dialog->select_button(0), Qt::LeftButton);
    QVERIFY(!dialog->source_thumbnail(0)->pixmap().isNull());
    QVERIFY(dialog->source_thumbnail(1)->pixmap().isNull());
    QVERIFY(dialog->submit_button()->isEnabled());
    // DLC_GUI_MAP_SCREENSHOT=FILE saves the dialog as the user sees it now.
    if (const auto path = qEnvironmentVariable("DLC_GUI_MAP_SCREENSHOT"); !path.isEmpty()) QVERIFY(dialog->grab().save(path));
    QSignalSpy finished(tab(), &SwapTab::jobFinished);
    QTest::mouseClick(dialog->submit_button(), Qt::LeftButton);
    QVERIFY(finished.wait(120000));
    QCOMPARE(finished.at(0).at(0).toInt(), 0);
    QVERIFY2(tab()->error_label()->text().isEmpty(), qPrintable(tab()->error_label()->text()));
    // The mapping written: the first person's source set, the second's left empty.
    QFile file(dialog->mapping_file());
    QVERIFY(file.open(QIODevice::ReadOnly));
    const auto mappings = QJsonDocument::fromJson(file.readAll()).object().value("mappings").toArray();
    QCOMPARE(mappings.size(), 2);
    QCOMPARE(mappings[0].toObject().value("source").toString(), kGrace);
    QCOMPARE(mappings[1].toObject().value("source").toString(), QString());
    // Exactly one of the two halves changed.
    const auto [l, r] = halves_changed();
    qInfo("one person mapped: left half changed by %.2f, right half by %.2f (mean |difference| per value)", l, r);
    QVERIFY2(l >= 0, "the output's size is not the target's");
    QVERIFY2(std::max(l, r) > 0.5, "the mapped person was not swapped");
    QVERIFY2(std::min(l, r) < 0.05, "the unmapped person changed too");
  }

  // dlc-gui -t two.png --map-faces FILE: Start opens the dialog with that file's mapping (its
  // source, given relative to the file, filled in; no scan), and Submit runs it.
  void aGivenMappingFileIsShownAndReachesTheJob() {
    QVERIFY(QDir().mkpath(dir_.filePath("given")));
    QFile::remove(dir_.filePath("given/astronaut.png"));
    QVERIFY(QFile::copy(kSource, dir_.filePath("given/astronaut.png")));
    const auto file = dir_.filePath("given/mapping.json");
    QFile out(file);
    QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
    out.write(R"({"mappings": [{"source": "astronaut.png", "target_face": 1}]})");
    out.close();
    auto s = tab()->settings();
    QVERIFY(!s.apply_command_line({"-t", dir_.filePath("two.png"), "--map-faces", file}));
    tab()->set_settings(s);
    QVERIFY(tab()->map_faces_box()->isChecked());
    output_ = dir_.filePath("given-mapped.png");
    QTest::mouseClick(tab()->start_button(), Qt::LeftButton);
    auto* dialog = tab()->map_faces_dialog();
    QVERIFY(dialog != nullptr);
    QVERIFY(!dialog->scanning());
    QCOMPARE(dialog->people(), 1);
    QCOMPARE(dialog->source(0), dir_.filePath("given/astronaut.png"));
    QVERIFY(!dialog->source_thumbnail(0)->pixmap().isNull());
    QVERIFY(dialog->submit_button()->isEnabled());
    QVERIFY(dialog->scan_button()->isVisible());
    QSignalSpy finished(tab(), &SwapTab::jobFinished);
    QTest::mouseClick(dialog->submit_button(), Qt::LeftButton);
    QVERIFY(finished.wait(120000));
    QCOMPARE(finished.at(0).at(0).toInt(), 0);
    // The file's mapping reached the job: the second face from the left (Grace Hopper) changed,
    // the first did not.
    const auto [l, r] = halves_changed();
    qInfo("the given mapping (target_face 1): left half changed by %.2f, right half by %.2f", l, r);
    QVERIFY2(l >= 0, "the output's size is not the target's");
    QVERIFY2(r > 0.5, "the mapped face was not swapped");
    QVERIFY2(l < 0.05, "the unmapped face changed too");
    // Another target: the mapping was the first one's, so Map faces scans the new one.
    tab()->set_target(dir_.filePath("given/astronaut.png"));
    QTest::mouseClick(tab()->map_faces_button(), Qt::LeftButton);
    QVERIFY(tab()->map_faces_dialog()->scanning());
    QVERIFY(!tab()->map_faces_dialog()->scan_button()->isVisible());
  }

  // A mapping file that cannot be used is named in the dialog, which stays usable (Scan the target).
  void anUnreadableMappingFileIsNamed() {
    const auto file = dir_.filePath("broken.json");
    QFile out(file);
    QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
    out.write("{not json");
    out.close();
    auto s = tab()->settings();
    QVERIFY(!s.apply_command_line({"-t", dir_.filePath("two.png"), "--map-faces", file}));
    tab()->set_settings(s);
    QTest::mouseClick(tab()->start_button(), Qt::LeftButton);
    auto* dialog = tab()->map_faces_dialog();
    QVERIFY(dialog != nullptr);
    QVERIFY2(dialog->error_label()->text().contains(file) && dialog->error_label()->text().contains("not JSON"),
             qPrintable(dialog->error_label()->text()));
    QCOMPARE(dialog->people(), 0);
    QSignalSpy scanned(dialog, &MapFacesDialog::scanned);
    QTest::mouseClick(dialog->scan_button(), Qt::LeftButton);
    QVERIFY(scanned.wait(120000));
    QCOMPARE(scanned.at(0).at(0).toInt(), 0);
    QCOMPARE(dialog->people(), 2);
  }

  void aVideosPeopleAreListed() {
    // The two photos as a one-second clip, the astronaut tinted green (as tests/support/people_clip
    // does: to the fixture recognizer, untinted, the two are one person): one row per person.
    const auto clip = dir_.filePath("two.mp4");
    QCOMPARE(run("ffmpeg", {"-v", "error", "-nostdin", "-loop", "1", "-i", kSource, "-loop", "1", "-i", kGrace,
                            "-filter_complex",
                            "[0]scale=-2:256,lutrgb=r=val*0.3:g=min(255\\,val+60):b=val/5[a];[1]scale=-2:256[b];[a][b]hstack",
                            "-t", "1", "-r", "10", "-c:v", "libx264", "-pix_fmt", "yuv420p", clip}),
             0);
    output_ = dir_.filePath("two-mapped.mp4");
    tab()->set_target(clip);
    QTest::mouseClick(tab()->map_faces_button(), Qt::LeftButton);  // Map faces… turns the switch on
    QVERIFY(tab()->map_faces_box()->isChecked());
    auto* dialog = scanned_dialog();
    QVERIFY(dialog != nullptr);
    QCOMPARE(dialog->people(), 2);
    dialog->set_source(1, kSource);
    QSignalSpy finished(tab(), &SwapTab::jobFinished);
    QTest::mouseClick(dialog->submit_button(), Qt::LeftButton);
    QVERIFY(finished.wait(120000));
    QCOMPARE(finished.at(0).at(0).toInt(), 0);
    QVERIFY(QFileInfo(output_).size() > 0);
    QFile file(dialog->mapping_file());
    QVERIFY(file.open(QIODevice::ReadOnly));
    const auto mappings = QJsonDocument::fromJson(file.readAll()).object().value("mappings").toArray();
    QCOMPARE(mappings[1].toObject().value("faces").toInt(), 10);  // in each of the 10 frames
    QCOMPARE(mappings[1].toObject().value("source").toString(), kSource);
  }

  void aMissingRecognizerSaysWhatToDo() {
    auto s = tab()->settings();
    s.models_dir = models("swapper");  // no recognizer
    tab()->set_settings(s);
    tab()->set_target(dir_.filePath("two.png"));
    tab()->map_faces_box()->setChecked(true);
    QSignalSpy opened(tab(), &SwapTab::mapFacesOpened);
    QTest::mouseClick(tab()->start_button(), Qt::LeftButton);
    QCOMPARE(opened.count(), 1);
    auto* dialog = tab()->map_faces_dialog();
    QSignalSpy scanned(dialog, &MapFacesDialog::scanned);
    QVERIFY(scanned.wait(60000));
    QCOMPARE(scanned.at(0).at(0).toInt(), 4);
    const auto text = dialog->error_label()->text();
    QVERIFY2(text.contains("w600k_r50.onnx") && text.contains("dlc models download recognizer"), qPrintable(text));
    QCOMPARE(dialog->people(), 0);
    QVERIFY(!dialog->submit_button()->isEnabled());
    // The window is still usable: the dialog closes, Start is there.
    dialog->reject();
    QVERIFY(tab()->start_button()->isEnabled());
  }

 private:
  SwapTab* tab() const { return window_->swap_tab(); }
  // How much the output's left and right halves differ from two.png's (mean |difference| per
  // value); -1 each when the sizes differ.
  std::pair<double, double> halves_changed() const {
    const QImage before(dir_.filePath("two.png"));
    const QImage after(output_);
    if (after.size() != before.size()) return {-1, -1};
    const int half = before.width() / 2;
    return {mean_difference(before, after, QRect(0, 0, half, before.height())),
            mean_difference(before, after, QRect(half, 0, before.width() - half, before.height()))};
  }
  QString models(const QString& name) const { return dir_.filePath("models-" + name); }

  // Start with Map faces on: the dialog once its scan ended well (null otherwise).
  MapFacesDialog* start_scan() {
    QTest::mouseClick(tab()->start_button(), Qt::LeftButton);
    return scanned_dialog();
  }
  MapFacesDialog* scanned_dialog() {
    auto* dialog = tab()->map_faces_dialog();
    if (dialog == nullptr) return nullptr;
    QSignalSpy scanned(dialog, &MapFacesDialog::scanned);
    if (!scanned.wait(120000) || scanned.at(0).at(0).toInt() != 0) {
      qWarning("the scan failed: %s", qPrintable(dialog->error_label()->text()));
      return nullptr;
    }
    return dialog;
  }

  QTemporaryDir dir_;
  QString output_;
  std::unique_ptr<MainWindow> window_;
};

QTEST_MAIN(MapFacesDialogTest)
#include "map_faces_dialog_test.moc"
