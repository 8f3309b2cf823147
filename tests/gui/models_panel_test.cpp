#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include "gui/models_panel.hpp"

using dlc::gui::ModelsPanel;

namespace {

int row_of(const ModelsPanel& panel, const QString& label) {
  for (int row = 0; row < static_cast<int>(panel.roles().size()); ++row) {
    if (panel.roles()[static_cast<std::size_t>(row)].label == label) return row;
  }
  return -1;
}

}  // namespace

class ModelsPanelTest : public QObject {
  Q_OBJECT

 private slots:
  // tests/app/model_server.py serves the fixture swapper; a manifest points at it.
  void initTestCase() {
    QVERIFY(dir_.isValid());
    QDir(dir_.path()).mkpath("served");
    QDir(dir_.path()).mkpath("models");
    const QString served = dir_.filePath("served/inswapper_128.onnx");
    QVERIFY(QFile::copy(QString(DLC_FIXTURE_DIR) + "/inswapper_128.onnx", served));
    QFile model(served);
    QVERIFY(model.open(QIODevice::ReadOnly));
    const QByteArray bytes = model.readAll();
    const QString port_file = dir_.filePath("port");
    server_.start("/usr/bin/python3", {QString(DLC_SOURCE_DIR) + "/tests/app/model_server.py", dir_.filePath("served"),
                                       port_file, dir_.filePath("requests.log")});
    QVERIFY(server_.waitForStarted());
    // The server writes its port once it listens (bounded wait, not a timing assertion).
    const auto port = [&] {
      QFile file(port_file);
      return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()).trimmed() : QString();
    };
    QTRY_VERIFY_WITH_TIMEOUT(!port().isEmpty(), 10000);
    const QString url = QString("http://127.0.0.1:%1/inswapper_128.onnx").arg(port());
    manifest_ = dir_.filePath("manifest.json");
    QFile manifest(manifest_);
    QVERIFY(manifest.open(QIODevice::WriteOnly));
    manifest.write(QString(R"({"format": 1, "files": [
      {"file": "inswapper_128.onnx", "role": "swapper", "names": ["inswapper"], "role_default": true,
       "urls": ["%1"], "size": %2, "sha256": "%3", "licence": "test"}]})")
                       .arg(url)
                       .arg(bytes.size())
                       .arg(QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex()))
                       .toUtf8());
  }

  void cleanupTestCase() {
    server_.kill();
    server_.waitForFinished();
  }

  // The swapper is missing (shown as such, with its Download button); the download from the
  // local server completes, the bar at 100 %, and the list then shows the file in place.
  void showsAMissingModelAndDownloadsIt() {
    ModelsPanel panel;
    panel.setModelsArguments({"--models-dir", dir_.filePath("models"), "--manifest", manifest_});
    panel.resize(900, 500);
    panel.show();
    QSignalSpy listed(&panel, &ModelsPanel::listed);
    panel.refresh();
    QVERIFY(listed.wait(30000));
    const int row = row_of(panel, "swapper");
    QVERIFY(row >= 0);
    QVERIFY(!panel.roles()[static_cast<std::size_t>(row)].present);
    QVERIFY2(panel.table()->item(row, 1)->text().startsWith("missing inswapper_128.onnx"),
             qPrintable(panel.table()->item(row, 1)->text()));
    QVERIFY(panel.downloadButton(row)->isEnabled());
    const QString shots = qEnvironmentVariable("DLC_GUI_SCREENSHOTS");
    if (!shots.isEmpty()) panel.grab().save(QDir(shots).filePath("models.png"));

    QSignalSpy downloaded(&panel, &ModelsPanel::downloaded);
    QTest::mouseClick(panel.downloadButton(row), Qt::LeftButton);
    QVERIFY(panel.downloading());
    QVERIFY(downloaded.wait(60000));
    QCOMPARE(downloaded.at(0).at(1).toInt(), 0);
    QVERIFY(QFile::exists(dir_.filePath("models/inswapper_128.onnx")));
    QVERIFY(listed.wait(30000));  // listed again after the download
    const int after = row_of(panel, "swapper");
    QVERIFY(panel.roles()[static_cast<std::size_t>(after)].present);
    QCOMPARE(panel.progressBar(after)->value(), 100);
    QCOMPARE(panel.downloadButton(after)->text(), QString("Present"));
  }

  // A server that has no such file: dlc's message is shown, the panel stays usable.
  void aFailedDownloadShowsDlcsMessage() {
    ModelsPanel panel;
    panel.setModelsArguments({"--models-dir", dir_.filePath("models-2"), "--manifest", manifest_, "--mirror",
                              "http://127.0.0.1:1/nothing-here"});
    QSignalSpy listed(&panel, &ModelsPanel::listed);
    panel.refresh();
    QVERIFY(listed.wait(30000));
    const int row = row_of(panel, "swapper");
    QSignalSpy downloaded(&panel, &ModelsPanel::downloaded);
    panel.download(row);
    QVERIFY(downloaded.wait(60000));
    QVERIFY(downloaded.at(0).at(1).toInt() != 0);
    QVERIFY2(!downloaded.at(0).at(2).toString().isEmpty(), "no message");
    QVERIFY(listed.wait(30000));
    QVERIFY2(panel.statusLabel()->text().startsWith("The download failed"), qPrintable(panel.statusLabel()->text()));
    QVERIFY(panel.downloadButton(row)->isEnabled());
  }

 private:
  QTemporaryDir dir_;
  QProcess server_;
  QString manifest_;
};

QTEST_MAIN(ModelsPanelTest)
#include "models_panel_test.moc"
