// Linked into every window test: what ctest would give it, so that the test binary run by hand
// (build/tests/gui/dlc_gui_..._test under xvfb-run -a) drives this build's dlc with the fixture
// models and its own settings, never the user's. A variable already set is left as it is.
#include <QByteArray>
#include <QtGlobal>

namespace {

const bool kEnvironmentSet = [] {
  const char* const defaults[][2] = {{"QT_QPA_PLATFORM", "xcb"},
                                     {"DLC_BINARY", DLC_TEST_BINARY},
                                     {"XDG_DATA_HOME", DLC_TEST_XDG_DATA_HOME},
                                     {"XDG_CONFIG_HOME", DLC_TEST_XDG_CONFIG_HOME}};
  for (const auto& [name, value] : defaults) {
    if (!qEnvironmentVariableIsSet(name)) qputenv(name, QByteArray(value));
  }
  return true;
}();

}  // namespace
