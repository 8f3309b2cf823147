#pragma once

#include <QImage>
#include <QStringList>
#include <QWidget>

#include <functional>

#include "gui/dlc_process.hpp"
#include "gui/job_events.hpp"
#include "gui/job_settings.hpp"
#include "gui/preview_stream.hpp"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTabWidget;

namespace dlc::gui {

// The live image, scaled to the widget with its aspect kept, on black.
class LiveView : public QWidget {
  Q_OBJECT

 public:
  explicit LiveView(QWidget* parent = nullptr);
  void setImage(QImage image);
  void clear();
  const QImage& image() const { return image_; }
  std::int64_t framesDrawn() const { return drawn_; }

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  QImage image_;
  std::int64_t drawn_ = 0;
};

// `dlc live -s FACE --camera CAM --headless --preview-pipe WxH ...` as a child: its stdout is the
// preview (PreviewStream), drawn in the LiveView; its stderr the log and events. The camera is
// captured by the child, so no OpenCV (and no highgui) is ever loaded into the window.
class LivePanel : public QWidget {
  Q_OBJECT

 public:
  // The preview's fixed size (16:9; a 4:3 camera gets black bars left and right).
  static constexpr int kPreviewWidth = 640;
  static constexpr int kPreviewHeight = 360;

  explicit LivePanel(QWidget* parent = nullptr);
  ~LivePanel() override;

  void setSourceFace(const QString& path);
  // Adds a video file as a camera and selects it.
  void addCameraFile(const QString& path);
  // Flags other panels add (the memory budget): asked each time Live is pressed.
  void setExtraArguments(std::function<QStringList()> extra) { extra_ = std::move(extra); }
  // Its switches (Mirror, Fix Blueish Cam, Show FPS) into and out of the window's settings.
  void storeSettings(JobSettings& settings) const;
  void loadSettings(const JobSettings& settings);
  // The argv of the session Live starts now (without the dlc binary).
  QStringList liveArguments() const;
  bool running() const { return process_.running(); }

  QComboBox* cameraBox() const { return camera_; }
  QPushButton* liveButton() const { return live_button_; }
  QCheckBox* mirrorBox() const { return mirror_; }
  QCheckBox* fixBlueishBox() const { return fix_blueish_; }
  QCheckBox* showFpsBox() const { return show_fps_; }
  QCheckBox* virtualCameraBox() const { return virtual_camera_; }
  QLineEdit* streamEdit() const { return stream_; }
  LiveView* view() const { return view_; }
  QLabel* fpsLabel() const { return fps_label_; }
  QLabel* statusLabel() const { return status_; }
  double fps() const { return fps_; }
  const PreviewStream& stream() const { return preview_; }

 public slots:
  void startLive();
  void stopLive();
  void refreshCameras();

 signals:
  void logLine(const QString& line);
  void memorySample(const dlc::gui::MemorySample& sample);
  void planned(const dlc::gui::JobPlan& plan);
  void started();
  // exit_code is dlc's; message its last error line (empty on success).
  void finished(int exit_code, const QString& message);

 private:
  void read_preview();
  void cameras_listed();
  bool preview_wanted() const;

  QLineEdit* source_ = nullptr;
  QComboBox* camera_ = nullptr;
  QCheckBox* mirror_ = nullptr;
  QCheckBox* fix_blueish_ = nullptr;
  QCheckBox* show_fps_ = nullptr;
  QCheckBox* virtual_camera_ = nullptr;
  QLineEdit* stream_ = nullptr;
  QPushButton* live_button_ = nullptr;
  QLabel* fps_label_ = nullptr;
  QLabel* status_ = nullptr;
  LiveView* view_ = nullptr;

  DlcProcess process_;
  QProcess cameras_;
  PreviewStream preview_;
  double fps_ = 0.0;
  std::function<QStringList()> extra_;
};

// The Live tab.
LivePanel* add_live_tab(QTabWidget* tabs);

}  // namespace dlc::gui
