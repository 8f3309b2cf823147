#pragma once

#include <QString>
#include <QStringList>

#include <optional>

namespace dlc::gui {

// dlc-gui's own command line, read before any window is made (so --help, --version and a bad flag
// need no display).

// The arguments without Qt's own options (-platform xcb, -style=fusion, -reverse, ...), which
// QApplication takes for itself.
QStringList without_qt_options(const QStringList& arguments);

// What --help prints.
QString usage();

// The flags the window has no control for, checked by the `dlc` the jobs run
// (`dlc run FLAGS --version`, which parses them and loads nothing): dlc's one-line error when it
// refuses them, empty when it takes them (or cannot be started: each job then reports it).
std::optional<QString> check_passed_flags(const QStringList& flags);

}  // namespace dlc::gui
