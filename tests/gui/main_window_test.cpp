#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QSettings>
#include <QTabWidget>
#include <QTest>

#include "gui/main_window.hpp"
#include "gui/live_panel.hpp"
#include "gui/memory_panel.hpp"
#include "gui/swap_tab.hpp"

class MainWindowTest : public QObject {
  Q_OBJECT

 private slots:
  void showsItsTabs() {
    dlc::gui::MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.tabs() != nullptr);
    QCOMPARE(window.centralWidget(), window.tabs());
    QCOMPARE(window.tabs()->widget(0), window.swap_tab());
  }

  // Closing the window keeps its controls for the next start.
  void closingSavesTheControls() {
    {
      dlc::gui::MainWindow window;
      window.show();
      QVERIFY(QTest::qWaitForWindowExposed(&window));
      auto s = window.settings();
      s.many_faces = true;
      s.opacity = 0.4;
      window.set_settings(s);
      window.live_panel()->mirrorBox()->setChecked(true);
      window.memory_panel()->maxMemoryBox()->setValue(6.0);
      window.close();
    }
    QSettings saved;
    const auto back = dlc::gui::JobSettings::load(saved);
    QVERIFY(back.many_faces);
    QCOMPARE(back.opacity, 0.4);
    QVERIFY(back.mirror);  // the Live tab's switch
    QCOMPARE(back.max_memory_gb.value_or(0), 6.0);  // the Memory tab's control
    saved.clear();
  }

  // Each setting has one control: the live switches are the Live tab's, the budget the Memory
  // tab's, and a swap job takes them from there; the window's settings go to those tabs.
  void oneControlPerSetting() {
    dlc::gui::MainWindow window;
    for (const QString label : {"Mirror", "Fix Blueish Cam", "Show FPS"}) {
      int boxes = 0;
      for (auto* box : window.findChildren<QCheckBox*>()) boxes += box->text() == label ? 1 : 0;
      QVERIFY2(boxes == 1, qPrintable(QString("%1 check boxes named %2").arg(boxes).arg(label)));
    }
    QCOMPARE(window.findChildren<QDoubleSpinBox*>().size(), 2);  // the Memory tab's two
    QVERIFY(window.swap_tab()->findChildren<QDoubleSpinBox*>().isEmpty());
    window.memory_panel()->maxMemoryBox()->setValue(3.5);
    window.memory_panel()->gpuFractionBox()->setValue(0.5);
    window.live_panel()->mirrorBox()->setChecked(true);
    const auto run = window.swap_tab()->settings().run_arguments();
    QCOMPARE(run.value(run.indexOf("--max-memory") + 1), QString("3.5"));
    QCOMPARE(run.value(run.indexOf("--gpu-memory-fraction") + 1), QString("0.5"));
    QVERIFY(window.settings().mirror);
    dlc::gui::JobSettings s;
    s.fix_blueish_cam = true;
    s.show_fps = true;
    s.max_memory_gb = 2.0;
    window.set_settings(s);
    QVERIFY(window.live_panel()->fixBlueishBox()->isChecked());
    QVERIFY(window.live_panel()->showFpsBox()->isChecked());
    QVERIFY(!window.live_panel()->mirrorBox()->isChecked());
    QCOMPARE(window.memory_panel()->maxMemoryBox()->value(), 2.0);
    QCOMPARE(window.memory_panel()->gpuFractionBox()->value(), 0.8);
    QVERIFY(window.live_panel()->liveArguments().contains("--fix-blueish-cam"));
    QCOMPARE(window.live_panel()->liveArguments().value(window.live_panel()->liveArguments().indexOf("--max-memory") + 1),
             QString("2.0"));
  }

  // The thumbnails of both pickers, read off the UI thread.
  void showsThumbnails() {
    dlc::gui::MainWindow window;
    dlc::gui::JobSettings s;
    s.source = DLC_SOURCE_DIR "/.cache/media/astronaut.png";
    s.target = DLC_SOURCE_DIR "/.cache/media/grace_hopper.jpg";
    window.swap_tab()->set_settings(s);
    window.resize(720, 860);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QTRY_VERIFY_WITH_TIMEOUT(!window.swap_tab()->source_thumbnail()->pixmap().isNull(), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(!window.swap_tab()->target_thumbnail()->pixmap().isNull(), 10000);
    QCOMPARE(window.swap_tab()->source_thumbnail()->pixmap().height(), 200);
  }
};

QTEST_MAIN(MainWindowTest)
#include "main_window_test.moc"
