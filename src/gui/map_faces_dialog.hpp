#pragma once

#include <QDialog>
#include <QJsonObject>
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
// DIR/mapping.json) and accepts; the mapping lives as long as the dialog. Given a mapping file
// (dlc-gui --map-faces FILE) it shows that file's mappings instead, each source filled in, and
// Submit writes the file again with the sources chosen (its other fields as they were).
class MapFacesDialog : public QDialog {
  Q_OBJECT

 public:
  // scan_arguments: flags the scan gets besides -t and -o (--models-dir, the detector's ...).
  MapFacesDialog(const QString& target, const QStringList& scan_arguments, QWidget* parent = nullptr);
  ~MapFacesDialog() override;

  // Starts the scan (the dialog shows its progress, then the people or what went wrong).
  void scan();
  // The rows of a mapping file (`dlc run --map-faces`'s JSON) with its sources, no scan; "Scan the
  // target" beside them scans instead. False (the problem shown) when it cannot be read.
  bool load_mapping(const QString& file);
  // The file dialog "Select source" opens; tests give their own. Empty: no change.
  void set_source_chooser(std::function<QString(int person)> chooser) { choose_source_ = std::move(chooser); }
  // Person `row` (0-based, in the scan's order) is swapped with this photo ("": not swapped).
  void set_source(int row, const QString& path);

  int people() const { return static_cast<int>(rows_.size()); }
  bool scanning() const;
  QString mapping_file() const { return mapping_file_; }
  QString folder() const;
  QPushButton* submit_button() const { return submit_; }
  QPushButton* scan_button() const { return rescan_; }
  QString source(int row) const { return rows_.at(static_cast<std::size_t>(row)).source; }
  QPushButton* select_button(int row) const { return rows_.at(static_cast<std::size_t>(row)).select; }
  QLabel* source_thumbnail(int row) const { return rows_.at(static_cast<std::size_t>(row)).source_thumb; }
  QLabel* status_label() const { return status_; }
  QLabel* error_label() const { return error_; }

 signals:
  // The scan ended: its exit code (0: the rows are shown).
  void scanned(int exit_code);

 private:
  struct Row {
    QWidget* line = nullptr;
    QString source;
    QPushButton* select = nullptr;
    QLabel* source_thumb = nullptr;
  };
  void on_log(const QString& line);
  void on_finished(int exit_code, const QString& message);
  void show_people();
  // One row per mapping of mappings_ (paths in it relative to base_).
  void show_rows();
  void clear_rows();
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
  QPushButton* rescan_ = nullptr;
  std::vector<Row> rows_;
  // The mapping the rows show (faces.json of the scan, or the given file) and the folder its
  // relative paths start from; Submit writes it with each row's source.
  QJsonObject mapping_;
  QString base_;
  QString mapping_file_;
  std::function<QString(int)> choose_source_;
};

}  // namespace dlc::gui
