#include "gui/job_settings.hpp"

#include <QSettings>

#include <algorithm>
#include <functional>
#include <map>

namespace dlc::gui {
namespace {

// Deep-Live-Cam writes 30 fps when "Keep fps" is off (its modules/core.py).
constexpr double kFpsWhenNotKept = 30.0;

QString number(double value) { return QString::number(value, 'g', 6); }

// The options every job takes: the processors, the switches that are flags, the sliders, memory.
QStringList common_arguments(const JobSettings& s) {
  QStringList args{"--events", "json", "--frame-processor", "face_swapper"};
  if (const auto enhancer = enhancer_processor(s.enhancer); !enhancer.isEmpty()) args << enhancer;
  if (s.many_faces) args << "--many-faces";
  if (s.map_faces && !s.map_faces_file.isEmpty()) args << "--map-faces" << s.map_faces_file;
  if (s.poisson_blend) args << "--poisson-blend";
  if (s.opacity != 1.0) args << "--opacity" << number(s.opacity);
  if (s.sharpness != 0.0) args << "--sharpness" << number(s.sharpness);
  if (s.mouth_mask > 0) args << "--mouth-mask" << "--mouth-mask-size" << QString::number(s.mouth_mask);
  if (s.max_memory_gb) args << "--max-memory" << number(*s.max_memory_gb);
  if (s.gpu_memory_fraction != 0.8) args << "--gpu-memory-fraction" << number(s.gpu_memory_fraction);
  if (!s.models_dir.isEmpty()) args << "--models-dir" << s.models_dir;
  return args;
}

std::optional<double> to_number(const QString& text) {
  bool ok = false;
  const double value = text.toDouble(&ok);
  return ok ? std::optional<double>(value) : std::nullopt;
}

}  // namespace

QString enhancer_label(FaceEnhancer enhancer) {
  switch (enhancer) {
    case FaceEnhancer::kNone: return "None";
    case FaceEnhancer::kGfpgan: return "GFPGAN";
    case FaceEnhancer::kGpen512: return "GPEN-512";
    case FaceEnhancer::kGpen256: return "GPEN-256";
  }
  return "None";
}

QString enhancer_processor(FaceEnhancer enhancer) {
  switch (enhancer) {
    case FaceEnhancer::kNone: return {};
    case FaceEnhancer::kGfpgan: return "face_enhancer";
    case FaceEnhancer::kGpen512: return "face_enhancer_gpen512";
    case FaceEnhancer::kGpen256: return "face_enhancer_gpen256";
  }
  return {};
}

QStringList JobSettings::run_arguments() const {
  // A mapping names each face's source: dlc refuses -s with --map-faces.
  QStringList args{"run"};
  if (!map_faces || map_faces_file.isEmpty()) args << "-s" << source;
  args << "-t" << target << "-o" << output;
  args << common_arguments(*this);
  if (!keep_fps) args << "--output-fps" << number(kFpsWhenNotKept);
  if (!keep_audio) args << "--no-keep-audio";
  if (keep_frames) args << "--keep-frames";
  return args << extra_arguments;
}

QStringList JobSettings::live_arguments() const {
  QStringList args{"live", "-s", source, "--camera", camera};
  args << common_arguments(*this);
  if (mirror) args << "--live-mirror";
  return args << extra_arguments;
}

void JobSettings::save(QSettings& settings) const {
  settings.beginGroup("job");
  settings.setValue("source", source);
  settings.setValue("target", target);
  settings.setValue("output", output);
  settings.setValue("keep_fps", keep_fps);
  settings.setValue("keep_audio", keep_audio);
  settings.setValue("keep_frames", keep_frames);
  settings.setValue("many_faces", many_faces);
  settings.setValue("map_faces", map_faces);
  settings.setValue("show_fps", show_fps);
  settings.setValue("poisson_blend", poisson_blend);
  settings.setValue("mirror", mirror);
  settings.setValue("fix_blueish_cam", fix_blueish_cam);
  settings.setValue("enhancer", enhancer_label(enhancer));
  settings.setValue("opacity", opacity);
  settings.setValue("sharpness", sharpness);
  settings.setValue("mouth_mask", mouth_mask);
  if (max_memory_gb) {
    settings.setValue("max_memory_gb", *max_memory_gb);
  } else {
    settings.remove("max_memory_gb");
  }
  settings.setValue("gpu_memory_fraction", gpu_memory_fraction);
  settings.setValue("models_dir", models_dir);
  settings.setValue("camera", camera);
  settings.endGroup();
}

JobSettings JobSettings::load(QSettings& settings) {
  JobSettings s;
  settings.beginGroup("job");
  s.source = settings.value("source", s.source).toString();
  s.target = settings.value("target", s.target).toString();
  s.output = settings.value("output", s.output).toString();
  s.keep_fps = settings.value("keep_fps", s.keep_fps).toBool();
  s.keep_audio = settings.value("keep_audio", s.keep_audio).toBool();
  s.keep_frames = settings.value("keep_frames", s.keep_frames).toBool();
  s.many_faces = settings.value("many_faces", s.many_faces).toBool();
  s.map_faces = settings.value("map_faces", s.map_faces).toBool();
  s.show_fps = settings.value("show_fps", s.show_fps).toBool();
  s.poisson_blend = settings.value("poisson_blend", s.poisson_blend).toBool();
  s.mirror = settings.value("mirror", s.mirror).toBool();
  s.fix_blueish_cam = settings.value("fix_blueish_cam", s.fix_blueish_cam).toBool();
  const auto enhancer = settings.value("enhancer").toString();
  for (auto e : {FaceEnhancer::kNone, FaceEnhancer::kGfpgan, FaceEnhancer::kGpen512, FaceEnhancer::kGpen256}) {
    if (enhancer == enhancer_label(e)) s.enhancer = e;
  }
  // A value out of its control's range (an edited file) falls back to the default.
  const auto in = [](double v, double lo, double hi, double fallback) { return v >= lo && v <= hi ? v : fallback; };
  s.opacity = in(settings.value("opacity", s.opacity).toDouble(), 0, 1, 1.0);
  s.sharpness = in(settings.value("sharpness", s.sharpness).toDouble(), 0, 5, 0.0);
  s.mouth_mask = static_cast<int>(in(settings.value("mouth_mask", 0).toInt(), 0, 100, 0));
  if (settings.contains("max_memory_gb")) s.max_memory_gb = settings.value("max_memory_gb").toDouble();
  s.gpu_memory_fraction = in(settings.value("gpu_memory_fraction", 0.8).toDouble(), 0.1, 0.95, 0.8);
  s.models_dir = settings.value("models_dir").toString();
  s.camera = settings.value("camera", s.camera).toString();
  settings.endGroup();
  return s;
}

std::optional<QString> JobSettings::apply_command_line(const QStringList& arguments) {
  using Switch = std::function<void()>;
  using Value = std::function<std::optional<QString>(const QString&)>;
  const auto ranged = [](double& field, double lo, double hi) -> Value {
    return [&field, lo, hi](const QString& text) -> std::optional<QString> {
      const auto v = to_number(text);
      if (!v || *v < lo || *v > hi) return QString("'%1' is out of range (allowed: %2 to %3)").arg(text).arg(lo).arg(hi);
      field = *v;
      return std::nullopt;
    };
  };
  const auto text = [](QString& field) -> Value {
    return [&field](const QString& v) -> std::optional<QString> {
      field = v;
      return std::nullopt;
    };
  };
  double mouth = mouth_mask;
  double memory = max_memory_gb.value_or(0);
  const std::map<QString, Switch> switches{
      {"--keep-fps", [this] { keep_fps = true; }},
      {"--keep-audio", [this] { keep_audio = true; }},
      {"--no-keep-audio", [this] { keep_audio = false; }},
      {"--keep-frames", [this] { keep_frames = true; }},
      {"--many-faces", [this] { many_faces = true; }},
      {"--poisson-blend", [this] { poisson_blend = true; }},
      {"--live-mirror", [this] { mirror = true; }},
      // Deep-Live-Cam's switch without a size: the slider's smallest "on".
      {"--mouth-mask", [&mouth] { mouth = std::max(mouth, 1.0); }},
  };
  const std::map<QString, Value> values{
      {"-s", text(source)},
      {"--source", text(source)},
      {"-t", text(target)},
      {"--target", text(target)},
      {"-o", text(output)},
      {"--output", text(output)},
      {"--models-dir", text(models_dir)},
      {"--camera", text(camera)},
      {"--map-faces",
       [this](const QString& v) -> std::optional<QString> {
         map_faces = true;
         map_faces_file = v;
         return std::nullopt;
       }},
      {"--opacity", ranged(opacity, 0, 1)},
      {"--sharpness", ranged(sharpness, 0, 5)},
      {"--mouth-mask-size", ranged(mouth, 0, 100)},
      {"--max-memory", ranged(memory, 0.1, 4096)},
      {"--gpu-memory-fraction", ranged(gpu_memory_fraction, 0.1, 0.95)},
  };
  bool memory_given = false;
  bool processors_given = false;
  FaceEnhancer enhancer_given = FaceEnhancer::kNone;
  // `dlc-gui run -s ...` reads as `dlc-gui -s ...`, as `dlc run` and plain `dlc` do.
  for (qsizetype i = arguments.value(0) == "run" ? 1 : 0; i < arguments.size(); ++i) {
    QString flag = arguments[i];
    QString inline_value;
    bool has_inline = false;
    if (flag.startsWith("--") && flag.contains('=')) {
      inline_value = flag.section('=', 1);
      flag = flag.section('=', 0, 0);
      has_inline = true;
    }
    if (const auto sw = switches.find(flag); sw != switches.end() && !has_inline) {
      sw->second();
      continue;
    }
    if (flag == "--frame-processor") {
      processors_given = true;
      QStringList names;
      if (has_inline) names << inline_value;
      while (!has_inline && i + 1 < arguments.size() && !arguments[i + 1].startsWith('-')) names << arguments[++i];
      if (names.isEmpty()) return QString("--frame-processor: a processor name is required");
      for (const auto& name : names) {
        bool known = name == "face_swapper";
        for (auto e : {FaceEnhancer::kGfpgan, FaceEnhancer::kGpen512, FaceEnhancer::kGpen256}) {
          if (name == enhancer_processor(e)) {
            enhancer_given = e;
            known = true;
          }
        }
        if (!known) {
          return QString("--frame-processor: '%1' is not one of: face_swapper, face_enhancer, face_enhancer_gpen256, "
                         "face_enhancer_gpen512").arg(name);
        }
      }
      continue;
    }
    if (const auto v = values.find(flag); v != values.end()) {
      if (!has_inline && i + 1 >= arguments.size()) return QString("%1: a value is required").arg(flag);
      if (const auto problem = v->second(has_inline ? inline_value : arguments[++i])) {
        return QString("%1: %2").arg(flag, *problem);
      }
      memory_given = memory_given || flag == "--max-memory";
      continue;
    }
    // Not a control of the window: the job gets it as given.
    extra_arguments << arguments[i];
  }
  if (processors_given) enhancer = enhancer_given;
  if (memory_given) max_memory_gb = memory;
  mouth_mask = static_cast<int>(mouth);
  return std::nullopt;
}

}  // namespace dlc::gui
