#include "gui/models_panel.hpp"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

#include "gui/dlc_process.hpp"

namespace dlc::gui {
namespace {

constexpr int kKillWaitMs = 5000;
enum Column { kRole, kStatus, kDownload, kProgress, kColumns };

}  // namespace

ModelsPanel::ModelsPanel(QWidget* parent) : QWidget(parent) {
  table_ = new QTableWidget(0, kColumns, this);
  table_->setHorizontalHeaderLabels({"Role", "File", "", "Progress"});
  table_->horizontalHeader()->setSectionResizeMode(kStatus, QHeaderView::Stretch);
  table_->verticalHeader()->setVisible(false);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setWordWrap(true);
  status_ = new QLabel(this);
  status_->setWordWrap(true);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  refresh_ = new QPushButton("Refresh", this);
  connect(refresh_, &QPushButton::clicked, this, &ModelsPanel::refresh);
  auto* top = new QHBoxLayout;
  top->addWidget(status_, 1);
  top->addWidget(refresh_);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(top);
  layout->addWidget(table_, 1);

  connect(&list_, &QProcess::finished, this, &ModelsPanel::list_finished);
  download_.setProcessChannelMode(QProcess::MergedChannels);
  connect(&download_, &QProcess::readyReadStandardOutput, this, &ModelsPanel::read_download);
  connect(&download_, &QProcess::finished, this, &ModelsPanel::download_finished);
}

ModelsPanel::~ModelsPanel() {
  for (auto* process : {&list_, &download_}) {
    if (process->state() == QProcess::NotRunning) continue;
    // Killed as the window closes: its finished() must not reach a half-destroyed panel.
    process->disconnect(this);
    process->kill();
    process->waitForFinished(kKillWaitMs);
  }
}

QPushButton* ModelsPanel::downloadButton(int row) const {
  return qobject_cast<QPushButton*>(table_->cellWidget(row, kDownload));
}

QProgressBar* ModelsPanel::progressBar(int row) const {
  return qobject_cast<QProgressBar*>(table_->cellWidget(row, kProgress));
}

void ModelsPanel::refresh() {
  if (list_.state() != QProcess::NotRunning) return;
  status_->setText("Looking for the model files…");
  list_.start(dlc_binary(), QStringList{"models", "list", "--json"} + models_arguments_);
}

void ModelsPanel::list_finished() {
  QJsonParseError error{};
  const auto document = QJsonDocument::fromJson(list_.readAllStandardOutput(), &error);
  if (list_.exitCode() != 0 || error.error != QJsonParseError::NoError || !document.isObject()) {
    status_->setText(QString("dlc models list failed (exit %1): %2")
                         .arg(list_.exitCode())
                         .arg(QString::fromUtf8(list_.readAllStandardError()).trimmed()));
    return;
  }
  roles_.clear();
  for (const auto& value : document.object()["roles"].toArray()) {
    const auto o = value.toObject();
    roles_.push_back({o["label"].toString(), o["file"].toString(), o["download"].toString(), o["present"].toBool(),
                      o["path"].toString(), o["problem"].toString(), o["fallback"].toString()});
  }
  QStringList dirs;
  for (const auto& d : document.object()["search_path"].toArray()) dirs << d.toString();
  // A download's outcome stays in front of the listing it caused.
  status_->setText((download_message_.isEmpty() ? QString() : download_message_ + " ") +
                   QString("Models are looked up in %1.").arg(dirs.join(", ")));
  show_roles();
  emit listed();
}

void ModelsPanel::show_roles() {
  table_->setRowCount(static_cast<int>(roles_.size()));
  for (int row = 0; row < static_cast<int>(roles_.size()); ++row) {
    const auto& role = roles_[static_cast<std::size_t>(row)];
    table_->setItem(row, kRole, new QTableWidgetItem(role.label));
    QString text;
    if (!role.present) {
      text = role.fallback.isEmpty() ? QString("missing %1; nothing stands in: the jobs that need it stop").arg(role.file)
                                     : QString("missing %1; in use instead: %2").arg(role.file, role.fallback);
    } else if (!role.problem.isEmpty()) {
      text = QString("INVALID %1: %2").arg(role.path, role.problem);
    } else {
      text = role.path;
    }
    table_->setItem(row, kStatus, new QTableWidgetItem(text));
    auto* button = new QPushButton(role.present && role.problem.isEmpty() ? "Present" : "Download");
    button->setEnabled(!(role.present && role.problem.isEmpty()) && !downloading());
    connect(button, &QPushButton::clicked, this, [this, row] { download(row); });
    table_->setCellWidget(row, kDownload, button);
    auto* bar = new QProgressBar;
    bar->setRange(0, 100);
    bar->setValue(role.present && role.problem.isEmpty() ? 100 : 0);
    table_->setCellWidget(row, kProgress, bar);
  }
  table_->resizeRowsToContents();
}

void ModelsPanel::download(int row) {
  if (downloading() || row < 0 || row >= static_cast<int>(roles_.size())) return;
  download_row_ = row;
  download_pending_.clear();
  download_error_.clear();
  for (int r = 0; r < table_->rowCount(); ++r) {
    if (auto* b = downloadButton(r)) b->setEnabled(false);
  }
  downloadButton(row)->setText("Downloading…");
  progressBar(row)->setValue(0);
  status_->setText(QString("Downloading %1…").arg(roles_[static_cast<std::size_t>(row)].file));
  download_.start(dlc_binary(), QStringList{"models", "download", roles_[static_cast<std::size_t>(row)].key} + models_arguments_);
}

// "inswapper_128.onnx: 40% (…)" while fetching, "…: N MB fetched in S s" at the end.
void ModelsPanel::read_download() {
  static const QRegularExpression kPercent(QStringLiteral(R"(: (\d+)% \()"));
  download_pending_ += download_.readAllStandardOutput();
  for (qsizetype end = download_pending_.indexOf('\n'); end >= 0; end = download_pending_.indexOf('\n')) {
    const QString line = QString::fromUtf8(download_pending_.left(end)).trimmed();
    download_pending_.remove(0, end + 1);
    if (line.startsWith("dlc: ")) download_error_ = line.mid(5);
    if (const auto m = kPercent.match(line); m.hasMatch()) progressBar(download_row_)->setValue(m.captured(1).toInt());
    if (line.contains(" fetched in ")) progressBar(download_row_)->setValue(100);
  }
}

void ModelsPanel::download_finished(int exit_code, QProcess::ExitStatus status) {
  read_download();
  const int row = download_row_;
  const int code = status == QProcess::NormalExit ? exit_code : 128 + 9;
  download_message_ = code == 0 ? QString("%1 is in place, verified.").arg(roles_[static_cast<std::size_t>(row)].file)
                                : QString("The download failed (exit %1): %2").arg(code).arg(download_error_);
  status_->setText(download_message_);
  emit downloaded(row, code, code == 0 ? QString() : download_error_);
  refresh();
}

ModelsPanel* add_models_tab(QTabWidget* tabs) {
  auto* models = new ModelsPanel(tabs);
  tabs->addTab(models, "Models");
  models->refresh();
  return models;
}

}  // namespace dlc::gui
