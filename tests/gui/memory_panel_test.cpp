#include <QDir>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QTest>

#include "gui/dlc_process.hpp"
#include "gui/memory_panel.hpp"

using dlc::gui::MemoryPanel;
using dlc::gui::MemoryPlot;
using dlc::gui::MemorySample;

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

bool near(const QColor& c, const QColor& colour) {
  return std::abs(c.red() - colour.red()) + std::abs(c.green() - colour.green()) + std::abs(c.blue() - colour.blue()) < 30;
}

// Pixels of about this colour in the image (antialiased edges aside).
int count_colour(const QImage& image, const QColor& colour) {
  int n = 0;
  for (int y = 0; y < image.height(); ++y) {
    for (int x = 0; x < image.width(); ++x) n += near(image.pixelColor(x, y), colour) ? 1 : 0;
  }
  return n;
}

MemorySample sample(double seconds, std::uint64_t rss_mib) {
  MemorySample s;
  s.seconds = seconds;
  s.rss_bytes = rss_mib * kMiB;
  s.tree_rss_bytes = (rss_mib + 150) * kMiB;
  s.arena_bytes = 200 * kMiB;
  s.budget_bytes = 2048 * kMiB;
  return s;
}

}  // namespace

class MemoryPanelTest : public QObject {
  Q_OBJECT

 private slots:
  // Samples drawn: each series' colour in the plot, the budget's dashed line above them; none of
  // them once the samples are cleared.
  void plotsTheSamplesAndTheBudgetLine() {
    MemoryPanel panel;
    panel.resize(800, 600);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    for (int i = 0; i < 20; ++i) panel.addSample(sample(i, 400 + 20 * static_cast<std::uint64_t>(i)));
    QCOMPARE(panel.plot()->samples().size(), std::size_t{20});
    QCOMPARE(panel.plot()->top_bytes(), 2048 * kMiB);
    QVERIFY2(panel.figuresLabel()->text().contains("RSS 780 MiB"), qPrintable(panel.figuresLabel()->text()));
    QVERIFY(panel.figuresLabel()->text().contains("budget 2048 MiB"));
    const QImage drawn = panel.plot()->grab().toImage();
    const QString shots = qEnvironmentVariable("DLC_GUI_SCREENSHOTS");
    if (!shots.isEmpty()) panel.grab().save(QDir(shots).filePath("memory-samples.png"));
    panel.plot()->clear();
    const QImage empty = panel.plot()->grab().toImage();
    for (const QColor& colour : {MemoryPlot::rssColor(), MemoryPlot::treeColor(), MemoryPlot::arenaColor(), MemoryPlot::budgetColor()}) {
      const int with = count_colour(drawn, colour);
      QVERIFY2(with > 200, qPrintable(QString("%1: %2 pixels").arg(colour.name()).arg(with)));
      QCOMPARE(count_colour(empty, colour), 0);
    }
    // The budget line is the top one: its pixels are above every RSS pixel.
    int budget_bottom = 0;
    int rss_top = drawn.height();
    for (int y = 40; y < drawn.height(); ++y) {  // below the legend
      for (int x = 80; x < drawn.width() - 20; ++x) {
        const QColor c = drawn.pixelColor(x, y);
        if (near(c, MemoryPlot::budgetColor())) budget_bottom = std::max(budget_bottom, y);
        if (near(c, MemoryPlot::rssColor())) rss_top = std::min(rss_top, y);
      }
    }
    QVERIFY2(budget_bottom < rss_top, qPrintable(QString("budget to row %1, RSS from row %2").arg(budget_bottom).arg(rss_top)));
  }

  void plotsTheSamplesOfAJobItFollows() {
    MemoryPanel panel;
    dlc::gui::DlcProcess job;
    panel.follow(&job);
    emit job.memorySample(sample(1.0, 500));
    emit job.memorySample(sample(2.0, 510));
    QCOMPARE(panel.plot()->samples().size(), std::size_t{2});
    QCOMPARE(panel.plot()->samples().back().rss_bytes, 510 * kMiB);
  }

  void keepsAtMostItsLimitOfSamples() {
    MemoryPlot plot;
    for (std::size_t i = 0; i < MemoryPlot::kMaxSamples + 50; ++i) plot.add(sample(static_cast<double>(i), 100));
    QCOMPARE(plot.samples().size(), MemoryPlot::kMaxSamples);
    QCOMPARE(plot.samples().front().seconds, 50.0);
  }

  void theControlsGiveTheFlags() {
    MemoryPanel panel;
    QVERIFY(panel.jobArguments().isEmpty());  // auto, the default fraction
    panel.maxMemoryBox()->setValue(3.5);
    panel.gpuFractionBox()->setValue(0.5);
    QCOMPARE(panel.jobArguments(), (QStringList{"--max-memory", "3.5", "--gpu-memory-fraction", "0.50"}));
  }
};

QTEST_MAIN(MemoryPanelTest)
#include "memory_panel_test.moc"
