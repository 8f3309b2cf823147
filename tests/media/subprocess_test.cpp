#include "media/subprocess.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>

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

std::atomic<int> g_usr1_count{0};
extern "C" void count_usr1(int) { g_usr1_count.fetch_add(1); }

// A handled signal interrupts the blocking read and wait (no SA_RESTART): the run still goes on
// to the child's end. The child itself signals this process, several times while it runs, so
// the signals arrive while run_process waits; every thread but this one blocks them.
TEST(Subprocess, HandledSignalDuringTheWaitDoesNotEndItEarly) {
  struct sigaction action {};
  action.sa_handler = count_usr1;
  action.sa_flags = 0;
  sigemptyset(&action.sa_mask);
  struct sigaction old {};
  ASSERT_EQ(sigaction(SIGUSR1, &action, &old), 0);
  g_usr1_count = 0;
  const auto r = run_process(
      {"/bin/sh", "-c", "for i in 1 2 3 4 5; do kill -USR1 $PPID; sleep 0.05; done; echo done; echo bye >&2; exit 5"});
  sigaction(SIGUSR1, &old, nullptr);
  EXPECT_GE(g_usr1_count.load(), 1);  // signals sent close together may merge into one
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_EQ(r.out, "done\n");
  EXPECT_EQ(r.err, "bye\n");
}

}  // namespace
}  // namespace dlc::media
