#include <QApplication>
#include <QSettings>

#include <cstdio>

#include "gui/job_settings.hpp"
#include "gui/main_window.hpp"

// dlc-gui [the flags of `dlc run`]: the saved settings, then the command line over them (the
// command line wins; Qt's own options such as -platform are taken out by QApplication first).
int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setApplicationName("dlc");
  QApplication::setOrganizationName("dlc");
  // QApplication has taken its own options out of argc/argv.
  QStringList arguments;
  for (int i = 1; i < argc; ++i) arguments << QString::fromLocal8Bit(argv[i]);
  if (arguments.contains("-h") || arguments.contains("--help")) {
    std::printf("usage: dlc-gui [the flags of `dlc run`]\n"
                "The window's controls start from the saved settings; the flags given here win over them.\n"
                "Flags the window has no control for go to every job as given. See README \"Desktop app\".\n");
    return 0;
  }
  QSettings saved;
  auto settings = dlc::gui::JobSettings::load(saved);
  if (const auto problem = settings.apply_command_line(arguments)) {
    std::fprintf(stderr, "dlc-gui: %s\n", qPrintable(*problem));
    return 2;
  }
  dlc::gui::MainWindow window;
  window.set_settings(settings);
  window.show();
  return QApplication::exec();
}
