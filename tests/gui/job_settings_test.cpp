#include <QDir>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

#include "gui/job_settings.hpp"

using dlc::gui::FaceEnhancer;
using dlc::gui::JobSettings;

namespace {

// The value after flag in args, or a null string.
QString value_of(const QStringList& args, const QString& flag) {
  const auto at = args.indexOf(flag);
  return at >= 0 && at + 1 < args.size() ? args[at + 1] : QString();
}

}  // namespace

class JobSettingsTest : public QObject {
  Q_OBJECT

 private slots:
  void defaultsAreAPlainSwapWithEvents() {
    JobSettings s;
    s.source = "face.png";
    s.target = "clip.mp4";
    s.output = "out.mp4";
    const auto args = s.run_arguments();
    QCOMPARE(args.mid(0, 7), QStringList({"run", "-s", "face.png", "-t", "clip.mp4", "-o", "out.mp4"}));
    QCOMPARE(value_of(args, "--events"), QString("json"));
    QCOMPARE(value_of(args, "--frame-processor"), QString("face_swapper"));
    for (const char* absent : {"--many-faces", "--opacity", "--sharpness", "--mouth-mask", "--poisson-blend",
                               "--no-keep-audio", "--keep-frames", "--output-fps", "--max-memory", "--live-mirror"}) {
      QVERIFY2(!args.contains(absent), absent);
    }
  }

  void everyControlReachesTheArgv() {
    JobSettings s;
    s.keep_fps = false;
    s.keep_audio = false;
    s.keep_frames = true;
    s.many_faces = true;
    s.map_faces = true;
    s.map_faces_file = "/tmp/map.json";
    s.poisson_blend = true;
    s.mirror = true;
    s.enhancer = FaceEnhancer::kGpen256;
    s.opacity = 0.25;
    s.sharpness = 2.5;
    s.mouth_mask = 40;
    s.max_memory_gb = 3.5;
    s.gpu_memory_fraction = 0.5;
    const auto run = s.run_arguments();
    QCOMPARE(value_of(run, "--output-fps"), QString("30"));
    QVERIFY(run.contains("--no-keep-audio"));
    QVERIFY(run.contains("--keep-frames"));
    QVERIFY(run.contains("--many-faces"));
    QCOMPARE(value_of(run, "--map-faces"), QString("/tmp/map.json"));
    QVERIFY(!run.contains("-s"));  // the mapping names the sources: dlc refuses -s with it
    QVERIFY(run.contains("--poisson-blend"));
    QCOMPARE(run.mid(run.indexOf("--frame-processor") + 1, 2), QStringList({"face_swapper", "face_enhancer_gpen256"}));
    QCOMPARE(value_of(run, "--opacity"), QString("0.25"));
    QCOMPARE(value_of(run, "--sharpness"), QString("2.5"));
    QVERIFY(run.contains("--mouth-mask"));
    QCOMPARE(value_of(run, "--mouth-mask-size"), QString("40"));
    QCOMPARE(value_of(run, "--max-memory"), QString("3.5"));
    QCOMPARE(value_of(run, "--gpu-memory-fraction"), QString("0.5"));
    QVERIFY(!run.contains("--live-mirror"));  // a camera's, not a file's
    const auto live = s.live_arguments();
    QCOMPARE(live.first(), QString("live"));
    QVERIFY(live.contains("--live-mirror"));
    QVERIFY(live.contains("--many-faces"));
    QCOMPARE(value_of(live, "--camera"), QString("0"));
    QVERIFY(!live.contains("-t") && !live.contains("--no-keep-audio"));
  }

  void enhancersByName() {
    JobSettings s;
    for (auto [e, name] : {std::pair{FaceEnhancer::kGfpgan, "face_enhancer"},
                           std::pair{FaceEnhancer::kGpen512, "face_enhancer_gpen512"}}) {
      s.enhancer = e;
      const auto args = s.run_arguments();
      QCOMPARE(args[args.indexOf("--frame-processor") + 2], QString(name));
    }
  }

  void savedAndLoaded() {
    QTemporaryDir dir;
    QSettings store(dir.filePath("dlc.ini"), QSettings::IniFormat);
    JobSettings s;
    s.source = "/a/face.png";
    s.many_faces = true;
    s.enhancer = FaceEnhancer::kGpen512;
    s.opacity = 0.5;
    s.mouth_mask = 12;
    s.max_memory_gb = 2.0;
    s.fix_blueish_cam = true;
    s.save(store);
    const auto back = JobSettings::load(store);
    QCOMPARE(back.source, s.source);
    QVERIFY(back.many_faces);
    QVERIFY(back.fix_blueish_cam);
    QCOMPARE(back.enhancer, FaceEnhancer::kGpen512);
    QCOMPARE(back.opacity, 0.5);
    QCOMPARE(back.mouth_mask, 12);
    QCOMPARE(back.max_memory_gb.value_or(0), 2.0);
    QCOMPARE(back.run_arguments(), s.run_arguments());
  }

  // Deep-Live-Cam's switch_states.json silently beats its flags; here the flags win.
  void theCommandLineWinsOverSavedSettings() {
    JobSettings saved;
    saved.opacity = 0.3;
    saved.many_faces = false;
    saved.keep_audio = true;
    saved.enhancer = FaceEnhancer::kGfpgan;
    saved.max_memory_gb = 8;
    auto s = saved;
    const auto problem = s.apply_command_line({"run", "-s", "f.png", "--opacity", "0.9", "--many-faces",
                                               "--no-keep-audio", "--frame-processor", "face_swapper",
                                               "--max-memory=1.5", "--mouth-mask-size", "30", "--face-detector",
                                               "blazeface", "--execution-threads", "2"});
    QVERIFY2(!problem, qPrintable(problem.value_or("")));
    QCOMPARE(s.source, QString("f.png"));
    QCOMPARE(s.opacity, 0.9);
    QVERIFY(s.many_faces);
    QVERIFY(!s.keep_audio);
    QCOMPARE(s.enhancer, FaceEnhancer::kNone);
    QCOMPARE(s.max_memory_gb.value_or(0), 1.5);
    QCOMPARE(s.mouth_mask, 30);
    QCOMPARE(s.extra_arguments, QStringList({"--face-detector", "blazeface", "--execution-threads", "2"}));
    const auto args = s.run_arguments();
    QCOMPARE(args.mid(args.size() - 4), s.extra_arguments);
    // What the command line leaves alone keeps its saved value.
    auto untouched = saved;
    QVERIFY(!untouched.apply_command_line({"--keep-frames"}));
    QCOMPARE(untouched.opacity, 0.3);
    QCOMPARE(untouched.enhancer, FaceEnhancer::kGfpgan);
  }

  void aBadFlagValueIsNamed() {
    JobSettings s;
    const auto problem = s.apply_command_line({"--opacity", "2"});
    QVERIFY(problem);
    QVERIFY2(problem->contains("--opacity") && problem->contains("out of range"), qPrintable(*problem));
    QVERIFY(s.apply_command_line({"--sharpness"})->contains("a value is required"));
    QVERIFY(s.apply_command_line({"--frame-processor", "face_melter"})->contains("face_melter"));
    QCOMPARE(s.opacity, 1.0);
  }
};

QTEST_MAIN(JobSettingsTest)
#include "job_settings_test.moc"
