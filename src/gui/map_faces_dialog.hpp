#pragma once

#include <QDialog>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>
#include <vector>

class QLabel;
class QProgressBar;
class QPushButton;
class QTemporaryDir;
class QVBoxLayout;

namespace dlc::gui {

class DlcProcess;

// Deep-Live-Cam's map-faces dialog over `dlc faces scan -t TARGET -o DIR` (DIR a temporary folder
// the dialog owns): one row per person the scan found (an image: each face; a video: each person
// of its online clustering), with their thumbnail (DIR/person_K.png) and a "Select source" button.
// Submit writes the filled mapping (DIR/faces.json with the chosen "source" fields, as
// DIR/mapping.json) and accepts; the mapping lives as long as the dialog.
class MapFacesDialog : public QDialog {
  Q_OBJECT

 public:
  // scan_arguments: flags the scan gets besides -t and -o (--models-dir, the detector's ...).
  MapFacesDialog(const QString& target, const QStringList& scan_arguments, QWidget* parent = nullptr);
  ~MapFacesDialog() override;

  // Starts the scan (the dialog shows its progress, then the people or what went wrong).
  void scan();
  // The file dialog "Select source" opens; tests give their own. Empty: no change.
  void set_source_chooser(std::function<QString(int person)> chooser) { choose_source_ = std::move(chooser); }
  // Person `row` (0-based, in the scan's order) is swapped with this photo ("": not swapped).
  void set_source(int row, const QString& path);

  int people() const { return static_cast<int>(rows_.size()); }
  bool scanning() const;
  QString mapping_file() const { return mapping_file_; }
  QString folder() const;
  QPushButton* submit_button() const { return submit_; }
  QPushButton* select_button(int row) const { return rows_.at(static_cast<std::size_t>(row)).select; }
  QLabel* source_thumbnail(int row) const { return rows_.at(static_cast<std::size_t>(row)).source_thumb; }
  QLabel* status_label() const { return status_; }
  QLabel* error_label() const { return error_; }

 signals:
  // The scan ended: its exit code (0: the rows are shown).
  void scanned(int exit_code);

 private:
  struct Row {
    int person = 0;
    QString source;
    QPushButton* select = nullptr;
    QLabel* source_thumb = nullptr;
  };
  void on_log(const QString& line);
  void on_finished(int exit_code, const QString& message);
  void show_people();
  void submit();

  QString target_;
  QStringList scan_arguments_;
  std::unique_ptr<QTemporaryDir> dir_;
  DlcProcess* scan_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QLabel* status_ = nullptr;
  QLabel* error_ = nullptr;
  QVBoxLayout* rows_layout_ = nullptr;
  QPushButton* submit_ = nullptr;
  std::vector<Row> rows_;
  QString mapping_file_;
  std::function<QString(int)> choose_source_;
};

}  // namespace dlc::gui
