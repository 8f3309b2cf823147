// dlc batch through the binary: the Slurm scripts and the Kubernetes Jobs it writes for a clip,
// with their memory from dlc's plan. The YAML is parsed by Python's yaml (not run on a cluster:
// bookworm has no kubectl) and checked against the fields of a batch/v1 Indexed Job.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include "media/subprocess.hpp"
#include "support/paths.hpp"

namespace dlc::app {
namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class BatchCommand : public testing::Test {
 protected:
  void SetUp() override {
    astronaut_ = test::astronaut_photo();
    if (const auto why = test::missing_inputs(test::Dlib68::kNotNeeded); !why.empty()) GTEST_SKIP() << why;
    dir_ = test::make_temp_dir();
    models_ = test::copy_fixture_models(dir_, {"w600k_r50.onnx", "inswapper_128.onnx"});
    clip_ = test::make_test_clip(dir_, "clip.mp4", true);  // 50 frames
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  media::ProcessResult batch(const std::string& engine) const {
    return media::run_process({test::dlc_binary().string(), "batch", engine, "-s", astronaut_.string(), "-t",
                               clip_.string(), "-o", (dir_ / "out.mp4").string(), "--parts", "3", "--work-dir",
                               (dir_ / "work").string(), "--models-dir", models_.string(), "--execution-threads", "2",
                               "--video-quality", "0"});
  }
  // The planned peak dlc plan --json gives for the same run, in MiB.
  double planned_mib() const {
    const auto r = media::run_process({test::dlc_binary().string(), "plan", "-s", astronaut_.string(), "-t",
                                       clip_.string(), "--models-dir", models_.string(), "--execution-threads", "2",
                                       "--video-quality", "0", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["threads"], 2);
    EXPECT_EQ(doc["strategies"].size(), 3U);
    EXPECT_TRUE(doc["chosen"].is_string());
    return doc["peak_bytes"].get<double>() / (1 << 20);
  }

  std::filesystem::path astronaut_;
  std::filesystem::path dir_;
  std::filesystem::path models_;
  std::filesystem::path clip_;
};

TEST_F(BatchCommand, SlurmArrayHasThePlansMemoryAndTheJoinDependsOnIt) {
  const auto r = batch("slurm");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto parts = read_text(dir_ / "work" / "parts.sbatch");
  EXPECT_NE(parts.find("#SBATCH --array=0-2\n"), std::string::npos) << parts;
  EXPECT_NE(parts.find("#SBATCH --cpus-per-task=2\n"), std::string::npos) << parts;
  EXPECT_NE(parts.find("#SBATCH --requeue\n"), std::string::npos) << parts;
  EXPECT_NE(parts.find("ranges=(0:16 16:33 33:50)"), std::string::npos) << parts;
  EXPECT_NE(parts.find("'--video-quality' '0'"), std::string::npos) << parts;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(parts, m, std::regex("#SBATCH --mem=([0-9]+)M")));
  const double mem = std::stod(m[1]);
  const double peak = planned_mib();
  EXPECT_NEAR(mem, peak * 1.25, 2.0) << "--mem is the plan's peak x 1.25";
  const auto join = read_text(dir_ / "work" / "join.sbatch");
  EXPECT_NE(join.find("'join'"), std::string::npos) << join;
  EXPECT_NE(join.find("'--audio-from'"), std::string::npos) << join;
  EXPECT_NE(join.find("part-0002.mkv"), std::string::npos) << join;
}

TEST_F(BatchCommand, KubernetesIndexedJobParsesWithTheJobFields) {
  const auto r = batch("k8s");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto yaml = dir_ / "work" / "dlc-jobs.yaml";
  const auto parsed = media::run_process(
      {"python3", "-c", "import json,sys,yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))",
       yaml.string()});
  ASSERT_EQ(parsed.exit_code, 0) << parsed.err << read_text(yaml);
  const auto docs = nlohmann::json::parse(parsed.out);
  ASSERT_EQ(docs.size(), 2U);
  const auto& parts = docs[0];
  EXPECT_EQ(parts["apiVersion"], "batch/v1");
  EXPECT_EQ(parts["kind"], "Job");
  EXPECT_EQ(parts["spec"]["completionMode"], "Indexed");
  EXPECT_EQ(parts["spec"]["completions"], 3);
  const auto& pod = parts["spec"]["template"]["spec"];
  EXPECT_EQ(pod["restartPolicy"], "Never");
  const auto& container = pod["containers"][0];
  const auto command = container["command"][2].get<std::string>();
  EXPECT_NE(command.find("$JOB_COMPLETION_INDEX"), std::string::npos) << command;
  EXPECT_NE(command.find("--frame-range"), std::string::npos) << command;
  const auto& resources = container["resources"];
  EXPECT_EQ(resources["requests"]["memory"], resources["limits"]["memory"]);
  const auto memory = resources["limits"]["memory"].get<std::string>();
  ASSERT_TRUE(memory.ends_with("Mi")) << memory;
  EXPECT_NEAR(std::stod(memory), planned_mib() * 1.25, 2.0);
  EXPECT_EQ(docs[1]["kind"], "Job");
  EXPECT_NE(docs[1]["spec"]["template"]["spec"]["containers"][0]["command"][2].get<std::string>().find("'join'"),
            std::string::npos);
  // The shell command picks each index's range: run it for index 1 with dlc replaced by echo.
  auto shown = command;
  shown.replace(shown.find("exec '"), 6, "exec echo '");
  const auto echoed = media::run_process({"/bin/sh", "-c", shown}, {"JOB_COMPLETION_INDEX=1"});
  EXPECT_NE(echoed.out.find("--frame-range 16:33 -o " + (dir_ / "work" / "part-0001.mkv").string()), std::string::npos)
      << echoed.out << echoed.err;
}

}  // namespace
}  // namespace dlc::app
