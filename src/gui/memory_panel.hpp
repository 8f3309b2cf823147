#pragma once

#include <QStringList>
#include <QWidget>

#include <deque>

#include "gui/job_events.hpp"
#include "gui/job_settings.hpp"

class QDoubleSpinBox;
class QLabel;
class QPlainTextEdit;
class QTabWidget;

namespace dlc::gui {

class DlcProcess;

// A plot of a job's memory samples against its budget: dlc's RSS, the tree's (dlc and its ffmpeg
// children), the model arenas, and VRAM when a GPU reports it. Drawn with QPainter; the last
// kMaxSamples samples are kept (at one a second, ten minutes), so a long job does not grow it.
class MemoryPlot : public QWidget {
  Q_OBJECT

 public:
  static constexpr std::size_t kMaxSamples = 600;
  explicit MemoryPlot(QWidget* parent = nullptr);
  void add(const MemorySample& sample);
  void clear();
  const std::deque<MemorySample>& samples() const { return samples_; }
  // The largest figure drawn (the top of the y axis before rounding up), for tests.
  std::uint64_t top_bytes() const;

  // The series' colours, for tests that look for them in a grab.
  static QColor rssColor() { return QColor(30, 110, 220); }
  static QColor treeColor() { return QColor(40, 160, 70); }
  static QColor arenaColor() { return QColor(230, 140, 20); }
  static QColor vramColor() { return QColor(150, 60, 190); }
  static QColor budgetColor() { return QColor(220, 30, 30); }

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  std::deque<MemorySample> samples_;
};

// dlc's own panel: the plot, the memory controls the next job gets (--max-memory,
// --gpu-memory-fraction), and the plan of that job (its lines, its strategy).
class MemoryPanel : public QWidget {
  Q_OBJECT

 public:
  explicit MemoryPanel(QWidget* parent = nullptr);

  // Its controls into and out of the window's settings (every swap job takes them from there).
  void storeSettings(JobSettings& settings) const;
  void loadSettings(const JobSettings& settings);
  // The flags the controls give the next job (none while they are at "auto"/the default).
  QStringList jobArguments() const;
  // Plots the samples of this job (the swap tab's): its memorySample signal.
  void follow(const DlcProcess* process);
  MemoryPlot* plot() const { return plot_; }
  QDoubleSpinBox* maxMemoryBox() const { return max_memory_; }
  QDoubleSpinBox* gpuFractionBox() const { return gpu_fraction_; }
  QLabel* figuresLabel() const { return figures_; }
  QPlainTextEdit* planView() const { return plan_; }

 public slots:
  // A new job: the old samples go.
  void jobStarted();
  void addSample(const dlc::gui::MemorySample& sample);
  // The plan's lines, as the job prints them at its start or `dlc plan` gives them.
  void setPlan(const QStringList& lines);
  // The plan event of a job's --events json: its strategy, lines and each strategy's summary.
  void showPlan(const dlc::gui::JobPlan& plan);

 private:
  MemoryPlot* plot_ = nullptr;
  QDoubleSpinBox* max_memory_ = nullptr;
  QDoubleSpinBox* gpu_fraction_ = nullptr;
  QLabel* figures_ = nullptr;
  QPlainTextEdit* plan_ = nullptr;
};

class LivePanel;
// The Memory tab: the live session's memory flags come from it and its samples are plotted there.
MemoryPanel* add_memory_tab(QTabWidget* tabs, LivePanel* live);

}  // namespace dlc::gui
