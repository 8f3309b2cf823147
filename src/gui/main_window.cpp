#include "gui/main_window.hpp"

#include <QTabWidget>

#include "gui/live_panel.hpp"
#include "gui/memory_panel.hpp"
#include "gui/models_panel.hpp"

namespace dlc::gui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), tabs_(new QTabWidget(this)) {
  setWindowTitle("dlc");
  setCentralWidget(tabs_);
  auto* live = add_live_tab(tabs_);
  add_memory_tab(tabs_, live);
  add_models_tab(tabs_);
  resize(960, 720);
}

}  // namespace dlc::gui
