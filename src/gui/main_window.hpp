#pragma once

#include <QMainWindow>

class QTabWidget;

namespace dlc::gui {

// Deep-Live-Cam's window: a tab per way of working (swap a file, live), and dlc's own panels
// (memory, models).
class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(QWidget* parent = nullptr);

  QTabWidget* tabs() const { return tabs_; }

 private:
  QTabWidget* tabs_ = nullptr;
};

}  // namespace dlc::gui
