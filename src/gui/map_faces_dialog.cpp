#include "gui/map_faces_dialog.hpp"

#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPixmap>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSaveFile>
#include <QScrollArea>
#include <QTemporaryDir>
#include <QVBoxLayout>

#include "app/exit_codes.hpp"  // a header of constants: no dlc code is linked
#include "gui/dlc_process.hpp"
#include "gui/thumbnail.hpp"

namespace dlc::gui {
namespace {

constexpr int kThumbnail = 96;

QLabel* thumbnail_label(QWidget* parent, const QString& text) {
  auto* label = new QLabel(text, parent);
  label->setFixedSize(kThumbnail, kThumbnail);
  label->setAlignment(Qt::AlignCenter);
  label->setFrameShape(QFrame::StyledPanel);
  return label;
}

void show_image(QLabel* label, const QImage& image) {
  label->setPixmap(QPixmap::fromImage(image.scaled(kThumbnail, kThumbnail, Qt::KeepAspectRatio, Qt::SmoothTransformation)));
}

}  // namespace

MapFacesDialog::MapFacesDialog(const QString& target, const QStringList& scan_arguments, QWidget* parent)
    : QDialog(parent),
      target_(target),
      scan_arguments_(scan_arguments),
      dir_(std::make_unique<QTemporaryDir>()),
      scan_(new DlcProcess(this)),
      choose_source_([this](int person) {
        return QFileDialog::getOpenFileName(this, QString("The source face for person %1").arg(person), QString(),
                                            image_filter());
      }) {
  setWindowTitle("Map faces");
  auto* layout = new QVBoxLayout(this);
  auto* heading = new QLabel(QString("The people of %1: give each one to swap a source face.").arg(QFileInfo(target).fileName()), this);
  heading->setWordWrap(true);
  layout->addWidget(heading);
  progress_ = new QProgressBar(this);
  progress_->setRange(0, 0);  // busy until the scan reports its frames
  layout->addWidget(progress_);
  status_ = new QLabel(this);
  error_ = new QLabel(this);
  error_->setWordWrap(true);
  error_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  error_->setStyleSheet("color: #c00000");
  layout->addWidget(status_);
  layout->addWidget(error_);
  auto* scroll = new QScrollArea(this);
  scroll->setWidgetResizable(true);
  auto* list = new QWidget(scroll);
  rows_layout_ = new QVBoxLayout(list);
  rows_layout_->addStretch(1);
  scroll->setWidget(list);
  layout->addWidget(scroll, 1);
  auto* buttons = new QHBoxLayout;
  submit_ = new QPushButton("Submit", this);
  submit_->setEnabled(false);
  auto* cancel = new QPushButton("Cancel", this);
  rescan_ = new QPushButton("Scan the target", this);
  rescan_->setToolTip("find the target's people again, in place of the mapping file's rows");
  rescan_->setVisible(false);
  buttons->addWidget(rescan_);
  buttons->addStretch(1);
  buttons->addWidget(submit_);
  buttons->addWidget(cancel);
  layout->addLayout(buttons);
  connect(submit_, &QPushButton::clicked, this, &MapFacesDialog::submit);
  connect(cancel, &QPushButton::clicked, this, &QDialog::reject);
  connect(rescan_, &QPushButton::clicked, this, &MapFacesDialog::scan);
  connect(this, &QDialog::rejected, scan_, &DlcProcess::cancel);
  connect(scan_, &DlcProcess::logLine, this, &MapFacesDialog::on_log);
  connect(scan_, &DlcProcess::finished, this, &MapFacesDialog::on_finished);
  resize(520, 480);
}

MapFacesDialog::~MapFacesDialog() = default;

QString MapFacesDialog::folder() const { return dir_->path(); }

bool MapFacesDialog::scanning() const { return scan_->running(); }

void MapFacesDialog::scan() {
  if (!dir_->isValid()) {
    error_->setText("Cannot make a temporary folder for the scan: " + dir_->errorString());
    return;
  }
  clear_rows();
  rescan_->setVisible(false);
  error_->clear();
  progress_->setRange(0, 0);
  status_->setText("Finding the people of the target…");
  scan_->start(QStringList{"faces", "scan", "-t", target_, "-o", dir_->path()} << scan_arguments_);
}

// "dlc: faces scan: frame 40/250, 2 people": the bar follows the frames.
void MapFacesDialog::on_log(const QString& line) {
  static const QRegularExpression kProgress(QStringLiteral(R"(faces scan: frame (\d+)/(\d+), (\d+) people)"));
  const auto match = kProgress.match(line);
  if (!match.hasMatch()) return;
  const int total = match.captured(2).toInt();
  if (total > 0) {
    progress_->setRange(0, total);
    progress_->setValue(std::min(match.captured(1).toInt(), total));
  }
  status_->setText(QString("frame %1/%2: %3 people so far").arg(match.captured(1), match.captured(2), match.captured(3)));
}

void MapFacesDialog::on_finished(int exit_code, const QString& message) {
  progress_->setRange(0, 1);
  progress_->setValue(exit_code == 0 ? 1 : 0);
  if (exit_code != 0) {
    status_->setText("The scan failed.");
    const auto said = message.isEmpty() ? QString() : message + "\n";
    if (exit_code == dlc::app::kExitModel) {
      error_->setText(said + "Finding the people needs the face recognizer (w600k_r50.onnx): run "
                             "`dlc models download recognizer` (or see the Models tab), then Map faces again.");
    } else if (exit_code == dlc::app::kExitBadInput) {
      error_->setText(said + "Check the Target: a readable image or video.");
    } else {
      error_->setText(said + QString("dlc faces scan failed (exit code %1).").arg(exit_code));
    }
    emit scanned(exit_code);
    return;
  }
  show_people();
  emit scanned(exit_code);
}

void MapFacesDialog::show_people() {
  QFile file(QDir(dir_->path()).filePath("faces.json"));
  if (!file.open(QIODevice::ReadOnly)) {
    error_->setText("The scan wrote no faces.json in " + dir_->path());
    return;
  }
  mapping_ = QJsonDocument::fromJson(file.readAll()).object();
  base_ = dir_->path();
  show_rows();
  status_->setText(rows_.empty() ? QString("No face was found in the target.")
                                 : QString("%1 %2 found: select a source for each one to swap, then Submit.")
                                       .arg(rows_.size())
                                       .arg(rows_.size() == 1 ? "person" : "people"));
}

bool MapFacesDialog::load_mapping(const QString& path) {
  clear_rows();
  progress_->setRange(0, 1);
  progress_->setValue(1);
  rescan_->setVisible(true);
  QFile file(path);
  QJsonParseError parsed;
  const auto document = file.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(file.readAll(), &parsed) : QJsonDocument();
  if (!document.object().value("mappings").isArray()) {
    status_->setText("The mapping file cannot be used.");
    error_->setText(QString("Cannot read the mapping '%1': %2").arg(path,
        !file.isOpen() ? file.errorString()
        : parsed.error != QJsonParseError::NoError ? "not JSON (" + parsed.errorString() + ")"
                                                    : QString("no \"mappings\" list (see `dlc faces scan`)")));
    return false;
  }
  mapping_ = document.object();
  base_ = QFileInfo(path).absolutePath();
  show_rows();
  status_->setText(QString("The mapping of %1: %2 %3; change a source or Submit.")
                       .arg(QFileInfo(path).fileName())
                       .arg(rows_.size())
                       .arg(rows_.size() == 1 ? "row" : "rows"));
  return true;
}

void MapFacesDialog::clear_rows() {
  for (auto& row : rows_) delete row.line;
  rows_.clear();
  submit_->setEnabled(false);
}

void MapFacesDialog::show_rows() {
  const QDir base(base_);
  const auto mappings = mapping_.value("mappings").toArray();
  for (const auto& value : mappings) {
    const auto m = value.toObject();
    Row row;
    row.line = new QWidget(this);
    auto* h = new QHBoxLayout(row.line);
    const auto person = m.value("person").toInt();
    QString about;
    QString picture;  // the target's face, or the photo the mapping finds it by
    if (m.contains("person")) {
      about = QString("Person %1").arg(person);
      picture = m.value("thumbnail").toString();
    } else if (m.contains("reference")) {
      picture = m.value("reference").toString();
      about = QString("The face nearest to %1").arg(QFileInfo(picture).fileName());
    } else {
      about = QString("Face %1 from the left").arg(m.value("target_face").toInt() + 1);
    }
    auto* face = thumbnail_label(row.line, m.contains("person") ? QString("person %1").arg(person) : about);
    if (!picture.isEmpty()) show_image(face, QImage(base.filePath(picture)));
    const auto faces = m.value("faces").toInt();
    const auto first = m.value("first_frame").toInteger();
    const auto last = m.value("last_frame").toInteger();
    if (last > first) about += QString("\n%1 faces, frames %2 to %3").arg(faces).arg(first).arg(last);
    auto* label = new QLabel(about, row.line);
    row.select = new QPushButton("Select source", row.line);
    row.source_thumb = thumbnail_label(row.line, "not swapped");
    h->addWidget(face);
    h->addWidget(label, 1);
    h->addWidget(row.select);
    h->addWidget(row.source_thumb);
    rows_layout_->insertWidget(rows_layout_->count() - 1, row.line);
    row.line->show();  // added to a dialog already shown
    const int index = static_cast<int>(rows_.size());
    connect(row.select, &QPushButton::clicked, this, [this, index, person] {
      const auto path = choose_source_(person > 0 ? person : index + 1);
      if (!path.isEmpty()) set_source(index, path);
    });
    rows_.push_back(row);
    if (const auto source = m.value("source").toString(); !source.isEmpty()) set_source(index, base.filePath(source));
  }
}

void MapFacesDialog::set_source(int row, const QString& path) {
  auto& r = rows_.at(static_cast<std::size_t>(row));
  r.source = path.isEmpty() ? QString() : QFileInfo(path).absoluteFilePath();
  if (r.source.isEmpty()) {
    r.source_thumb->setText("not swapped");
  } else if (const QImage image(r.source); image.isNull()) {
    r.source.clear();
    r.source_thumb->setText("not swapped");
    error_->setText(QString("Cannot read '%1' as an image.").arg(path));
  } else {
    show_image(r.source_thumb, image);
    error_->clear();
  }
  submit_->setEnabled(std::ranges::any_of(rows_, [](const Row& x) { return !x.source.isEmpty(); }));
}

// The shown mapping with each row's "source" (and its other relative paths made absolute: the copy
// is written elsewhere), in the dialog's folder (a temporary name, then renamed).
void MapFacesDialog::submit() {
  const QDir base(base_);
  auto root = mapping_;
  auto mappings = root.value("mappings").toArray();
  for (qsizetype i = 0; i < mappings.size() && i < static_cast<qsizetype>(rows_.size()); ++i) {
    auto m = mappings[i].toObject();
    m["source"] = rows_[static_cast<std::size_t>(i)].source;
    for (const char* field : {"reference", "thumbnail"}) {
      if (m.contains(field)) m[field] = QFileInfo(base.filePath(m.value(field).toString())).absoluteFilePath();
    }
    mappings[i] = m;
  }
  root["mappings"] = mappings;
  QSaveFile out(QDir(dir_->path()).filePath("mapping.json"));
  if (!out.open(QIODevice::WriteOnly) || out.write(QJsonDocument(root).toJson()) < 0 || !out.commit()) {
    error_->setText("Cannot write " + out.fileName() + ": " + out.errorString());
    return;
  }
  mapping_file_ = out.fileName();
  accept();
}

}  // namespace dlc::gui
