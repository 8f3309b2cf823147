// `dlc models download` against a model server on 127.0.0.1 started by the test
// (tests/app/model_server.py) with a manifest of fixture files: a clean download, a transfer cut
// halfway and resumed, a corrupted byte, a wrong size, a 404, the server gone mid-transfer, the
// zip extraction, --from, --mirror, the proxy variables, an unreachable host.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "app/exit_codes.hpp"
#include "media/child_process.hpp"
#include "media/subprocess.hpp"
#include "runtime/sha256.hpp"
#include "support/paths.hpp"

namespace dlc::app {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const fs::path& file, const std::string& text) { std::ofstream(file, std::ios::binary) << text; }

// The fixture server, serving root's files on a port of its choosing.
class ModelServer {
 public:
  ModelServer(const fs::path& root, const fs::path& work, std::vector<std::string> behaviour = {})
      : port_file_(work / "port"), log_(work / "requests.log") {
    fs::remove(port_file_);
    std::vector<std::string> argv{"/usr/bin/python3", test::source_tree_file("tests/app/model_server.py").string(),
                                  root.string(), port_file_.string(), log_.string()};
    argv.insert(argv.end(), behaviour.begin(), behaviour.end());
    process_ = std::make_unique<media::ChildProcess>(argv, media::ChildPipes{});
    // Waits for the port file (the server writes it once listening); bounded, not a timing assertion.
    for (int i = 0; i < 500 && !fs::exists(port_file_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    port_ = read_text(port_file_);
  }
  ~ModelServer() { process_->terminate(); }
  std::string url(const std::string& file) const { return "http://127.0.0.1:" + port_ + "/" + file; }
  const std::string& port() const { return port_; }
  std::string requests() const { return fs::exists(log_) ? read_text(log_) : std::string(); }
  int wait() { return process_->wait(); }

 private:
  fs::path port_file_;
  fs::path log_;
  std::string port_;
  std::unique_ptr<media::ChildProcess> process_;
};

class ModelsDownload : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::make_temp_dir();
    served_ = dir_ / "served";
    out_ = dir_ / "out";
    fs::create_directories(served_);
    model_ = served_ / "inswapper_128.onnx";
    fs::copy_file(test::fixture_model("inswapper_128.onnx"), model_);
    size_ = fs::file_size(model_);
    sha_ = runtime::file_sha256(model_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A manifest with the fixture swapper at url (its real size and sha256 unless told otherwise).
  fs::path manifest(const std::string& url, std::uint64_t size = 0, const std::string& extra_entries = "") {
    const auto file = dir_ / "manifest.json";
    write_text(file, R"({"format": 1, "files": [
      {"file": "inswapper_128.onnx", "role": "swapper", "names": ["inswapper"], "role_default": true,
       "urls": [")" + url + R"("], "size": )" + std::to_string(size == 0 ? size_ : size) +
                         R"(, "sha256": ")" + sha_ + R"(", "licence": "test"})" + extra_entries + "]}");
    return file;
  }

  media::ProcessResult download(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv{test::dlc_binary().string(), "models", "download"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--models-dir", out_.string()});
    return media::run_process(argv, env);
  }

  fs::path dir_, served_, out_, model_;
  std::uint64_t size_ = 0;
  std::string sha_;
};

TEST_F(ModelsDownload, CleanDownloadIsVerifiedAndRenamed) {
  ModelServer server(served_, dir_);
  const auto r = download({"inswapper", "--manifest", manifest(server.url("inswapper_128.onnx")).string()});
  EXPECT_EQ(r.exit_code, kExitOk) << r.out << r.err;
  EXPECT_EQ(runtime::file_sha256(out_ / "inswapper_128.onnx"), sha_);
  EXPECT_FALSE(fs::exists(out_ / "inswapper_128.onnx.part"));
  EXPECT_EQ(server.requests(), "GET /inswapper_128.onnx range=-\n");
  EXPECT_NE(r.out.find("verified, in place"), std::string::npos) << r.out;
  // Not a terminal: plain lines, no bar redrawn with carriage returns.
  EXPECT_NE(r.out.find("inswapper_128.onnx.part: "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\r'), std::string::npos) << r.out;

  // A second run finds the verified file and fetches nothing.
  const auto again = download({"inswapper", "--manifest", manifest(server.url("inswapper_128.onnx")).string()});
  EXPECT_EQ(again.exit_code, kExitOk) << again.err;
  EXPECT_NE(again.out.find("already there, verified"), std::string::npos) << again.out;
  EXPECT_EQ(server.requests(), "GET /inswapper_128.onnx range=-\n");
}

TEST_F(ModelsDownload, TransferCutHalfwayIsResumedWithARangeRequest) {
  const auto half = size_ / 2;
  ModelServer server(served_, dir_, {"--cut", "inswapper_128.onnx:" + std::to_string(half)});
  const auto r = download({"swapper", "--manifest", manifest(server.url("inswapper_128.onnx")).string()});
  EXPECT_EQ(r.exit_code, kExitOk) << r.out << r.err;
  EXPECT_EQ(server.requests(), "GET /inswapper_128.onnx range=-\nGET /inswapper_128.onnx range=bytes=" +
                                   std::to_string(half) + "-\n");
  EXPECT_EQ(runtime::file_sha256(out_ / "inswapper_128.onnx"), sha_);
  EXPECT_NE(r.out.find("trying again"), std::string::npos) << r.out;
}

TEST_F(ModelsDownload, CorruptedByteIsRefusedAndNothingKeptUnderTheName) {
  ModelServer server(served_, dir_, {"--corrupt", "inswapper_128.onnx"});
  const auto r = download({"inswapper", "--manifest", manifest(server.url("inswapper_128.onnx")).string()});
  EXPECT_EQ(r.exit_code, kExitModel) << r.out << r.err;
  EXPECT_NE(r.err.find("has sha256"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the manifest says " + sha_), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out_ / "inswapper_128.onnx"));
  EXPECT_FALSE(fs::exists(out_ / "inswapper_128.onnx.part"));
}

TEST_F(ModelsDownload, WrongSizeIsRefused) {
  ModelServer server(served_, dir_);
  const auto r = download({"inswapper", "--manifest", manifest(server.url("inswapper_128.onnx"), size_ + 1).string()});
  EXPECT_EQ(r.exit_code, kExitModel) << r.out << r.err;
  EXPECT_NE(r.err.find("is " + std::to_string(size_) + " bytes, the manifest says " + std::to_string(size_ + 1)),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(out_ / "inswapper_128.onnx"));
}

TEST_F(ModelsDownload, NotFoundIsAnHttpErrorWithItsOwnExitCode) {
  ModelServer server(served_, dir_);
  const auto r = download({"inswapper", "--manifest", manifest(server.url("missing/inswapper_404.onnx")).string()});
  EXPECT_EQ(r.exit_code, kExitDownload) << r.out << r.err;
  EXPECT_NE(r.err.find("the server answered HTTP 404"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out_ / "inswapper_128.onnx"));
  EXPECT_FALSE(fs::exists(out_ / "inswapper_128.onnx.part"));
}

TEST_F(ModelsDownload, ServerGoneMidTransferKeepsAResumablePart) {
  const auto half = size_ / 2;
  const auto m = manifest("http://127.0.0.1:PORT/inswapper_128.onnx");
  std::string port;
  {
    ModelServer server(served_, dir_, {"--die", "inswapper_128.onnx:" + std::to_string(half)});
    port = server.port();
    write_text(m, std::regex_replace(read_text(m), std::regex("PORT"), port));
    const auto r = download({"inswapper", "--manifest", m.string()});
    EXPECT_EQ(r.exit_code, kExitDownload) << r.out << r.err;
    EXPECT_NE(r.err.find("the same command resumes it"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("no connection to the model servers"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out_ / "inswapper_128.onnx"));
    EXPECT_EQ(fs::file_size(out_ / "inswapper_128.onnx.part"), half);
  }
  // The server back (on another port: the manifest follows it): the same command resumes.
  ModelServer server(served_, dir_);
  write_text(m, std::regex_replace(read_text(m), std::regex(":" + port + "/"), ":" + server.port() + "/"));
  const auto r = download({"inswapper", "--manifest", m.string()});
  EXPECT_EQ(r.exit_code, kExitOk) << r.out << r.err;
  EXPECT_EQ(server.requests(), "GET /inswapper_128.onnx range=-\nGET /inswapper_128.onnx range=bytes=" +
                                   std::to_string(half) + "-\n");
  EXPECT_EQ(runtime::file_sha256(out_ / "inswapper_128.onnx"), sha_);
  EXPECT_NE(r.out.find("resuming at"), std::string::npos) << r.out;
}

TEST_F(ModelsDownload, ArchiveMembersAreExtractedAndTheArchiveDropped) {
  // A zip like buffalo_l.zip: a folder, deflated, a member dlc does not use.
  const auto zip = served_ / "buffalo_l.zip";
  const auto made = media::run_process(
      {"/usr/bin/python3", "-c",
       "import sys, zipfile\n"
       "z = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED)\n"
       "for f in sys.argv[2:]: z.write(f, 'buffalo_l/' + f.rsplit('/', 1)[1])\n"
       "z.writestr('buffalo_l/1k3d68.onnx', b'unused')\n",
       zip.string(), test::fixture_model("det_10g.onnx").string(), test::fixture_model("w600k_r50.onnx").string(),
       test::fixture_model("2d106det.onnx").string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  ModelServer server(served_, dir_);
  const auto members = R"(, {"file": "buffalo_l.zip", "role": "bundle", "urls": [")" + server.url("buffalo_l.zip") +
                       R"("], "size": )" + std::to_string(fs::file_size(zip)) + R"(, "sha256": ")" +
                       runtime::file_sha256(zip) + R"(",
        "members": ["det_10g.onnx", "w600k_r50.onnx", "2d106det.onnx"]},
      {"file": "det_10g.onnx", "role": "detector", "in_archive": "buffalo_l.zip", "role_default": true},
      {"file": "w600k_r50.onnx", "role": "recognizer", "in_archive": "buffalo_l.zip", "role_default": true},
      {"file": "2d106det.onnx", "role": "landmarks", "in_archive": "buffalo_l.zip", "role_default": true})";
  const auto r = download({"detector", "recognizer", "--manifest", manifest(server.url("x"), 0, members).string()});
  EXPECT_EQ(r.exit_code, kExitOk) << r.out << r.err;
  EXPECT_EQ(server.requests(), "GET /buffalo_l.zip range=-\n");  // one archive for both roles
  for (const char* name : {"det_10g.onnx", "w600k_r50.onnx", "2d106det.onnx"}) {
    EXPECT_EQ(runtime::file_sha256(out_ / name), runtime::file_sha256(test::fixture_model(name))) << name;
  }
  EXPECT_FALSE(fs::exists(out_ / "1k3d68.onnx"));
  EXPECT_FALSE(fs::exists(out_ / "buffalo_l.zip"));
  EXPECT_FALSE(fs::exists(out_ / "buffalo_l.zip.part"));
}

TEST_F(ModelsDownload, FromAFolderNeedsNoNetwork) {
  // No server at all: the URL would fail, --from does not use it.
  const auto r = download({"inswapper", "--from", served_.string(), "--manifest",
                           manifest("http://127.0.0.1:1/inswapper_128.onnx").string()});
  EXPECT_EQ(r.exit_code, kExitOk) << r.out << r.err;
  EXPECT_NE(r.out.find("copied from " + model_.string()), std::string::npos) << r.out;
  EXPECT_EQ(runtime::file_sha256(out_ / "inswapper_128.onnx"), sha_);
}

TEST_F(ModelsDownload, MirrorReplacesTheManifestsUrls) {
  ModelServer server(served_, dir_);
  const auto r = download({"inswapper", "--mirror", "http://127.0.0.1:" + server.port() + "/", "--manifest",
                           manifest("http://127.0.0.1:1/elsewhere/inswapper_128.onnx").string()});
  EXPECT_EQ(r.exit_code, kExitOk) << r.out << r.err;
  EXPECT_EQ(server.requests(), "GET /inswapper_128.onnx range=-\n");
}

TEST_F(ModelsDownload, ProxyVariablesAreHonoured) {
  // The model host does not exist; the request reaches it only through the proxy (the fixture
  // server, which answers proxy requests by their path).
  ModelServer proxy(served_, dir_);
  const auto r = download({"inswapper", "--manifest", manifest("http://models.invalid/inswapper_128.onnx").string()},
                          {"http_proxy=http://127.0.0.1:" + proxy.port(), "no_proxy="});
  EXPECT_EQ(r.exit_code, kExitOk) << r.out << r.err;
  EXPECT_EQ(proxy.requests(), "proxy GET /inswapper_128.onnx range=-\n");
}

TEST_F(ModelsDownload, UnreachableHostTellsTheFirewallRoute) {
  // Port 1 on the loopback: nothing listens, the connection is refused at once.
  const auto r = download({"inswapper", "--manifest", manifest("http://127.0.0.1:1/inswapper_128.onnx").string()});
  EXPECT_EQ(r.exit_code, kExitDownload) << r.out << r.err;
  EXPECT_NE(r.err.find("cannot reach 127.0.0.1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("https_proxy="), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("`dlc models download inswapper --from DIR`"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out_ / "inswapper_128.onnx"));
}

TEST_F(ModelsDownload, UnknownNameIsAUsageError) {
  const auto r = download({"no-such-model", "--manifest", manifest("http://127.0.0.1:1/x").string()});
  EXPECT_EQ(r.exit_code, kExitUsage) << r.err;
  EXPECT_NE(r.err.find("'no-such-model' is no model file, role or set"), std::string::npos) << r.err;
  EXPECT_EQ(download({}).exit_code, kExitUsage);
}

}  // namespace
}  // namespace dlc::app
