#pragma once

#include <QProcess>
#include <QStringList>
#include <QWidget>

#include <memory>
#include <vector>

class QLabel;
class QProgressBar;
class QPushButton;
class QTabWidget;
class QTableWidget;

namespace dlc::gui {

// Which model files are there and what stands in for a missing one (`dlc models list --json`),
// with a Download button per role (`dlc models download KEY`) and its progress bar (the
// "NAME: 40% (...)" lines dlc prints when not on a terminal). One download at a time.
class ModelsPanel : public QWidget {
  Q_OBJECT

 public:
  struct Role {
    QString label;     // "swapper", "enhancer (face_enhancer)"
    QString file;      // the preferred file name
    QString key;       // what `dlc models download` takes
    bool present = false;
    QString path;      // the file a job uses, when present
    QString problem;   // why it is not usable, when it is there but invalid
    QString fallback;  // what stands in when missing ("" = nothing: the job refuses)
  };

  explicit ModelsPanel(QWidget* parent = nullptr);
  ~ModelsPanel() override;

  // Flags given to every `dlc models` call (--models-dir, --manifest, --mirror).
  void setModelsArguments(const QStringList& arguments) { models_arguments_ = arguments; }
  const std::vector<Role>& roles() const { return roles_; }
  QTableWidget* table() const { return table_; }
  QLabel* statusLabel() const { return status_; }
  // The row's button and bar (a row per role, in dlc's order).
  QPushButton* downloadButton(int row) const;
  QProgressBar* progressBar(int row) const;
  bool downloading() const { return download_.state() != QProcess::NotRunning; }

 public slots:
  void refresh();
  void download(int row);

 signals:
  void listed();
  // exit_code is dlc's (0: the file is in place, verified); message its last error line.
  void downloaded(int row, int exit_code, const QString& message);

 private:
  void list_finished();
  void read_download();
  void download_finished(int exit_code, QProcess::ExitStatus status);
  void show_roles();

  QTableWidget* table_ = nullptr;
  QLabel* status_ = nullptr;
  QPushButton* refresh_ = nullptr;
  QProcess list_;
  QProcess download_;
  QByteArray download_pending_;
  QString download_error_;
  QString download_message_;  // the last download's outcome
  int download_row_ = -1;
  std::vector<Role> roles_;
  QStringList models_arguments_;
};

// The Models tab.
ModelsPanel* add_models_tab(QTabWidget* tabs);

}  // namespace dlc::gui
