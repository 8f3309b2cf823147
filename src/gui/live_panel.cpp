#include "gui/live_panel.hpp"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QPushButton>
#include <QRegularExpression>
#include <QTabWidget>
#include <QVBoxLayout>


#include "gui/dlc_process.hpp"

namespace dlc::gui {
namespace {

constexpr int kStopGraceMs = 5000;
const QString kVideoFileItem = QStringLiteral("a video file…");

}  // namespace

LiveView::LiveView(QWidget* parent) : QWidget(parent) {
  setMinimumSize(320, 180);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
  setAttribute(Qt::WA_OpaquePaintEvent);
}

void LiveView::setImage(QImage image) {
  image_ = std::move(image);
  update();
}

void LiveView::clear() {
  image_ = QImage();
  update();
}

void LiveView::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.fillRect(rect(), Qt::black);
  if (image_.isNull()) return;
  const QSize scaled = image_.size().scaled(size(), Qt::KeepAspectRatio);
  const QRect target(QPoint((width() - scaled.width()) / 2, (height() - scaled.height()) / 2), scaled);
  painter.setRenderHint(QPainter::SmoothPixmapTransform);
  painter.drawImage(target, image_);
  ++drawn_;
}

LivePanel::LivePanel(QWidget* parent) : QWidget(parent) {
  source_ = new QLineEdit(this);
  source_->setPlaceholderText("the face to put on the camera (an image)");
  auto* browse = new QPushButton("…", this);
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, "Source face", {}, "Images (*.png *.jpg *.jpeg *.bmp *.webp)");
    if (!path.isEmpty()) source_->setText(path);
  });
  camera_ = new QComboBox(this);
  camera_->addItem(kVideoFileItem);
  connect(camera_, &QComboBox::activated, this, [this](int index) {
    if (camera_->itemText(index) != kVideoFileItem) return;
    const QString path = QFileDialog::getOpenFileName(this, "A video file as the camera", {},
                                                      "Videos (*.mp4 *.mkv *.mov *.avi *.webm)");
    if (!path.isEmpty()) addCameraFile(path);
  });
  auto* refresh = new QPushButton("Refresh", this);
  connect(refresh, &QPushButton::clicked, this, &LivePanel::refreshCameras);
  mirror_ = new QCheckBox("Mirror", this);
  fix_blueish_ = new QCheckBox("Fix Blueish Cam", this);
  fix_blueish_->setToolTip("swap red and blue of each camera frame (a camera that gives RGB as BGR)");
  show_fps_ = new QCheckBox("Show FPS", this);
  show_fps_->setToolTip("draw the frame rate into the live image");
  virtual_camera_ = new QCheckBox("Virtual camera", this);
  virtual_camera_->setToolTip("also write the live image to the first v4l2loopback device (--virtual-camera)");
  stream_ = new QLineEdit(this);
  stream_->setPlaceholderText("udp://HOST:PORT, srt://, tcp://, rtsp:// or rtp:// (empty: no stream)");
  live_button_ = new QPushButton("Live", this);
  connect(live_button_, &QPushButton::clicked, this, [this] { running() ? stopLive() : startLive(); });
  fps_label_ = new QLabel("– fps", this);
  status_ = new QLabel(this);
  status_->setWordWrap(true);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  view_ = new LiveView(this);

  auto* source_row = new QHBoxLayout;
  source_row->addWidget(source_, 1);
  source_row->addWidget(browse);
  auto* camera_row = new QHBoxLayout;
  camera_row->addWidget(camera_, 1);
  camera_row->addWidget(refresh);
  auto* form = new QFormLayout;
  form->addRow("Face", source_row);
  form->addRow("Camera", camera_row);
  form->addRow("Stream to", stream_);
  auto* switches = new QHBoxLayout;
  for (auto* box : {mirror_, fix_blueish_, show_fps_, virtual_camera_}) switches->addWidget(box);
  switches->addStretch(1);
  switches->addWidget(fps_label_);
  switches->addWidget(live_button_);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addLayout(switches);
  layout->addWidget(status_);
  layout->addWidget(view_, 1);

  // The session's events (--events json): its memory and plan go to the Memory tab.
  connect(&process_, &DlcProcess::standardOutputReady, this, &LivePanel::read_preview);
  connect(&process_, &DlcProcess::logLine, this, &LivePanel::logLine);
  connect(&process_, &DlcProcess::memorySample, this, &LivePanel::memorySample);
  connect(&process_, &DlcProcess::planned, this, &LivePanel::planned);
  connect(&process_, &DlcProcess::finished, this, [this](int code, const QString& message) {
    live_button_->setText("Live");
    fps_ = 0.0;
    fps_label_->setText("– fps");
    status_->setText(code == 0 ? QString("Live ended.") : QString("Live failed (exit %1): %2").arg(code).arg(message));
    emit finished(code, message);
  });
  connect(&cameras_, &QProcess::finished, this, &LivePanel::cameras_listed);
  refreshCameras();
}

LivePanel::~LivePanel() {
  if (cameras_.state() == QProcess::NotRunning) return;
  cameras_.kill();
  cameras_.waitForFinished(kStopGraceMs);
}

void LivePanel::setSourceFace(const QString& path) { source_->setText(path); }

void LivePanel::storeSettings(JobSettings& settings) const {
  settings.mirror = mirror_->isChecked();
  settings.fix_blueish_cam = fix_blueish_->isChecked();
  settings.show_fps = show_fps_->isChecked();
}

void LivePanel::loadSettings(const JobSettings& settings) {
  mirror_->setChecked(settings.mirror);
  fix_blueish_->setChecked(settings.fix_blueish_cam);
  show_fps_->setChecked(settings.show_fps);
}

void LivePanel::addCameraFile(const QString& path) {
  int index = camera_->findData(path);
  if (index < 0) {
    index = camera_->count() - 1;  // before "a video file…"
    camera_->insertItem(index, QString("%1 (video file)").arg(QFileInfo(path).fileName()), path);
  }
  camera_->setCurrentIndex(index);
}

QStringList LivePanel::liveArguments() const {
  QStringList args{"live", "-s", source_->text(), "--camera", camera_->currentData().toString(), "--headless",
                   "--preview-pipe", QString("%1x%2").arg(kPreviewWidth).arg(kPreviewHeight), "--events", "json"};
  if (mirror_->isChecked()) args << "--live-mirror";
  if (fix_blueish_->isChecked()) args << "--fix-blueish-cam";
  if (show_fps_->isChecked()) args << "--show-fps";
  if (virtual_camera_->isChecked()) args << "--virtual-camera";
  if (!stream_->text().trimmed().isEmpty()) args << "--stream" << stream_->text().trimmed();
  if (extra_) args << extra_();
  return args;
}

void LivePanel::startLive() {
  if (running()) return;
  if (camera_->currentData().toString().isEmpty()) {
    status_->setText("Choose a camera first (or a video file).");
    return;
  }
  preview_ = PreviewStream();
  view_->clear();
  status_->setText("Starting…");
  live_button_->setText("Stop");
  process_.start(liveArguments());
  emit started();
}

void LivePanel::stopLive() {
  // dlc live ends on SIGINT as after q: the recording kept, exit 0.
  process_.cancel();
}

bool LivePanel::preview_wanted() const {
  return isVisible() && !(window()->windowState() & Qt::WindowMinimized);
}

void LivePanel::read_preview() {
  if (!preview_.feed(process_.readAllStandardOutput(), preview_wanted())) {
    status_->setText("dlc live's preview stream is garbled; stopping.");
    stopLive();
    return;
  }
  if (auto frame = preview_.take()) {
    if (status_->text() == "Starting…") status_->clear();
    fps_ = frame->fps;
    fps_label_->setText(QString("%1 fps").arg(fps_, 0, 'f', 1));
    view_->setImage(std::move(frame->image));
  }
}

void LivePanel::refreshCameras() {
  if (cameras_.state() != QProcess::NotRunning) return;
  cameras_.start(dlc_binary(), {"live", "--list-cameras"});
}

// "/dev/video0: "Integrated Camera" (uvcvideo)" lines, each a capture device.
void LivePanel::cameras_listed() {
  static const QRegularExpression kDevice(QStringLiteral(R"re(^(/dev/video\d+): "(.*)" \((.*)\)$)re"));
  const QString text = QString::fromUtf8(cameras_.readAllStandardOutput());
  // Devices go first, video files (user data) stay.
  for (int i = camera_->count() - 1; i >= 0; --i) {
    if (camera_->itemData(i).toString().startsWith("/dev/video")) camera_->removeItem(i);
  }
  int at = 0;
  for (const QString& line : text.split('\n')) {
    const auto match = kDevice.match(line);
    if (!match.hasMatch()) continue;
    camera_->insertItem(at++, QString("%1 (%2)").arg(match.captured(2), match.captured(1)), match.captured(1));
  }
  if (at > 0 && camera_->currentData().toString().isEmpty()) camera_->setCurrentIndex(0);
}

LivePanel* add_live_tab(QTabWidget* tabs) {
  auto* live = new LivePanel(tabs);
  tabs->addTab(live, "Live");
  return live;
}

}  // namespace dlc::gui
