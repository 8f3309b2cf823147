#include <QLabel>
#include <QSettings>
#include <QTabWidget>
#include <QTest>

#include "gui/main_window.hpp"
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
      auto s = window.swap_tab()->settings();
      s.many_faces = true;
      s.opacity = 0.4;
      window.swap_tab()->set_settings(s);
      window.close();
    }
    QSettings saved;
    const auto back = dlc::gui::JobSettings::load(saved);
    QVERIFY(back.many_faces);
    QCOMPARE(back.opacity, 0.4);
    saved.clear();
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
