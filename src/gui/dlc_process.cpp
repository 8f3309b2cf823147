#include "gui/dlc_process.hpp"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QTimer>

#include <csignal>
#include <type_traits>
#include <variant>

#include "gui/event_line.hpp"

namespace dlc::gui {

namespace {
constexpr int kCancelGraceMs = 5000;
}

QString dlc_binary() {
  const QString from_env = qEnvironmentVariable("DLC_BINARY");
  if (!from_env.isEmpty()) return from_env;
  // Before the window's QApplication exists (dlc-gui's flags are checked first) the executable's
  // folder is read from procfs, as Qt does on Linux.
  const auto folder = QCoreApplication::instance() != nullptr ? QCoreApplication::applicationDirPath()
                                                              : QFileInfo("/proc/self/exe").canonicalFilePath().section('/', 0, -2);
  return QDir(folder).filePath("dlc");
}

DlcProcess::DlcProcess(QObject* parent) : QObject(parent) {
  qRegisterMetaType<Progress>();
  qRegisterMetaType<MemorySample>();
  qRegisterMetaType<JobPlan>();
  qRegisterMetaType<JobDone>();
  process_.setProcessChannelMode(QProcess::SeparateChannels);
  connect(&process_, &QProcess::readyReadStandardError, this, &DlcProcess::read_stderr);
  connect(&process_, &QProcess::readyReadStandardOutput, this, &DlcProcess::standardOutputReady);
  connect(&process_, &QProcess::finished, this, [this](int exit_code, QProcess::ExitStatus status) {
    emit standardOutputReady();
    read_stderr();
    if (!pending_.isEmpty()) handle_line(QString::fromUtf8(pending_));
    pending_.clear();
    const int code = status == QProcess::NormalExit ? exit_code : 128 + SIGKILL;
    emit finished(code, code == 0 ? QString() : failure_message());
  });
  connect(&process_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
    if (error != QProcess::FailedToStart) return;
    emit finished(127, QString("cannot start %1: %2").arg(process_.program(), process_.errorString()));
  });
}

DlcProcess::~DlcProcess() {
  // A child killed here must not report: its finished would reach an owner that is itself being
  // destroyed (a panel holds its DlcProcess as a member or a Qt child).
  disconnect(&process_, nullptr, this, nullptr);
  if (running()) {
    process_.kill();
    process_.waitForFinished(kCancelGraceMs);
  }
}

void DlcProcess::start(const QStringList& arguments) {
  last_error_.clear();
  last_line_.clear();
  error_event_.clear();
  pending_.clear();
  process_.start(dlc_binary(), arguments);
}

void DlcProcess::cancel() {
  if (!running()) return;
  ::kill(static_cast<pid_t>(process_.processId()), SIGINT);
  QTimer::singleShot(kCancelGraceMs, &process_, [this] {
    if (running()) process_.kill();
  });
}

bool DlcProcess::running() const { return process_.state() != QProcess::NotRunning; }

void DlcProcess::read_stderr() {
  pending_ += process_.readAllStandardError();
  for (qsizetype end = pending_.indexOf('\n'); end >= 0; end = pending_.indexOf('\n')) {
    const QString line = QString::fromUtf8(pending_.left(end)).trimmed();
    pending_.remove(0, end + 1);
    if (!line.isEmpty()) handle_line(line);
  }
}

void DlcProcess::handle_line(const QString& line) {
  static const QString kError = QStringLiteral("[dlc] error: ");
  if (const auto event = parse_event_line(line)) {
    std::visit(
        [this](const auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, Progress>) emit progress(e);
          if constexpr (std::is_same_v<T, MemorySample>) emit memorySample(e);
          if constexpr (std::is_same_v<T, JobPlan>) emit planned(e);
          if constexpr (std::is_same_v<T, JobDone>) emit done(e);
          if constexpr (std::is_same_v<T, JobError>) error_event_ = QString::fromStdString(e.message);
        },
        *event);
    return;
  }
  if (line.startsWith(kError)) last_error_ = line.mid(kError.size());
  last_line_ = line;
  emit logLine(line);
}

QString DlcProcess::failure_message() const {
  if (!error_event_.isEmpty()) return error_event_;
  if (!last_error_.isEmpty()) return last_error_;
  return last_line_;
}

}  // namespace dlc::gui
