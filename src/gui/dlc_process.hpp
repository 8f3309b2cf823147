#pragma once

#include <QObject>
#include <QProcess>
#include <QString>
#include <QStringList>

#include "gui/job_events.hpp"

namespace dlc::gui {

// The `dlc` executable the window drives: $DLC_BINARY if set, else `dlc` beside dlc-gui.
QString dlc_binary();

// One `dlc` child (run, live, faces scan, models ...), started with an argv list (never a shell
// string). Its stderr is read line by line; `--events json` lines become signals, the rest is
// passed on as logLine.
class DlcProcess : public QObject {
  Q_OBJECT

 public:
  explicit DlcProcess(QObject* parent = nullptr);
  ~DlcProcess() override;

  void start(const QStringList& arguments);
  // Asks the job to stop (SIGINT: dlc removes its temporary output) and kills it if it has not
  // exited within the grace period.
  void cancel();
  bool running() const;
  // What the child wrote to stdout since the last call (dlc live --preview-pipe's frames).
  QByteArray readAllStandardOutput() { return process_.readAllStandardOutput(); }

 signals:
  void logLine(const QString& line);
  void standardOutputReady();
  void progress(const dlc::gui::Progress& progress);
  void memorySample(const dlc::gui::MemorySample& sample);
  void planned(const dlc::gui::JobPlan& plan);
  // The job wrote its output (before finished(0, "")).
  void done(const dlc::gui::JobDone& result);
  // exit_code is dlc's (app/exit_codes.hpp); message is its error event's message, else its last
  // error line, else its last line; empty on success.
  void finished(int exit_code, const QString& message);

 private:
  void read_stderr();
  void handle_line(const QString& line);
  QString failure_message() const;

  QProcess process_;
  QByteArray pending_;
  QString last_error_;
  QString last_line_;
  QString error_event_;
};

}  // namespace dlc::gui
