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
  live_ = live;
  memory_ = memory;
  // One control per setting: the swap tab's jobs take the live switches and the budget from them.
  swap_->set_shared_settings([live, memory](JobSettings& s) {
    live->storeSettings(s);
    memory->storeSettings(s);
  });
  // The swap tab's jobs are plotted too, each from its start.
  connect(swap_, &SwapTab::jobStarted, memory, [memory](DlcProcess* process) {
    memory->jobStarted();
    memory->follow(process);
  });
  add_models_tab(tabs_);
  resize(960, 720);
}

JobSettings MainWindow::settings() const { return swap_->settings(); }

void MainWindow::set_settings(const JobSettings& settings) {
  live_->loadSettings(settings);
  memory_->loadSettings(settings);
  swap_->set_settings(settings);
}

void MainWindow::closeEvent(QCloseEvent* event) {
  QSettings settings;
  this->settings().save(settings);
  QMainWindow::closeEvent(event);
}

}  // namespace dlc::gui
