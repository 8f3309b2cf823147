#include "gui/main_window.hpp"

#include <QCloseEvent>
#include <QSettings>
#include <QTabWidget>

#include "gui/live_panel.hpp"
#include "gui/memory_panel.hpp"
#include "gui/models_panel.hpp"
#include "gui/swap_tab.hpp"

namespace dlc::gui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), tabs_(new QTabWidget(this)), swap_(new SwapTab(tabs_)) {
  setWindowTitle("dlc");
  setCentralWidget(tabs_);
  tabs_->addTab(swap_, "Swap");
  auto* live = add_live_tab(tabs_);
  auto* memory = add_memory_tab(tabs_, live);
  // The swap tab's jobs are plotted too, each from its start.
  connect(swap_, &SwapTab::jobStarted, memory, [memory](DlcProcess* process) {
    memory->jobStarted();
    memory->follow(process);
  });
  add_models_tab(tabs_);
  resize(960, 720);
}

void MainWindow::closeEvent(QCloseEvent* event) {
  QSettings settings;
  swap_->settings().save(settings);
  QMainWindow::closeEvent(event);
}

}  // namespace dlc::gui
