#include "media/child_process.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
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

// A bare name is the first executable of that name in PATH, looked up again when PATH changes;
// a name in no PATH folder is a SpawnError naming it.
TEST(ChildProcess, ABareNameIsTheFirstOneInPath) {
  const auto dir = std::filesystem::temp_directory_path() / ("dlc-path-" + std::to_string(getpid()));
  for (const char* folder : {"first", "second", "not-executable"}) {
    std::filesystem::create_directories(dir / folder);
    std::ofstream(dir / folder / "dlc-test-program") << "#!/bin/sh\necho " << folder << "\n";
    if (std::string(folder) != "not-executable") {
      std::filesystem::permissions(dir / folder / "dlc-test-program", std::filesystem::perms::owner_all);
    }
  }
  const std::string saved = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
  const auto said = [&](const std::string& path) {
    setenv("PATH", path.c_str(), 1);
    ChildProcess program({"dlc-test-program"}, {.from_stdout = true});
    std::string out(64, '\0');
    out.resize(program.read_some(std::as_writable_bytes(std::span(out.data(), out.size()))));
    program.wait();
    return out;
  };
  const auto folder = [&](const char* name) { return (dir / name).string(); };
  EXPECT_EQ(said(folder("not-executable") + ":" + folder("first") + ":" + folder("second")), "first\n");
  EXPECT_EQ(said(folder("second") + ":" + folder("first")), "second\n");
  setenv("PATH", folder("not-executable").c_str(), 1);
  EXPECT_THROW(ChildProcess({"dlc-test-program"}, {}), SpawnError);
  setenv("PATH", saved.c_str(), 1);
  std::filesystem::remove_all(dir);
}

TEST(ChildProcess, StderrKeepsABoundedTailAndNeverBlocksTheChild) {
  // 200 KB is three times a pipe's buffer: without the reader thread the child would hang.
  ChildProcess chatty({"/bin/sh", "-c", "head -c 200000 /dev/zero | tr '\\0' a >&2; echo END >&2"}, {});
  EXPECT_EQ(chatty.wait(), 0);
  const auto tail = chatty.stderr_tail();
  EXPECT_EQ(tail.size(), 8u * 1024u);
  EXPECT_TRUE(tail.ends_with("aaaEND\n"));
}

// A report the child writes as it starts is had while it still runs (a decoder then blocks on its
// full stdout pipe, waiting for dlc), and its first bytes stay however much follows.
TEST(ChildProcess, StderrHeadIsHadWhileTheChildRunsAndKeptWhole) {
  ChildProcess child({"/bin/sh", "-c", "echo ready >&2; head -c 20000 /dev/zero | tr '\\0' a >&2; exec sleep 30"},
                     {.stderr_head_bytes = 6});
  const auto head = child.wait_for_stderr_head([](std::string_view text) { return text.find('\n') != std::string_view::npos; });
  EXPECT_EQ(head, "ready\n");
  EXPECT_EQ(child.terminate(), 128 + SIGTERM);
  EXPECT_EQ(child.wait_for_stderr_head([](std::string_view) { return false; }), "ready\n");
  // A child that exits before saying enough: the wait ends with its stderr.
  ChildProcess quiet({"/bin/sh", "-c", "echo no >&2"}, {.stderr_head_bytes = 1024});
  EXPECT_EQ(quiet.wait_for_stderr_head([](std::string_view) { return false; }), "no\n");
  EXPECT_EQ(quiet.wait(), 0);
}

// How fast terminate() returns is a figure, not a promise: bench/child_process_bench.cpp.
TEST(ChildProcess, TerminatingASleepingChildEndsItWithSigterm) {
  ChildProcess sleeper({"sleep", "30"}, {.to_stdin = true, .from_stdout = true});
  EXPECT_EQ(sleeper.terminate(), 128 + SIGTERM);
  EXPECT_EQ(sleeper.wait(), 128 + SIGTERM);
}

// One line of the child's stdout, without its newline.
std::string read_line(ChildProcess& child) {
  std::string line;
  std::byte b{};
  while (child.read_some(std::span(&b, 1)) == 1 && static_cast<char>(b) != '\n') line.push_back(static_cast<char>(b));
  return line;
}

// Whether pid is a process that still runs (a zombie has ended).
bool running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z' && text[close + 2] != 'X';
}

TEST(ChildProcess, ChildIgnoringSigtermIsKilledWithoutWaitingForItsStderr) {
  // The `sleep` leaves the child's process group (setsid), so it survives the SIGKILL and keeps
  // the stderr pipe open: terminate() must return all the same, with the sleep still running.
  ChildProcess stubborn({"/bin/sh", "-c", "trap '' TERM; setsid sleep 60 & echo $!; wait"}, {.from_stdout = true});
  const pid_t holder = std::stoi(read_line(stubborn));
  ASSERT_GT(holder, 0);
  EXPECT_EQ(stubborn.terminate(), 128 + SIGKILL);
  EXPECT_TRUE(running(holder)) << "terminate() waited until the stderr pipe closed";
  kill(holder, SIGKILL);
}

TEST(ChildProcess, ChildLeadsAProcessGroupOfItsOwn) {
  ChildProcess sleeper({"sleep", "30"}, {});
  EXPECT_EQ(getpgid(sleeper.pid()), sleeper.pid());
  EXPECT_NE(getpgid(sleeper.pid()), getpgrp());
}

TEST(ChildProcess, TerminateEndsTheChildsWholeGroup) {
  ChildProcess parent({"/bin/sh", "-c", "sleep 60 & echo $!; wait"}, {.from_stdout = true});
  const pid_t grandchild = std::stoi(read_line(parent));
  ASSERT_TRUE(running(grandchild));
  EXPECT_EQ(parent.terminate(), 128 + SIGTERM);
  // The grandchild got the same SIGTERM; its new parent (init) reaps it in its own time.
  for (int i = 0; i < 3000 && running(grandchild); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(running(grandchild));
}

TEST(ChildProcess, ExtraEnvironmentReachesTheChild) {
  ChildProcess child({"/bin/sh", "-c", "echo \"$DLC_TEST_VALUE $HOME\""}, {.from_stdout = true},
                     {"DLC_TEST_VALUE=42", "HOME=/elsewhere"});
  EXPECT_EQ(read_line(child), "42 /elsewhere");
  EXPECT_EQ(child.wait(), 0);
}

TEST(ChildProcess, ReadSomeGivesEverythingUpToTheEnd) {
  ChildProcess child({"/bin/sh", "-c", "head -c 100000 /dev/zero"}, {.from_stdout = true});
  std::array<std::byte, 4096> buffer{};
  std::size_t total = 0;
  while (const auto n = child.read_some(buffer)) total += n;
  EXPECT_EQ(total, 100000u);
  EXPECT_EQ(child.wait(), 0);
}

TEST(ChildProcess, WholeStderrIsKeptWhenAsked) {
  ChildProcess chatty({"/bin/sh", "-c", "head -c 200000 /dev/zero | tr '\\0' a >&2"}, {.stderr_bytes = kWholeStderr});
  EXPECT_EQ(chatty.wait(), 0);
  EXPECT_EQ(chatty.stderr_tail().size(), 200000u);
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

// The child's own peak comes from the kernel when it is reaped: dd touches its whole 64 MiB
// block reading /dev/zero into it.
TEST(ChildProcess, PeakRssIsTheChildsOwnAtExit) {
  ChildProcess dd({"dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"}, {});
  EXPECT_EQ(dd.peak_rss_bytes(), 0u);
  ASSERT_EQ(dd.wait(), 0);
  EXPECT_GE(dd.peak_rss_bytes(), 64ULL << 20);
  EXPECT_LT(dd.peak_rss_bytes(), 256ULL << 20);
}

TEST(ChildProcess, RunningPidsAreThoseNotYetReaped) {
  ChildProcess cat({"cat"}, {.to_stdin = true});
  const auto running = ChildProcess::running_pids();
  EXPECT_NE(std::find(running.begin(), running.end(), cat.pid()), running.end());
  cat.close_stdin();
  EXPECT_EQ(cat.wait(), 0);
  const auto after = ChildProcess::running_pids();
  EXPECT_EQ(std::find(after.begin(), after.end(), cat.pid()), after.end());
}

}  // namespace
}  // namespace dlc::media
