#pragma once

#include <QImage>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <functional>
#include <memory>

#include "gui/job_settings.hpp"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSlider;
class QTemporaryDir;
class QTimer;

namespace dlc::gui {

class DlcProcess;
class FrameGrabber;
class MapFacesDialog;
struct Progress;
struct JobDone;

// Deep-Live-Cam's main window for files: Source and Target (file dialogs, thumbnails, drag and
// drop, ↔), the switches, the enhancer drop-down, the sliders, Start (a save dialog, then a `dlc
// run` child with a progress bar and Cancel) and Preview (the swap of the target, or of one
// video frame chosen with a slider). Errors are shown in the tab, never as a crash.
class SwapTab : public QWidget {
  Q_OBJECT

 public:
  explicit SwapTab(QWidget* parent = nullptr);
  ~SwapTab() override;

  // The window's controls as a job takes them, and back (saved settings, the command line).
  JobSettings settings() const;
  void set_settings(const JobSettings& settings);

  void set_source(const QString& path);
  void set_target(const QString& path);
  // Start asks this for the output path (the suggestion: the target's name with "-swapped");
  // empty cancels. The default is a save dialog; tests give their own.
  void set_output_chooser(std::function<QString(const QString& suggested)> chooser);
  // The settings other tabs own (the Live tab's switches, the Memory tab's budget): settings()
  // asks this for them, so every job gets them from those tabs (the window sets it).
  void set_shared_settings(std::function<void(JobSettings&)> fill) { shared_ = std::move(fill); }

  // For the tests and the other tabs: the controls a user works with.
  QPushButton* start_button() const { return start_; }
  QPushButton* cancel_button() const { return cancel_; }
  QPushButton* preview_button() const { return preview_; }
  QPushButton* swap_button() const { return swap_paths_; }
  QPushButton* map_faces_button() const { return map_faces_button_; }
  QCheckBox* map_faces_box() const { return map_faces_; }
  // The open map-faces dialog (Start with Map faces on, or Map faces…); null before the first.
  MapFacesDialog* map_faces_dialog() const { return map_dialog_; }
  QProgressBar* progress_bar() const { return progress_; }
  QLabel* status_label() const { return status_; }
  QLabel* error_label() const { return error_; }
  QLabel* result_label() const { return result_; }
  QLabel* preview_label() const { return preview_image_; }
  QSlider* preview_frame_slider() const { return preview_frame_; }
  QLabel* source_thumbnail() const { return source_thumb_; }
  QLabel* target_thumbnail() const { return target_thumb_; }
  QCheckBox* many_faces_box() const { return many_faces_; }
  QComboBox* enhancer_box() const { return enhancer_; }
  QSlider* opacity_slider() const { return opacity_; }
  QSlider* sharpness_slider() const { return sharpness_; }
  QSlider* mouth_mask_slider() const { return mouth_mask_; }
  bool job_running() const;
  QString last_output() const { return last_output_; }
  // The last preview as dlc wrote it (unscaled), and the `dlc` arguments that made it.
  QImage preview_image() const { return preview_result_; }
  QStringList preview_arguments() const { return preview_arguments_; }

 signals:
  // A job ended: dlc's exit code (0 ok), and the output written (empty unless 0).
  void jobFinished(int exit_code, const QString& output);
  // Every job's process, as it starts, so the memory panel can follow it.
  void jobStarted(dlc::gui::DlcProcess* process);
  void settingsChanged();
  // The map-faces dialog opened, its scan started.
  void mapFacesOpened(dlc::gui::MapFacesDialog* dialog);
  // A preview is shown; outline: it has the mouth mask's outline drawn (the slider held).
  void previewShown(bool outline);

 protected:
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  void build();
  void start();
  void open_map_faces();
  void start_job(JobSettings settings);
  void preview();
  void preview_frame(int frame);
  // The preview asked for (with the mouth mask's outline or not), after the debounce; the last
  // request wins: one asked for while a preview runs starts when it ends.
  void request_preview(bool outline);
  void run_preview();
  void start_preview_job(const QString& target);
  void on_progress(const Progress& progress);
  void on_finished(int exit_code, const QString& message);
  void show_error(int exit_code, const QString& message);
  void set_running(bool running);
  void update_swap_button();
  QString what_to_do(int exit_code, const QString& message) const;

  JobSettings hidden_;  // what the command line gave that the tab has no control for
  QLineEdit* source_edit_ = nullptr;
  QLineEdit* target_edit_ = nullptr;
  QLabel* source_thumb_ = nullptr;
  QLabel* target_thumb_ = nullptr;
  QPushButton* swap_paths_ = nullptr;
  QPushButton* map_faces_button_ = nullptr;
  MapFacesDialog* map_dialog_ = nullptr;
  QCheckBox* keep_fps_ = nullptr;
  QCheckBox* keep_audio_ = nullptr;
  QCheckBox* keep_frames_ = nullptr;
  QCheckBox* many_faces_ = nullptr;
  QCheckBox* map_faces_ = nullptr;
  QCheckBox* poisson_ = nullptr;
  QComboBox* enhancer_ = nullptr;
  QSlider* opacity_ = nullptr;
  QSlider* sharpness_ = nullptr;
  QSlider* mouth_mask_ = nullptr;
  QPushButton* start_ = nullptr;
  QPushButton* cancel_ = nullptr;
  QPushButton* preview_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QLabel* status_ = nullptr;
  QLabel* error_ = nullptr;
  QLabel* result_ = nullptr;
  QLabel* preview_image_ = nullptr;
  QSlider* preview_frame_ = nullptr;

  DlcProcess* job_ = nullptr;
  FrameGrabber* source_grabber_ = nullptr;
  FrameGrabber* target_grabber_ = nullptr;
  FrameGrabber* frame_grabber_ = nullptr;  // the chosen video frame, for its preview
  std::unique_ptr<QTemporaryDir> preview_dir_;
  QString preview_still_;  // the video frame last saved for a preview, in preview_dir_
  int preview_still_frame_ = -1;
  QTimer* preview_timer_ = nullptr;  // the debounce of the Mouth mask slider's previews
  bool preview_wanted_ = false;      // a preview was asked for while one ran
  bool wanted_outline_ = false;
  bool shown_outline_ = false;       // the running preview draws the outline
  QImage preview_result_;
  QStringList preview_arguments_;
  bool previewing_ = false;
  QString pending_output_;
  QString last_output_;
  double target_fps_ = 25.0;
  std::function<QString(const QString&)> choose_output_;
  std::function<void(JobSettings&)> shared_;
};

}  // namespace dlc::gui
