#pragma once

#include <atomic>

namespace dlc::app {

// Ctrl-C (SIGINT) and SIGTERM end a live run as `q` does: the handlers installed here set the
// flag returned, which dlc live hands to run_live as its stop flag (exit 0, the recording kept).
const std::atomic<bool>& install_live_stop_handlers();

}  // namespace dlc::app
