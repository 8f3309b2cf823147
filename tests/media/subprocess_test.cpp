#include "media/subprocess.hpp"

#include <gtest/gtest.h>

namespace dlc::media {
namespace {

TEST(Subprocess, CollectsBothStreamsAndTheExitCode) {
  const auto r = run_process({"/bin/sh", "-c", "echo out; echo err >&2; exit 7"});
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(Subprocess, ArgumentsAreNeverInterpretedByAShell) {
  const auto r = run_process({"echo", "$HOME; rm -rf /", "*"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "$HOME; rm -rf / *\n");
}

TEST(Subprocess, ExtraEnvironmentReplacesInheritedValues) {
  const auto r = run_process({"/bin/sh", "-c", "echo $HOME"}, {"HOME=/elsewhere"});
  EXPECT_EQ(r.out, "/elsewhere\n");
}

TEST(Subprocess, MissingProgramIs127WithTheReason) {
  const auto r = run_process({"/nonexistent/program"});
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_NE(r.err.find("/nonexistent/program"), std::string::npos);
}

TEST(Subprocess, LargeOutputDoesNotDeadlock) {
  const auto r = run_process({"/bin/sh", "-c", "head -c 1000000 /dev/zero; head -c 1000000 /dev/zero >&2"});
  EXPECT_EQ(r.out.size(), 1000000u);
  EXPECT_EQ(r.err.size(), 1000000u);
}

}  // namespace
}  // namespace dlc::media
