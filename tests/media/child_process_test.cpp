#include "media/child_process.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

namespace dlc::media {
namespace {

std::span<const std::byte> bytes_of(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }

TEST(ChildProcess, DataGoesThroughBothPipes) {
  ChildProcess cat({"cat"}, {.to_stdin = true, .from_stdout = true});
  ASSERT_TRUE(cat.write_all(bytes_of("hello")));
  cat.close_stdin();
  std::string got(5, '\0');
  ASSERT_TRUE(cat.read_exact(std::as_writable_bytes(std::span(got.data(), got.size()))));
  EXPECT_EQ(got, "hello");
  std::byte more{};
  EXPECT_FALSE(cat.read_exact(std::span(&more, 1)));
  EXPECT_EQ(cat.wait(), 0);
  EXPECT_EQ(cat.wait(), 0);
}

TEST(ChildProcess, ReportsExitCodesAndSignals) {
  ChildProcess exits({"/bin/sh", "-c", "exit 3"}, {});
  EXPECT_EQ(exits.wait(), 3);
  ChildProcess killed({"/bin/sh", "-c", "kill -TERM $$"}, {});
  EXPECT_EQ(killed.wait(), 128 + SIGTERM);
}

TEST(ChildProcess, StreamsNotPipedAreNullAndArgumentsReachNoShell) {
  ChildProcess echo({"echo", "$HOME; *"}, {});
  std::byte b{};
  EXPECT_FALSE(echo.read_exact(std::span(&b, 1)));
  EXPECT_FALSE(echo.write_all(bytes_of("x")));
  EXPECT_EQ(echo.wait(), 0);
}

TEST(ChildProcess, StderrKeepsABoundedTailAndNeverBlocksTheChild) {
  // 200 KB is three times a pipe's buffer: without the reader thread the child would hang.
  ChildProcess chatty({"/bin/sh", "-c", "head -c 200000 /dev/zero | tr '\\0' a >&2; echo END >&2"}, {});
  EXPECT_EQ(chatty.wait(), 0);
  const auto tail = chatty.stderr_tail();
  EXPECT_EQ(tail.size(), 8u * 1024u);
  EXPECT_TRUE(tail.ends_with("aaaEND\n"));
}

TEST(ChildProcess, TerminatingASleepingChildIsQuick) {
  ChildProcess sleeper({"sleep", "30"}, {.to_stdin = true, .from_stdout = true});
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(sleeper.terminate(), 128 + SIGTERM);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(ChildProcess, ChildIgnoringSigtermIsKilledAfterTheGrace) {
  ChildProcess stubborn({"/bin/sh", "-c", "trap '' TERM; echo ready; sleep 10 & wait"}, {.from_stdout = true});
  std::string ready(6, '\0');
  ASSERT_TRUE(stubborn.read_exact(std::as_writable_bytes(std::span(ready.data(), ready.size()))));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(stubborn.terminate(), 128 + SIGKILL);
  // The orphaned `sleep` keeps the stderr pipe open; terminate must not wait for it.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(ChildProcess, DestructorReapsARunningChild) {
  pid_t pid = -1;
  {
    ChildProcess sleeper({"sleep", "30"}, {});
    pid = sleeper.pid();
    ASSERT_EQ(kill(pid, 0), 0);
  }
  EXPECT_EQ(kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST(ChildProcess, WritingToAChildThatExitedIsFalseNotFatal) {
  ChildProcess quitter({"true"}, {.to_stdin = true});
  const std::string chunk(64 * 1024, 'x');
  bool refused = false;
  // The first writes may fill the pipe before `true` has exited; then EPIPE.
  for (int i = 0; i < 100 && !refused; ++i) refused = !quitter.write_all(bytes_of(chunk));
  EXPECT_TRUE(refused);
  sigset_t pending;
  sigemptyset(&pending);
  sigpending(&pending);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
  EXPECT_EQ(quitter.wait(), 0);
}

TEST(ChildProcess, MissingProgramThrowsNamingIt) {
  try {
    ChildProcess missing({"/nonexistent/program"}, {});
    FAIL() << "started a missing program";
  } catch (const SpawnError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/program"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ChildProcess({}, {}), SpawnError);
}

}  // namespace
}  // namespace dlc::media
