#pragma once

#include <QString>
#include <QStringList>

#include <optional>

class QSettings;

namespace dlc::gui {

// Deep-Live-Cam's face enhancer drop-down, in its order.
enum class FaceEnhancer { kNone, kGfpgan, kGpen512, kGpen256 };
QString enhancer_label(FaceEnhancer enhancer);      // None, GFPGAN, GPEN-512, GPEN-256
QString enhancer_processor(FaceEnhancer enhancer);  // dlc's --frame-processor name; empty for None

// Every switch, slider and drop-down of the window, and the paths: what a job is started with.
// run_arguments() / live_arguments() are the `dlc` argv (with --events json); QSettings keeps them
// between runs; dlc-gui's own command line (the flags of `dlc run`) is applied over the saved ones.
struct JobSettings {
  QString source;
  QString target;
  QString output;
  bool keep_fps = true;      // off: 30 fps out, as Deep-Live-Cam
  bool keep_audio = true;
  bool keep_frames = false;
  bool many_faces = false;
  bool map_faces = false;
  QString map_faces_file;    // the mapping --map-faces reads (the map-faces dialog writes it)
  bool show_fps = false;     // live: the window draws the frame rate
  bool poisson_blend = false;
  bool mirror = false;       // live
  bool fix_blueish_cam = false;  // live: BGR<->RGB of camera frames
  FaceEnhancer enhancer = FaceEnhancer::kNone;
  double opacity = 1.0;      // Transparency, 0..1
  double sharpness = 0.0;    // 0..5
  int mouth_mask = 0;        // 0 = off, 1..100 its size (Deep-Live-Cam resets it at launch; we keep it)
  std::optional<double> max_memory_gb;  // empty: dlc's suggestion from the machine's RAM
  double gpu_memory_fraction = 0.8;
  QString models_dir;        // empty: dlc's own search path
  QString camera = "0";      // live
  // Flags of `dlc run` the window has no control for, given on dlc-gui's command line: passed on
  // to every job as they are (dlc checks them).
  QStringList extra_arguments;

  QStringList run_arguments() const;
  QStringList live_arguments() const;

  void save(QSettings& settings) const;
  static JobSettings load(QSettings& settings);

  // dlc-gui's command line (without the program name) over these settings: the flags win. An
  // error names the flag and the problem.
  std::optional<QString> apply_command_line(const QStringList& arguments);
};

}  // namespace dlc::gui
