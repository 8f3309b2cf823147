#include "gui/command_line.hpp"

#include <QProcess>

#include <algorithm>
#include <array>

#include "gui/dlc_process.hpp"

namespace dlc::gui {
namespace {

// QGuiApplication's and QApplication's command-line options (Qt 6.4's QGuiApplication and
// QApplication class documentation): those that take a value, then those that do not.
constexpr std::array kQtValueOptions{"platform", "platformpluginpath", "platformtheme", "plugin", "qmljsdebugger",
                                     "qwindowgeometry", "qwindowicon", "qwindowtitle", "session", "display",
                                     "geometry", "style", "stylesheet"};
constexpr std::array kQtSwitches{"reverse", "widgetcount", "nograb", "dograb", "sync", "testability"};

// "-platform" or "--platform" (Qt takes both) as "platform"; empty for anything else.
QString qt_option_name(const QString& argument) {
  if (!argument.startsWith('-') || argument.size() < 3) return {};
  auto name = argument.mid(argument.startsWith("--") ? 2 : 1).section('=', 0, 0);
  const auto is = [&name](const char* option) { return name == QLatin1String(option); };
  return std::ranges::any_of(kQtValueOptions, is) || std::ranges::any_of(kQtSwitches, is) ? name : QString();
}

constexpr int kCheckTimeoutMs = 30000;

}  // namespace

QStringList without_qt_options(const QStringList& arguments) {
  QStringList own;
  for (qsizetype i = 0; i < arguments.size(); ++i) {
    const auto name = qt_option_name(arguments[i]);
    if (name.isEmpty()) {
      own << arguments[i];
      continue;
    }
    const bool takes_value = std::ranges::any_of(kQtValueOptions, [&name](const char* o) { return name == QLatin1String(o); });
    if (takes_value && !arguments[i].contains('=')) ++i;  // its value
  }
  return own;
}

QString usage() {
  return "usage: dlc-gui [the flags of `dlc run`]\n"
         "The window's controls start from the saved settings; the flags given here win over them.\n"
         "Flags the window has no control for go to every job as given (dlc checks them first).\n"
         "  -h, --help     this text\n"
         "  --version      dlc-gui's version\n"
         "See README \"Desktop app\".\n";
}

std::optional<QString> check_passed_flags(const QStringList& flags) {
  if (flags.isEmpty()) return std::nullopt;
  QProcess dlc;
  dlc.start(dlc_binary(), QStringList{"run"} << flags << "--version");
  if (!dlc.waitForFinished(kCheckTimeoutMs) || dlc.exitStatus() != QProcess::NormalExit || dlc.exitCode() == 0) {
    return std::nullopt;
  }
  auto said = QString::fromLocal8Bit(dlc.readAllStandardError()).trimmed().section('\n', 0, 0);
  if (said.startsWith("dlc: ")) said = said.mid(5);
  return said.isEmpty() ? QString("dlc refused the flags: %1").arg(flags.join(' ')) : said;
}

}  // namespace dlc::gui
