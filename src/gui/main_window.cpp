#include "gui/main_window.hpp"

#include <QTabWidget>

namespace dlc::gui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), tabs_(new QTabWidget(this)) {
  setWindowTitle("dlc");
  setCentralWidget(tabs_);
  resize(960, 720);
}

}  // namespace dlc::gui
