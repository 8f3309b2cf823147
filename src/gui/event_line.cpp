#include "gui/event_line.hpp"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace dlc::gui {
namespace {

// Byte counts go past 2^53 only beyond 8 PiB: a double holds them exactly.
std::uint64_t bytes(const QJsonObject& o, const char* key) {
  const double v = o.value(QLatin1String(key)).toDouble();
  return v > 0 ? static_cast<std::uint64_t>(v) : 0;
}

std::vector<std::string> strings(const QJsonObject& o, const char* key) {
  std::vector<std::string> out;
  for (const auto& v : o.value(QLatin1String(key)).toArray()) out.push_back(v.toString().toStdString());
  return out;
}

}  // namespace

std::optional<JobEvent> parse_event_line(const QString& line) {
  if (!line.startsWith(QLatin1Char('{'))) return std::nullopt;
  QJsonParseError error{};
  const auto doc = QJsonDocument::fromJson(line.toUtf8(), &error);
  if (error.error != QJsonParseError::NoError || !doc.isObject()) return std::nullopt;
  const auto o = doc.object();
  const auto kind = o.value("event").toString();
  if (kind == "progress") {
    return Progress{static_cast<std::int64_t>(o.value("frame").toDouble()),
                    static_cast<std::int64_t>(o.value("frames").toDouble()), o.value("fps").toDouble(),
                    o.value("eta_s").toDouble()};
  }
  if (kind == "memory") {
    MemorySample m;
    m.seconds = o.value("seconds").toDouble();
    m.rss_bytes = bytes(o, "rss_bytes");
    m.peak_rss_bytes = bytes(o, "peak_rss_bytes");
    m.tree_rss_bytes = o.contains("tree_rss_bytes") ? bytes(o, "tree_rss_bytes") : m.rss_bytes;
    m.children = bytes(o, "children");
    m.arena_bytes = bytes(o, "arena_bytes");
    m.arena_peak_bytes = bytes(o, "arena_peak_bytes");
    if (o.contains("vram_bytes")) m.vram_bytes = bytes(o, "vram_bytes");
    if (o.contains("vram_total_bytes")) m.vram_total_bytes = bytes(o, "vram_total_bytes");
    m.budget_bytes = bytes(o, "budget_bytes");
    m.system_used_bytes = bytes(o, "system_used_bytes");
    m.system_total_bytes = bytes(o, "system_total_bytes");
    return m;
  }
  if (kind == "plan") {
    return JobPlan{o.value("strategy").toString().toStdString(), bytes(o, "budget_bytes"), bytes(o, "planned_bytes"),
                   o.value("fits").toBool(), strings(o, "lines"), strings(o, "strategies")};
  }
  if (kind == "done") {
    return JobDone{o.value("output").toString().toStdString(), static_cast<std::int64_t>(o.value("frames").toDouble())};
  }
  if (kind == "error") {
    return JobError{o.value("exit_code").toInt(1), o.value("message").toString().toStdString()};
  }
  return std::nullopt;
}

}  // namespace dlc::gui
