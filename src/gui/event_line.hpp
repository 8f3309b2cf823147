#pragma once

#include <QString>

#include <optional>

#include "gui/job_events.hpp"

namespace dlc::gui {

// One line of `dlc --events json`: the event it carries, or nothing when the line is not an
// event (dlc's text lines, a truncated object, an unknown kind).
std::optional<JobEvent> parse_event_line(const QString& line);

}  // namespace dlc::gui
