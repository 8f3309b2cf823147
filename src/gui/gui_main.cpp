#include <QApplication>
#include <QSettings>

#include <cstdio>

#include "gui/command_line.hpp"
#include "gui/job_settings.hpp"
#include "gui/main_window.hpp"

// dlc-gui [the flags of `dlc run`]: the saved settings, then the command line over them (the
// command line wins). The flags are read before QApplication is made, so --help, --version and a
// bad flag need no display; QApplication is made only to run the window.
int main(int argc, char** argv) {
  QStringList given;
  for (int i = 1; i < argc; ++i) given << QString::fromLocal8Bit(argv[i]);
  const auto arguments = dlc::gui::without_qt_options(given);
  if (arguments.contains("-h") || arguments.contains("--help")) {
    std::printf("%s", qPrintable(dlc::gui::usage()));
    return 0;
  }
  if (arguments.contains("--version")) {
    std::printf("dlc-gui %s\n", DLC_VERSION);
    return 0;
  }
  // The flags alone (no saved settings yet): a bad value, or a flag dlc refuses, ends here.
  dlc::gui::JobSettings checked;
  auto problem = checked.apply_command_line(arguments);
  if (!problem) problem = dlc::gui::check_passed_flags(checked.extra_arguments);
  if (problem) {
    std::fprintf(stderr, "dlc-gui: %s\n", qPrintable(*problem));
    return 2;
  }

  QApplication app(argc, argv);
  QApplication::setApplicationName("dlc");
  QApplication::setOrganizationName("dlc");
  QSettings saved;
  auto settings = dlc::gui::JobSettings::load(saved);
  settings.apply_command_line(arguments);
  dlc::gui::MainWindow window;
  window.set_settings(settings);
  window.show();
  return QApplication::exec();
}
