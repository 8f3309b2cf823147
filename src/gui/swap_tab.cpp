#include "gui/swap_tab.hpp"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QPixmap>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QSlider>
#include <QTemporaryDir>
#include <QTimer>
#include <QVBoxLayout>

#include <cmath>
#include <csignal>

#include "app/exit_codes.hpp"  // a header of constants: no dlc code is linked
#include "gui/dlc_process.hpp"
#include "gui/map_faces_dialog.hpp"
#include "gui/thumbnail.hpp"

namespace dlc::gui {
namespace {

constexpr int kThumbnail = 200;
// The Mouth mask slider's previews wait this long after its last move (a drag moves it many
// times a second; each preview is a dlc run).
constexpr int kPreviewDebounceMs = 150;

QString format_seconds(double seconds) {
  const auto s = static_cast<long>(std::lround(seconds));
  return s >= 60 ? QString("%1 min %2 s").arg(s / 60).arg(s % 60) : QString("%1 s").arg(s);
}

// The model file `dlc models download` fetches for each enhancer (models/manifest.json).
QString enhancer_model(FaceEnhancer enhancer) {
  switch (enhancer) {
    case FaceEnhancer::kGfpgan: return "gfpgan-1024.onnx";
    case FaceEnhancer::kGpen512: return "GPEN-BFR-512.onnx";
    case FaceEnhancer::kGpen256: return "GPEN-BFR-256.onnx";
    case FaceEnhancer::kNone: break;
  }
  return {};
}

QSlider* slider(int maximum, QWidget* parent) {
  auto* s = new QSlider(Qt::Horizontal, parent);
  s->setRange(0, maximum);
  return s;
}

void show_thumbnail(QLabel* label, const QImage& image) {
  label->setPixmap(QPixmap::fromImage(image.scaled(kThumbnail, kThumbnail, Qt::KeepAspectRatio, Qt::SmoothTransformation)));
}

}  // namespace

SwapTab::SwapTab(QWidget* parent)
    : QWidget(parent),
      job_(new DlcProcess(this)),
      source_grabber_(new FrameGrabber(this)),
      target_grabber_(new FrameGrabber(this)),
      frame_grabber_(new FrameGrabber(this)),
      choose_output_([this](const QString& suggested) {
        return QFileDialog::getSaveFileName(this, "Save the result", suggested, media_filter());
      }) {
  setAcceptDrops(true);
  build();
  connect(job_, &DlcProcess::progress, this, &SwapTab::on_progress);
  connect(job_, &DlcProcess::done, this, [this](const JobDone& done) {
    last_output_ = QString::fromStdString(done.output);
  });
  connect(job_, &DlcProcess::finished, this, &SwapTab::on_finished);
  connect(source_grabber_, &FrameGrabber::ready, this, [this](const QString&, const QImage& image) {
    show_thumbnail(source_thumb_, image);
  });
  connect(target_grabber_, &FrameGrabber::ready, this, [this](const QString&, const QImage& image) {
    show_thumbnail(target_thumb_, image);
  });
  for (auto* grabber : {source_grabber_, target_grabber_}) {
    connect(grabber, &FrameGrabber::failed, this, [this, grabber](const QString& path, const QString& reason) {
      (grabber == source_grabber_ ? source_thumb_ : target_thumb_)->setText("cannot read this file");
      error_->setText(QString("Cannot read '%1': %2").arg(path, reason.isEmpty() ? "not an image or video" : reason));
    });
  }
  // A chosen video frame, saved as the preview job's target.
  connect(frame_grabber_, &FrameGrabber::ready, this, [this](const QString&, const QImage& frame) {
    if (!preview_dir_ || job_->running()) return;
    const auto still = preview_dir_->filePath("frame.png");
    frame.save(still, "PNG", 100);  // 0: fastest deflate
    preview_still_ = still;
    start_preview_job(still);
  });
  preview_timer_ = new QTimer(this);
  preview_timer_->setSingleShot(true);
  preview_timer_->setInterval(kPreviewDebounceMs);
  connect(preview_timer_, &QTimer::timeout, this, &SwapTab::run_preview);
  connect(frame_grabber_, &FrameGrabber::failed, this, [this](const QString&, const QString& reason) {
    error_->setText("Cannot read the frame for the preview: " + reason);
  });
}

SwapTab::~SwapTab() {
  // A probe still running (the window closed at once) is stopped, not left to Qt's warning.
  for (auto* probe : findChildren<QProcess*>(Qt::FindDirectChildrenOnly)) {
    probe->disconnect(this);
    probe->kill();
    probe->waitForFinished(2000);
  }
}

void SwapTab::build() {
  auto* layout = new QVBoxLayout(this);

  // Source, ↔, Target.
  auto* files = new QHBoxLayout;
  const auto picker = [this](const QString& title, QLineEdit*& edit, QLabel*& thumb, bool target) {
    auto* box = new QGroupBox(title, this);
    auto* v = new QVBoxLayout(box);
    thumb = new QLabel(target ? "drop a target here" : "drop a face here", box);
    thumb->setFixedSize(kThumbnail, kThumbnail);
    thumb->setAlignment(Qt::AlignCenter);
    thumb->setFrameShape(QFrame::StyledPanel);
    edit = new QLineEdit(box);
    edit->setPlaceholderText(target ? "an image or a video" : "a photo of the face");
    auto* pick = new QPushButton(target ? "Select a target" : "Select a face", box);
    v->addWidget(thumb, 0, Qt::AlignHCenter);
    v->addWidget(edit);
    v->addWidget(pick);
    connect(pick, &QPushButton::clicked, this, [this, target] {
      const auto path = QFileDialog::getOpenFileName(this, target ? "Select a target" : "Select a face", QString(),
                                                     target ? media_filter() : image_filter());
      if (path.isEmpty()) return;
      target ? set_target(path) : set_source(path);
    });
    connect(edit, &QLineEdit::editingFinished, this, [this, edit, target] {
      target ? set_target(edit->text()) : set_source(edit->text());
    });
    return box;
  };
  files->addWidget(picker("Source", source_edit_, source_thumb_, false));
  swap_paths_ = new QPushButton("↔", this);
  swap_paths_->setToolTip("Swap source and target (both images)");
  swap_paths_->setFixedWidth(40);
  connect(swap_paths_, &QPushButton::clicked, this, [this] {
    const auto source = source_edit_->text();
    set_source(target_edit_->text());
    set_target(source);
  });
  files->addWidget(swap_paths_, 0, Qt::AlignVCenter);
  files->addWidget(picker("Target", target_edit_, target_thumb_, true));
  layout->addLayout(files);

  // The switches.
  auto* options = new QGroupBox("Options", this);
  auto* grid = new QGridLayout(options);
  int n = 0;
  const auto check = [&](const QString& label, const QString& tip) {
    auto* box = new QCheckBox(label, options);
    box->setToolTip(tip);
    grid->addWidget(box, n / 3, n % 3);
    ++n;
    connect(box, &QCheckBox::toggled, this, &SwapTab::settingsChanged);
    return box;
  };
  keep_fps_ = check("Keep fps", "the target's frame rate; off: 30 fps");
  keep_audio_ = check("Keep audio", "copy the target's audio");
  keep_frames_ = check("Keep frames", "--keep-frames");
  many_faces_ = check("Many faces", "swap every face, not only the leftmost");
  map_faces_ = check("Map faces", "a source face per target face (--map-faces)");
  poisson_ = check("Poisson blend", "blend the face in with seamless cloning");
  layout->addWidget(options);

  // The drop-down and the sliders (the memory controls are the Memory tab's).
  auto* refine = new QGroupBox("Refinement", this);
  auto* form = new QFormLayout(refine);
  enhancer_ = new QComboBox(refine);
  for (auto e : {FaceEnhancer::kNone, FaceEnhancer::kGfpgan, FaceEnhancer::kGpen512, FaceEnhancer::kGpen256}) {
    enhancer_->addItem(enhancer_label(e), static_cast<int>(e));
  }
  form->addRow("Face enhancer", enhancer_);
  opacity_ = slider(100, refine);  // 0..1 in steps of 0.01, as Deep-Live-Cam's
  sharpness_ = slider(50, refine);  // 0..5 in steps of 0.1
  mouth_mask_ = slider(100, refine);
  auto* opacity_value = new QLabel(refine);
  auto* sharpness_value = new QLabel(refine);
  auto* mouth_value = new QLabel(refine);
  const auto row = [&](const QString& label, QSlider* s, QLabel* value) {
    auto* h = new QHBoxLayout;
    h->addWidget(s);
    value->setMinimumWidth(40);
    h->addWidget(value);
    form->addRow(label, h);
    connect(s, &QSlider::valueChanged, this, &SwapTab::settingsChanged);
  };
  row("Transparency", opacity_, opacity_value);
  row("Sharpness", sharpness_, sharpness_value);
  row("Mouth mask", mouth_mask_, mouth_value);
  // Held, the preview shows the outline of the mask that size makes (dlc run --draw-mouth-mask);
  // released, the plain preview at the new size.
  mouth_mask_->setToolTip("0 = off; hold the slider to see the mask's outline in the preview");
  connect(mouth_mask_, &QSlider::sliderPressed, this, [this] { request_preview(true); });
  connect(mouth_mask_, &QSlider::valueChanged, this, [this] {
    if (mouth_mask_->isSliderDown()) request_preview(true);
  });
  connect(mouth_mask_, &QSlider::sliderReleased, this, [this] { request_preview(false); });
  connect(opacity_, &QSlider::valueChanged, opacity_value, [opacity_value](int v) { opacity_value->setNum(v / 100.0); });
  connect(sharpness_, &QSlider::valueChanged, sharpness_value, [sharpness_value](int v) { sharpness_value->setNum(v / 10.0); });
  connect(mouth_mask_, &QSlider::valueChanged, mouth_value,
          [mouth_value](int v) { mouth_value->setText(v == 0 ? "off" : QString::number(v)); });
  opacity_value->setNum(1.0);
  sharpness_value->setNum(0.0);
  mouth_value->setText("off");
  layout->addWidget(refine);

  // Start, Cancel, Preview and what a job reports.
  auto* actions = new QHBoxLayout;
  start_ = new QPushButton("Start", this);
  cancel_ = new QPushButton("Cancel", this);
  preview_ = new QPushButton("Preview", this);
  map_faces_button_ = new QPushButton("Map faces…", this);
  map_faces_button_->setToolTip("find the target's people, give each a source face, then run (Map faces)");
  cancel_->setEnabled(false);
  actions->addWidget(start_);
  actions->addWidget(map_faces_button_);
  actions->addWidget(cancel_);
  actions->addWidget(preview_);
  layout->addLayout(actions);
  connect(start_, &QPushButton::clicked, this, &SwapTab::start);
  connect(cancel_, &QPushButton::clicked, job_, &DlcProcess::cancel);
  connect(preview_, &QPushButton::clicked, this, &SwapTab::preview);
  connect(map_faces_button_, &QPushButton::clicked, this, [this] {
    map_faces_->setChecked(true);
    open_map_faces();
  });
  progress_ = new QProgressBar(this);
  progress_->setRange(0, 1);
  progress_->setValue(0);
  progress_->setFormat(QString());
  layout->addWidget(progress_);
  status_ = new QLabel(this);
  error_ = new QLabel(this);
  error_->setWordWrap(true);
  error_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  error_->setStyleSheet("color: #b00020");
  result_ = new QLabel(this);
  result_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(status_);
  layout->addWidget(error_);
  layout->addWidget(result_);
  preview_image_ = new QLabel(this);
  preview_image_->setAlignment(Qt::AlignCenter);
  preview_image_->setMinimumHeight(160);
  preview_frame_ = new QSlider(Qt::Horizontal, this);
  preview_frame_->setVisible(false);
  preview_frame_->setToolTip("the video frame to preview");
  connect(preview_frame_, &QSlider::sliderReleased, this, [this] { preview_frame(preview_frame_->value()); });
  layout->addWidget(preview_image_, 1);
  layout->addWidget(preview_frame_);
  set_settings(JobSettings{});
}

JobSettings SwapTab::settings() const {
  JobSettings s = hidden_;
  s.source = source_edit_->text();
  s.target = target_edit_->text();
  if (s.target != hidden_.target) s.map_faces_file.clear();  // the given mapping was of the other target
  s.keep_fps = keep_fps_->isChecked();
  s.keep_audio = keep_audio_->isChecked();
  s.keep_frames = keep_frames_->isChecked();
  s.many_faces = many_faces_->isChecked();
  s.map_faces = map_faces_->isChecked();
  s.poisson_blend = poisson_->isChecked();
  s.enhancer = static_cast<FaceEnhancer>(enhancer_->currentData().toInt());
  s.opacity = opacity_->value() / 100.0;
  s.sharpness = sharpness_->value() / 10.0;
  s.mouth_mask = mouth_mask_->value();
  if (shared_) shared_(s);
  return s;
}

void SwapTab::set_settings(const JobSettings& s) {
  hidden_ = s;
  source_edit_->setText(s.source);
  target_edit_->setText(s.target);
  keep_fps_->setChecked(s.keep_fps);
  keep_audio_->setChecked(s.keep_audio);
  keep_frames_->setChecked(s.keep_frames);
  many_faces_->setChecked(s.many_faces);
  map_faces_->setChecked(s.map_faces);
  poisson_->setChecked(s.poisson_blend);
  enhancer_->setCurrentIndex(enhancer_->findData(static_cast<int>(s.enhancer)));
  opacity_->setValue(static_cast<int>(std::lround(s.opacity * 100)));
  sharpness_->setValue(static_cast<int>(std::lround(s.sharpness * 10)));
  mouth_mask_->setValue(s.mouth_mask);
  if (!s.source.isEmpty()) source_grabber_->load(s.source);
  if (!s.target.isEmpty()) set_target(s.target);
  update_swap_button();
}

void SwapTab::set_source(const QString& path) {
  source_edit_->setText(path);
  source_thumb_->setText("loading…");
  if (!path.isEmpty()) source_grabber_->load(path);
  update_swap_button();
  emit settingsChanged();
}

void SwapTab::set_target(const QString& path) {
  target_edit_->setText(path);
  target_thumb_->setText("loading…");
  preview_frame_->setVisible(false);
  preview_image_->clear();
  preview_still_.clear();
  preview_still_frame_ = -1;
  if (!path.isEmpty()) target_grabber_->load(path);
  update_swap_button();
  emit settingsChanged();
  if (path.isEmpty() || is_image_file(path)) return;
  // The video's frame count and rate, for the preview's frame slider.
  auto* probe = new QProcess(this);
  connect(probe, &QProcess::finished, this, [this, probe, path](int code) {
    probe->deleteLater();
    if (code != 0 || target_edit_->text() != path) return;
    const auto fields = QString::fromUtf8(probe->readAllStandardOutput()).split('\n', Qt::SkipEmptyParts);
    qint64 frames = 0;
    double duration = 0;
    for (const auto& field : fields) {
      const auto key = field.section('=', 0, 0);
      const auto value = field.section('=', 1);
      if (key == "nb_frames") frames = value.toLongLong();
      if (key == "duration") duration = value.toDouble();
      if (key == "avg_frame_rate" && value.contains('/')) {
        const double den = value.section('/', 1).toDouble();
        if (den > 0 && value.section('/', 0, 0).toDouble() > 0) target_fps_ = value.section('/', 0, 0).toDouble() / den;
      }
    }
    if (frames <= 0) frames = static_cast<qint64>(duration * target_fps_);
    preview_frame_->setRange(0, static_cast<int>(std::max<qint64>(0, frames - 1)));
    preview_frame_->setValue(0);
    preview_frame_->setVisible(frames > 1);
  });
  probe->start("ffprobe", {"-v", "error", "-select_streams", "v:0", "-show_entries",
                           "stream=nb_frames,avg_frame_rate:format=duration", "-of", "default=nw=1", path});
}

void SwapTab::set_output_chooser(std::function<QString(const QString&)> chooser) { choose_output_ = std::move(chooser); }

bool SwapTab::job_running() const { return job_->running(); }

void SwapTab::update_swap_button() {
  swap_paths_->setEnabled(is_image_file(source_edit_->text()) && is_image_file(target_edit_->text()));
}

void SwapTab::set_running(bool running) {
  start_->setEnabled(!running);
  preview_->setEnabled(!running);
  cancel_->setEnabled(running && !previewing_);
}

void SwapTab::start() {
  auto s = settings();
  error_->clear();
  result_->clear();
  if (s.map_faces) {
    open_map_faces();
    return;
  }
  if (s.source.isEmpty() || s.target.isEmpty()) {
    error_->setText("Select a face (Source) and a target first.");
    return;
  }
  start_job(std::move(s));
}

// Map faces: `dlc faces scan` in the dialog (or the mapping file given to dlc-gui), then (Submit)
// the job with the mapping it wrote in place of -s. The dialog, and with it the mapping's folder, lives until the next one.
void SwapTab::open_map_faces() {
  error_->clear();
  result_->clear();
  const auto target = target_edit_->text();
  if (target.isEmpty()) {
    error_->setText("Select a target first: Map faces finds its people.");
    return;
  }
  if (map_dialog_ != nullptr) map_dialog_->deleteLater();
  QStringList scan_arguments;
  if (!hidden_.models_dir.isEmpty()) scan_arguments << "--models-dir" << hidden_.models_dir;
  map_dialog_ = new MapFacesDialog(target, scan_arguments << hidden_.extra_arguments, this);
  connect(map_dialog_, &QDialog::accepted, this, [this, dialog = map_dialog_] {
    auto s = settings();
    s.map_faces = true;
    s.map_faces_file = dialog->mapping_file();
    start_job(std::move(s));
  });
  map_dialog_->open();
  // dlc-gui --map-faces FILE: that mapping, its sources filled in, in place of a scan.
  // A mapping given with the settings is their target's faces: another target is scanned.
  if (hidden_.map_faces_file.isEmpty() || target != hidden_.target) {
    map_dialog_->scan();
  } else {
    map_dialog_->load_mapping(hidden_.map_faces_file);
  }
  emit mapFacesOpened(map_dialog_);
}

void SwapTab::start_job(JobSettings s) {
  if (job_->running()) return;
  const QFileInfo target(s.target);
  const auto suggested = target.dir().filePath(target.completeBaseName() + "-swapped." + target.suffix());
  s.output = choose_output_(suggested);
  if (s.output.isEmpty()) return;
  pending_output_ = s.output;
  last_output_.clear();
  previewing_ = false;
  progress_->setRange(0, 1);
  progress_->setValue(0);
  progress_->setFormat("frame %v/%m");
  status_->setText("Starting…");
  set_running(true);
  emit jobStarted(job_);
  job_->start(s.run_arguments());
}

void SwapTab::preview() {
  const auto s = settings();
  error_->clear();
  if (s.source.isEmpty() || s.target.isEmpty()) {
    error_->setText("Select a face (Source) and a target first.");
    return;
  }
  wanted_outline_ = false;
  run_preview();
}

void SwapTab::request_preview(bool outline) {
  if (job_->running() && !previewing_) return;  // a Start job: no preview until it ends
  wanted_outline_ = outline;
  preview_timer_->start();
}

void SwapTab::run_preview() {
  preview_wanted_ = false;
  if (job_->running()) {
    preview_wanted_ = previewing_;
    return;
  }
  const auto target = target_edit_->text();
  if (source_edit_->text().isEmpty() || target.isEmpty()) return;
  if (is_image_file(target)) {
    if (!preview_dir_) preview_dir_ = std::make_unique<QTemporaryDir>();
    start_preview_job(target);
  } else if (preview_still_frame_ == preview_frame_->value() && !preview_still_.isEmpty() && preview_dir_) {
    start_preview_job(preview_still_);
  } else {
    preview_frame(preview_frame_->value());
  }
}

void SwapTab::start_preview_job(const QString& target) {
  auto s = settings();
  s.target = target;
  s.output = preview_dir_->filePath("preview.png");
  shown_outline_ = wanted_outline_;
  if (shown_outline_) {
    // The outline of the mask this size makes (at 0, off, the lips' own), the mask itself only when on.
    s.extra_arguments << "--draw-mouth-mask";
  }
  previewing_ = true;
  status_->setText(shown_outline_ ? QString("Previewing the mouth mask (%1)…").arg(s.mouth_mask) : QString("Previewing…"));
  set_running(true);
  emit jobStarted(job_);
  preview_arguments_ = s.run_arguments();
  job_->start(preview_arguments_);
}

void SwapTab::preview_frame(int frame) {
  if (job_->running() || target_edit_->text().isEmpty()) return;
  preview_dir_ = std::make_unique<QTemporaryDir>();
  preview_still_.clear();
  preview_still_frame_ = frame;
  status_->setText(QString("Previewing frame %1…").arg(frame));
  frame_grabber_->load(target_edit_->text(), frame / std::max(1.0, target_fps_));
}

void SwapTab::on_progress(const Progress& p) {
  if (previewing_) return;
  if (p.frames > 0) {
    progress_->setRange(0, static_cast<int>(p.frames));
    progress_->setValue(static_cast<int>(std::min(p.frame, p.frames)));
  }
  status_->setText(QString("frame %1/%2, %3 fps, ETA %4")
                       .arg(p.frame)
                       .arg(p.frames)
                       .arg(p.fps, 0, 'f', 1)
                       .arg(format_seconds(p.eta_seconds)));
}

void SwapTab::on_finished(int exit_code, const QString& message) {
  const bool was_preview = previewing_;
  previewing_ = false;
  set_running(false);
  if (exit_code != 0) {
    status_->setText(exit_code == 128 + SIGINT ? "Cancelled." : "Failed.");
    show_error(exit_code, message);
    emit jobFinished(exit_code, QString());
    return;
  }
  if (was_preview) {
    preview_result_ = QImage(preview_dir_->filePath("preview.png"));
    preview_image_->setPixmap(QPixmap::fromImage(preview_result_.scaled(
        preview_image_->size().expandedTo(QSize(320, 240)), Qt::KeepAspectRatio, Qt::SmoothTransformation)));
    status_->setText(shown_outline_ ? "Preview ready: the green line is the mouth mask's outline." : "Preview ready.");
    emit previewShown(shown_outline_);
    if (preview_wanted_) run_preview();
    return;
  }
  if (last_output_.isEmpty()) last_output_ = pending_output_;
  progress_->setValue(progress_->maximum());
  status_->setText("Done.");
  result_->setText("Wrote " + last_output_);
  emit jobFinished(0, last_output_);
}

void SwapTab::show_error(int exit_code, const QString& message) {
  error_->setText(what_to_do(exit_code, message));
}

// The window's advice for each of dlc's exit codes.
QString SwapTab::what_to_do(int exit_code, const QString& message) const {
  using namespace dlc::app;
  const auto said = message.isEmpty() ? QString() : message + "\n";
  switch (exit_code) {
    case 128 + SIGINT:
    case 128 + SIGTERM: return "Cancelled: nothing was written.";
    case kExitUsage: return said + "dlc refused these settings: check the flags given to dlc-gui.";
    case kExitBadInput: return said + "Check the Source and Target: each must be a readable image (the target may be a video).";
    case kExitModel: {
      const auto model = enhancer_model(settings().enhancer);
      if (!model.isEmpty() && message.contains("enhancer", Qt::CaseInsensitive)) {
        return said + QString("The %1 model is missing: run `dlc models download %2`, or choose None.")
                          .arg(enhancer_->currentText(), model);
      }
      return said + "A model file is missing or invalid: run `dlc models list` to see which, then `dlc models download NAME`.";
    }
    case kExitMemoryBudget: return said + "Raise Max memory (the Memory tab), or choose no face enhancer.";
    case kExitDownload: return said + "The download failed: check the network and try again (it resumes).";
    case kExitRefused: return said + "The NSFW filter refused this target.";
    default: return said + QString("dlc failed (exit code %1).").arg(exit_code);
  }
}

void SwapTab::dragEnterEvent(QDragEnterEvent* event) {
  if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

// A drop on the source's half sets the source, elsewhere the target; two files set both.
void SwapTab::dropEvent(QDropEvent* event) {
  const auto urls = event->mimeData()->urls();
  if (urls.isEmpty()) return;
  if (urls.size() >= 2) {
    set_source(urls[0].toLocalFile());
    set_target(urls[1].toLocalFile());
  } else if (event->position().x() < width() / 2.0) {
    set_source(urls[0].toLocalFile());
  } else {
    set_target(urls[0].toLocalFile());
  }
  event->acceptProposedAction();
}

}  // namespace dlc::gui
