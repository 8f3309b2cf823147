#include <QApplication>

#include "gui/main_window.hpp"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setApplicationName("dlc");
  QApplication::setOrganizationName("dlc");
  dlc::gui::MainWindow window;
  window.show();
  return QApplication::exec();
}
