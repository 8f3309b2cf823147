#pragma once

#include <QMainWindow>

#include "gui/job_settings.hpp"

class QTabWidget;

namespace dlc::gui {

class LivePanel;
class MemoryPanel;
class SwapTab;

// Deep-Live-Cam's window: a tab per way of working (swap a file, live), and dlc's own panels
// (memory, models).
class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(QWidget* parent = nullptr);

  QTabWidget* tabs() const { return tabs_; }
  SwapTab* swap_tab() const { return swap_; }
  LivePanel* live_panel() const { return live_; }
  MemoryPanel* memory_panel() const { return memory_; }
  // Every control of the window, each setting from the one tab that has it (the live switches:
  // Live; the memory budget: Memory; the rest: Swap), and back.
  JobSettings settings() const;
  void set_settings(const JobSettings& settings);

 protected:
  // The controls' state is saved (QSettings) when the window closes.
  void closeEvent(QCloseEvent* event) override;

 private:
  QTabWidget* tabs_ = nullptr;
  SwapTab* swap_ = nullptr;
  LivePanel* live_ = nullptr;
  MemoryPanel* memory_ = nullptr;
};

}  // namespace dlc::gui
