#include <QTabWidget>
#include <QTest>

#include "gui/main_window.hpp"

class MainWindowTest : public QObject {
  Q_OBJECT

 private slots:
  void showsItsTabs() {
    dlc::gui::MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.tabs() != nullptr);
    QCOMPARE(window.centralWidget(), window.tabs());
  }
};

QTEST_MAIN(MainWindowTest)
#include "main_window_test.moc"
