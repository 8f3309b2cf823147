#include <QTest>

#include "gui/event_line.hpp"

using namespace dlc::gui;

// The lines as `dlc --events json` writes them (README "Events").
class EventLineTest : public QObject {
  Q_OBJECT

 private slots:
  void progress() {
    const auto e = parse_event_line(R"({"event":"progress","frame":12,"frames":100,"fps":8.5,"eta_s":10.4})");
    QVERIFY(e && std::holds_alternative<Progress>(*e));
    const auto& p = std::get<Progress>(*e);
    QCOMPARE(p.frame, 12);
    QCOMPARE(p.frames, 100);
    QCOMPARE(p.fps, 8.5);
    QCOMPARE(p.eta_seconds, 10.4);
  }

  void memoryWithAndWithoutAGpu() {
    const auto e = parse_event_line(
        R"({"event":"memory","seconds":2.0,"budget_bytes":4294967296,"rss_bytes":700000000,"peak_rss_bytes":800000000,)"
        R"("tree_rss_bytes":900000000,"children":2,"arena_bytes":300000000,"arena_peak_bytes":310000000,)"
        R"("system_used_bytes":5000000000,"system_total_bytes":16000000000})");
    QVERIFY(e && std::holds_alternative<MemorySample>(*e));
    const auto& m = std::get<MemorySample>(*e);
    QCOMPARE(m.budget_bytes, 4294967296ULL);
    QCOMPARE(m.rss_bytes, 700000000ULL);
    QCOMPARE(m.peak_rss_bytes, 800000000ULL);
    QCOMPARE(m.tree_rss_bytes, 900000000ULL);
    QCOMPARE(m.children, 2ULL);
    QCOMPARE(m.arena_bytes, 300000000ULL);
    QCOMPARE(m.system_total_bytes, 16000000000ULL);
    QVERIFY(!m.vram_bytes);
    const auto gpu = parse_event_line(R"({"event":"memory","rss_bytes":1,"vram_bytes":123456789,"vram_total_bytes":999})");
    QVERIFY(gpu && std::holds_alternative<MemorySample>(*gpu));
    QCOMPARE(std::get<MemorySample>(*gpu).vram_bytes.value_or(0), 123456789ULL);
    // No tree figure (no children read): the tree is dlc alone.
    QCOMPARE(std::get<MemorySample>(*gpu).tree_rss_bytes, 1ULL);
  }

  void planDoneAndError() {
    const auto plan = parse_event_line(
        R"({"event":"plan","strategy":"lru","budget_bytes":100,"planned_bytes":90,"fits":true,"lines":["a","b"],"strategies":["s"]})");
    QVERIFY(plan && std::holds_alternative<JobPlan>(*plan));
    QCOMPARE(std::get<JobPlan>(*plan).strategy, std::string("lru"));
    QCOMPARE(std::get<JobPlan>(*plan).lines.size(), std::size_t{2});
    QVERIFY(std::get<JobPlan>(*plan).fits);
    const auto done = parse_event_line(R"({"event":"done","output":"/tmp/out é.mp4","frames":48})");
    QVERIFY(done && std::holds_alternative<JobDone>(*done));
    QCOMPARE(QString::fromStdString(std::get<JobDone>(*done).output), QString("/tmp/out é.mp4"));
    QCOMPARE(std::get<JobDone>(*done).frames, 48);
    const auto error = parse_event_line(R"({"event":"error","exit_code":4,"message":"model gfpgan missing"})");
    QVERIFY(error && std::holds_alternative<JobError>(*error));
    QCOMPARE(std::get<JobError>(*error).exit_code, 4);
  }

  void textLinesAndBrokenObjectsAreNotEvents() {
    QVERIFY(!parse_event_line("dlc: frame 3/48, 2.0 fps, ETA 22 s, RSS 610.2MB"));
    QVERIFY(!parse_event_line("[DLC.MEMORY] System Memory: 8.2GB/16.0GB (51.2%)"));
    QVERIFY(!parse_event_line(R"({"event":"progress","frame":1)"));
    QVERIFY(!parse_event_line(R"({"event":"unknown"})"));
    QVERIFY(!parse_event_line(R"([1,2])"));
  }
};

QTEST_MAIN(EventLineTest)
#include "event_line_test.moc"
