#include "gui/memory_panel.hpp"

#include "gui/dlc_process.hpp"
#include "gui/live_panel.hpp"

#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QPainter>
#include <QPainterPath>
#include <QPlainTextEdit>
#include <QTabWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <functional>

namespace dlc::gui {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

QString mib(std::uint64_t bytes) { return QString("%1 MiB").arg(static_cast<double>(bytes) / kMiB, 0, 'f', 0); }

// A round step for the y axis: 1, 2 or 5 × 10^k MiB, about four lines.
double axis_step_mib(double top_mib) {
  const double raw = std::max(top_mib / 4.0, 1.0);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0}) {
    if (m * power >= raw) return m * power;
  }
  return 10.0 * power;
}

}  // namespace

MemoryPlot::MemoryPlot(QWidget* parent) : QWidget(parent) {
  setMinimumSize(320, 200);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void MemoryPlot::add(const MemorySample& sample) {
  samples_.push_back(sample);
  while (samples_.size() > kMaxSamples) samples_.pop_front();
  update();
}

void MemoryPlot::clear() {
  samples_.clear();
  update();
}

std::uint64_t MemoryPlot::top_bytes() const {
  std::uint64_t top = 0;
  for (const auto& s : samples_) {
    top = std::max({top, s.rss_bytes, s.tree_rss_bytes, s.arena_bytes, s.budget_bytes, s.vram_bytes.value_or(0)});
  }
  return top;
}

void MemoryPlot::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.fillRect(rect(), palette().base());
  const QRect area = rect().adjusted(70, 10, -10, -28);
  painter.setPen(palette().text().color());
  if (samples_.empty()) {
    painter.drawText(rect(), Qt::AlignCenter, "no job running: the plot fills while one runs");
    return;
  }
  const double step = axis_step_mib(static_cast<double>(top_bytes()) / kMiB * 1.05);
  const double top_mib = std::max(step, std::ceil(static_cast<double>(top_bytes()) / kMiB * 1.05 / step) * step);
  const double t0 = samples_.front().seconds;
  const double span = std::max(samples_.back().seconds - t0, 1.0);
  const auto x_of = [&](double seconds) { return area.left() + (seconds - t0) / span * area.width(); };
  const auto y_of = [&](std::uint64_t bytes) {
    return area.bottom() - static_cast<double>(bytes) / kMiB / top_mib * area.height();
  };
  // The grid and its figures.
  QPen grid(palette().mid().color());
  grid.setStyle(Qt::DotLine);
  for (double v = 0; v <= top_mib + 0.5; v += step) {
    const double y = area.bottom() - v / top_mib * area.height();
    painter.setPen(grid);
    painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y));
    painter.setPen(palette().text().color());
    painter.drawText(QRectF(0, y - 8, area.left() - 6, 16), Qt::AlignRight | Qt::AlignVCenter, QString("%1 MiB").arg(v, 0, 'f', 0));
  }
  painter.drawText(QRectF(area.left(), area.bottom() + 4, area.width(), 20), Qt::AlignLeft,
                   QString("%1 s").arg(t0, 0, 'f', 0));
  painter.drawText(QRectF(area.left(), area.bottom() + 4, area.width(), 20), Qt::AlignRight,
                   QString("%1 s").arg(samples_.back().seconds, 0, 'f', 0));
  painter.setRenderHint(QPainter::Antialiasing);
  const auto series = [&](const QColor& colour, Qt::PenStyle style, const std::function<std::optional<std::uint64_t>(const MemorySample&)>& of) {
    QPainterPath path;
    bool open = false;
    for (const auto& s : samples_) {
      const auto v = of(s);
      if (!v) {
        open = false;
        continue;
      }
      const QPointF p(x_of(s.seconds), y_of(*v));
      if (open) path.lineTo(p);
      else path.moveTo(p);
      open = true;
    }
    // A single sample is drawn as a short mark.
    if (samples_.size() == 1 && open) path.lineTo(path.currentPosition() + QPointF(area.width(), 0));
    painter.setPen(QPen(colour, 2, style));
    painter.drawPath(path);
  };
  series(budgetColor(), Qt::DashLine, [](const MemorySample& s) {
    return s.budget_bytes > 0 ? std::optional(s.budget_bytes) : std::nullopt;
  });
  series(treeColor(), Qt::SolidLine, [](const MemorySample& s) { return std::optional(s.tree_rss_bytes); });
  series(rssColor(), Qt::SolidLine, [](const MemorySample& s) { return std::optional(s.rss_bytes); });
  series(arenaColor(), Qt::SolidLine, [](const MemorySample& s) { return std::optional(s.arena_bytes); });
  series(vramColor(), Qt::SolidLine, [](const MemorySample& s) { return s.vram_bytes; });
  // The legend.
  int x = area.left() + 8;
  painter.setRenderHint(QPainter::Antialiasing, false);
  for (const auto& [name, colour] : {std::pair{"RSS", rssColor()}, std::pair{"with ffmpeg", treeColor()},
                                     std::pair{"model arenas", arenaColor()}, std::pair{"VRAM", vramColor()},
                                     std::pair{"budget", budgetColor()}}) {
    painter.fillRect(QRect(x, area.top() + 6, 12, 12), colour);
    painter.setPen(palette().text().color());
    const int w = painter.fontMetrics().horizontalAdvance(name);
    painter.drawText(QPoint(x + 16, area.top() + 17), name);
    x += w + 30;
  }
}

MemoryPanel::MemoryPanel(QWidget* parent) : QWidget(parent) {
  plot_ = new MemoryPlot(this);
  max_memory_ = new QDoubleSpinBox(this);
  max_memory_->setRange(0.0, 4096.0);
  max_memory_->setDecimals(1);
  max_memory_->setSingleStep(0.5);
  max_memory_->setSuffix(" GB");
  max_memory_->setSpecialValueText("auto (from the machine)");
  max_memory_->setToolTip("--max-memory: the RAM budget the job plans to and keeps under");
  gpu_fraction_ = new QDoubleSpinBox(this);
  gpu_fraction_->setRange(0.1, 0.95);
  gpu_fraction_->setDecimals(2);
  gpu_fraction_->setSingleStep(0.05);
  gpu_fraction_->setValue(0.8);
  gpu_fraction_->setToolTip("--gpu-memory-fraction: the share of the GPU's memory dlc may use");
  figures_ = new QLabel("no job running", this);
  figures_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  plan_ = new QPlainTextEdit(this);
  plan_->setReadOnly(true);
  plan_->setPlaceholderText("the memory plan of the job, as it starts");
  plan_->setMaximumBlockCount(200);
  auto* form = new QFormLayout;
  form->addRow("Max memory", max_memory_);
  form->addRow("GPU memory fraction", gpu_fraction_);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(plot_, 3);
  layout->addWidget(figures_);
  layout->addWidget(plan_, 1);
}

QStringList MemoryPanel::jobArguments() const {
  QStringList args;
  if (max_memory_->value() > 0.0) args << "--max-memory" << QString::number(max_memory_->value(), 'f', 1);
  if (std::abs(gpu_fraction_->value() - 0.8) > 1e-9) args << "--gpu-memory-fraction" << QString::number(gpu_fraction_->value(), 'f', 2);
  return args;
}

void MemoryPanel::storeSettings(JobSettings& settings) const {
  settings.max_memory_gb = max_memory_->value() > 0.0 ? std::optional<double>(max_memory_->value()) : std::nullopt;
  settings.gpu_memory_fraction = gpu_fraction_->value();
}

void MemoryPanel::loadSettings(const JobSettings& settings) {
  max_memory_->setValue(settings.max_memory_gb.value_or(0.0));
  gpu_fraction_->setValue(settings.gpu_memory_fraction);
}

void MemoryPanel::follow(const DlcProcess* process) {
  connect(process, &DlcProcess::memorySample, this, &MemoryPanel::addSample, Qt::UniqueConnection);
  connect(process, &DlcProcess::planned, this, &MemoryPanel::showPlan, Qt::UniqueConnection);
}

void MemoryPanel::showPlan(const JobPlan& plan) {
  QStringList lines;
  lines << (plan.strategy.empty() ? QString("no strategy fits the budget")
                                  : QString("strategy %1 (%2)").arg(QString::fromStdString(plan.strategy),
                                                                   plan.fits ? "fits" : "does not fit"));
  for (const auto& line : plan.lines) lines << QString::fromStdString(line);
  if (!plan.strategies.empty()) lines << "" << "every strategy:";
  for (const auto& line : plan.strategies) lines << QString::fromStdString(line);
  setPlan(lines);
}

void MemoryPanel::jobStarted() {
  plot_->clear();
  plan_->clear();
  figures_->setText("starting…");
}

void MemoryPanel::addSample(const MemorySample& sample) {
  plot_->add(sample);
  QString text = QString("at %1 s: RSS %2, with ffmpeg %3, model arenas %4")
                     .arg(sample.seconds, 0, 'f', 1)
                     .arg(mib(sample.rss_bytes), mib(sample.tree_rss_bytes), mib(sample.arena_bytes));
  if (sample.vram_bytes) text += QString(", VRAM %1").arg(mib(*sample.vram_bytes));
  if (sample.budget_bytes > 0) text += QString("; budget %1").arg(mib(sample.budget_bytes));
  figures_->setText(text);
}

void MemoryPanel::setPlan(const QStringList& lines) { plan_->setPlainText(lines.join('\n')); }

MemoryPanel* add_memory_tab(QTabWidget* tabs, LivePanel* live) {
  auto* memory = new MemoryPanel(tabs);
  tabs->addTab(memory, "Memory");
  if (live != nullptr) {
    live->setExtraArguments([memory] { return memory->jobArguments(); });
    QObject::connect(live, &LivePanel::started, memory, &MemoryPanel::jobStarted);
    QObject::connect(live, &LivePanel::memorySample, memory, &MemoryPanel::addSample);
    QObject::connect(live, &LivePanel::planned, memory, &MemoryPanel::showPlan);
  }
  return memory;
}

}  // namespace dlc::gui
