#pragma once

#include <QMainWindow>

class QTabWidget;

namespace dlc::gui {

class SwapTab;

// Deep-Live-Cam's window: a tab per way of working (swap a file, live), and dlc's own panels
// (memory, models).
class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(QWidget* parent = nullptr);

  QTabWidget* tabs() const { return tabs_; }
  SwapTab* swap_tab() const { return swap_; }

 protected:
  // The controls' state is saved (QSettings) when the window closes.
  void closeEvent(QCloseEvent* event) override;

 private:
  QTabWidget* tabs_ = nullptr;
  SwapTab* swap_ = nullptr;
};

}  // namespace dlc::gui
