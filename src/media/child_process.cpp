#include "media/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

extern char** environ;

namespace dlc::media {
namespace {

// Long enough for ffmpeg to react to SIGTERM and close its files, short enough that an abort
// still feels immediate.
constexpr auto kTerminateGrace = std::chrono::seconds(2);
constexpr auto kReapPollInterval = std::chrono::milliseconds(10);

std::array<int, 2> make_pipe() {
  std::array<int, 2> fd{-1, -1};
  // CLOEXEC: a pipe end inherited by another child would keep our child from ever seeing EOF.
  if (pipe2(fd.data(), O_CLOEXEC) != 0) throw SpawnError(std::string("pipe2 failed: ") + std::strerror(errno));
  return fd;
}

// Turns the SIGPIPE a write to a closed pipe raises in this thread into a plain EPIPE: blocked for
// the lifetime of the guard, and the instance the write raised taken off the pending set.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    // One that was pending before is the caller's business, not ours to swallow.
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeGuard() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

  void consume_raised() {
    if (was_pending_) return;
    const timespec no_wait{0, 0};
    while (sigtimedwait(&pipe_, nullptr, &no_wait) < 0 && errno == EINTR) {
    }
  }

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

}  // namespace

bool is_runnable_file(const char* path) {
  struct stat st {};
  return ::stat(path, &st) == 0 && S_ISREG(st.st_mode) && ::access(path, X_OK) == 0;
}

namespace {

// argv[0] as posix_spawnp finds it, searched once per name and PATH: the first regular file of that
// name in PATH that dlc may execute (glibc's /bin:/usr/bin without PATH). A video job starts ffmpeg
// twice and ffprobe once, each otherwise a failed execve per PATH entry before the one that holds
// it. Empty when there is none: posix_spawnp then says why.
std::string program_in_path(const std::string& name) {
  const char* env_path = std::getenv("PATH");
  const std::string search = env_path != nullptr ? env_path : "/bin:/usr/bin";
  static std::mutex mutex;
  static std::map<std::pair<std::string, std::string>, std::string> found;
  const std::scoped_lock lock(mutex);
  if (const auto it = found.find({name, search}); it != found.end()) return it->second;
  std::string program;
  for (std::size_t start = 0; start <= search.size();) {
    const auto end = std::min(search.find(':', start), search.size());
    // An empty entry is the current directory, as for execvp.
    const auto dir = end == start ? std::string(".") : search.substr(start, end - start);
    const auto candidate = dir + "/" + name;
    if (is_runnable_file(candidate.c_str())) {
      program = candidate;
      break;
    }
    start = end + 1;
  }
  if (!program.empty()) found.emplace(std::pair{name, search}, program);
  return program;
}

class SpawnActions {
 public:
  SpawnActions() { posix_spawn_file_actions_init(&actions_); }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&actions_); }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

class SpawnAttributes {
 public:
  SpawnAttributes() {
    posix_spawnattr_init(&attr_);
    // The child starts with no blocked signals (dlc's threads may block some) and default
    // SIGPIPE handling even if whoever embeds dlc ignores it.
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr_, &none);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr_, &defaults);
    // A group of its own (its pid): the terminal's SIGINT goes to dlc's group, not to ffmpeg.
    posix_spawnattr_setpgroup(&attr_, 0);
    posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  }
  ~SpawnAttributes() { posix_spawnattr_destroy(&attr_); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
  const posix_spawnattr_t* get() const { return &attr_; }

 private:
  posix_spawnattr_t attr_;
};

int exit_code_of(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

// dlc's environment with extra's "NAME=VALUE" entries replacing those of the same name. The
// pointers are into environ and extra, which outlive the spawn.
std::vector<char*> environment_with(const std::vector<std::string>& extra) {
  const auto overridden = [&](std::string_view entry) {
    const auto name = entry.substr(0, entry.find('=') + 1);
    return std::ranges::any_of(extra, [&](const std::string& e) { return e.starts_with(name); });
  };
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (extra.empty() || !overridden(*e)) env.push_back(*e);
  }
  for (const auto& e : extra) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);
  return env;
}

// Blocks every signal in this thread while it lives, so a thread started meanwhile inherits the
// full mask: a process-directed signal (SIGINT, a test's SIGUSR1) is then handled by a thread
// of dlc's own, and never interrupts the stderr reader instead of the call it was meant for.
class AllSignalsBlocked {
 public:
  AllSignalsBlocked() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old_);
  }
  ~AllSignalsBlocked() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  AllSignalsBlocked(const AllSignalsBlocked&) = delete;
  AllSignalsBlocked& operator=(const AllSignalsBlocked&) = delete;

 private:
  sigset_t old_;
};

// wait4 rather than waitpid: its rusage carries the child's peak RSS, which is gone once reaped.
void reap_blocking(pid_t pid, int& status, rusage& usage) {
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
}

// The children not yet reaped; a handful at most (a decoder, an encoder, a probe).
std::mutex g_running_mutex;
std::vector<pid_t> g_running;

void note_running(pid_t pid) {
  const std::scoped_lock lock(g_running_mutex);
  g_running.push_back(pid);
}

void note_reaped(pid_t pid) {
  const std::scoped_lock lock(g_running_mutex);
  std::erase(g_running, pid);
}

// The child leads its own group; one that moved itself elsewhere still gets the signal directly.
void signal_child(pid_t pid, int signal) {
  kill(-pid, signal);
  kill(pid, signal);
}

}  // namespace

ChildProcess::Fd& ChildProcess::Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = other.release();
  }
  return *this;
}

int ChildProcess::Fd::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void ChildProcess::Fd::reset() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, ChildPipes pipes,
                           const std::vector<std::string>& extra_env)
    : stderr_bytes_(pipes.stderr_bytes), stderr_head_bytes_(pipes.stderr_head_bytes) {
  if (argv.empty()) throw SpawnError("no program to start");
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  SpawnActions actions;
  Fd child_in;
  Fd child_out;
  if (pipes.to_stdin) {
    const auto fd = make_pipe();
    child_in = Fd(fd[0]);
    stdin_ = Fd(fd[1]);
    posix_spawn_file_actions_adddup2(actions.get(), child_in.get(), STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  if (pipes.from_stdout) {
    const auto fd = make_pipe();
    stdout_ = Fd(fd[0]);
    child_out = Fd(fd[1]);
    posix_spawn_file_actions_adddup2(actions.get(), child_out.get(), STDOUT_FILENO);
  } else {
    posix_spawn_file_actions_addopen(actions.get(), STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  }
  const auto err = make_pipe();
  stderr_ = Fd(err[0]);
  Fd child_err(err[1]);
  posix_spawn_file_actions_adddup2(actions.get(), child_err.get(), STDERR_FILENO);
  // The stderr thread reads only after poll says so, and drains without blocking at the end.
  fcntl(stderr_.get(), F_SETFL, fcntl(stderr_.get(), F_GETFL) | O_NONBLOCK);
  wake_ = Fd(eventfd(0, EFD_CLOEXEC));
  if (wake_.get() < 0) throw SpawnError(std::string("eventfd failed: ") + std::strerror(errno));

  SpawnAttributes attributes;
  auto env = environment_with(extra_env);
  const auto program = std::strchr(args[0], '/') == nullptr ? program_in_path(argv[0]) : std::string();
  const int rc = program.empty()
                     ? posix_spawnp(&pid_, args[0], actions.get(), attributes.get(), args.data(), env.data())
                     : posix_spawn(&pid_, program.c_str(), actions.get(), attributes.get(), args.data(), env.data());
  if (rc != 0) {
    pid_ = -1;
    throw SpawnError(argv[0] + ": " + std::strerror(rc));
  }
  note_running(pid_);
  try {
    const AllSignalsBlocked blocked;
    stderr_thread_ = std::thread([this] { collect_stderr(); });
  } catch (const std::exception& e) {
    signal_child(pid_, SIGKILL);
    int status = 0;
    rusage usage{};
    reap_blocking(pid_, status, usage);
    note_reaped(pid_);
    pid_ = -1;
    throw SpawnError(argv[0] + ": cannot start the thread that reads its messages: " + e.what());
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !exit_code_) terminate();
  stop_stderr_thread();
}

int write_to_pipe(int fd, std::span<const std::byte> data) {
  SigpipeGuard guard;
  while (!data.empty()) {
    const auto n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      if (error == EPIPE) guard.consume_raised();
      return error;
    }
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return 0;
}

bool ChildProcess::write_all(std::span<const std::byte> data) {
  if (stdin_.get() < 0) return false;
  return write_to_pipe(stdin_.get(), data) == 0;
}

bool ChildProcess::read_exact(std::span<std::byte> buffer) {
  if (stdout_.get() < 0) return false;
  while (!buffer.empty()) {
    const auto n = read(stdout_.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buffer = buffer.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

std::size_t ChildProcess::read_some(std::span<std::byte> buffer) {
  if (stdout_.get() < 0 || buffer.empty()) return 0;
  for (;;) {
    const auto n = read(stdout_.get(), buffer.data(), buffer.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return 0;
  }
}

void ChildProcess::close_stdin() { stdin_.reset(); }

int ChildProcess::wait() {
  if (exit_code_) return *exit_code_;
  stdin_.reset();
  stdout_.reset();
  int status = 0;
  rusage usage{};
  reap_blocking(pid_, status, usage);
  return reap(status, usage);
}

int ChildProcess::terminate() {
  if (exit_code_) return *exit_code_;
  stdin_.reset();
  stdout_.reset();
  signal_child(pid_, SIGTERM);
  int status = 0;
  rusage usage{};
  const auto deadline = std::chrono::steady_clock::now() + kTerminateGrace;
  while (std::chrono::steady_clock::now() < deadline) {
    const pid_t done = wait4(pid_, &status, WNOHANG, &usage);
    if (done == pid_) return reap(status, usage);
    if (done < 0 && errno != EINTR) return reap(status, usage);
    std::this_thread::sleep_for(kReapPollInterval);
  }
  signal_child(pid_, SIGKILL);
  reap_blocking(pid_, status, usage);
  return reap(status, usage);
}

std::vector<pid_t> ChildProcess::running_pids() {
  const std::scoped_lock lock(g_running_mutex);
  return g_running;
}

int ChildProcess::reap(int status, const rusage& usage) {
  note_reaped(pid_);
  // Linux gives ru_maxrss in KiB.
  peak_rss_bytes_ = static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
  exit_code_ = exit_code_of(status);
  stop_stderr_thread();
  return *exit_code_;
}

void ChildProcess::stop_stderr_thread() {
  if (!stderr_thread_.joinable()) return;
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(wake_.get(), &one, sizeof one);
  stderr_thread_.join();
}

std::string ChildProcess::stderr_tail() const {
  std::lock_guard lock(tail_mutex_);
  return tail_;
}

std::string ChildProcess::wait_for_stderr_head(const std::function<bool(std::string_view)>& enough) const {
  std::unique_lock lock(tail_mutex_);
  stderr_grew_.wait(lock, [&] { return stderr_ended_ || head_.size() >= stderr_head_bytes_ || enough(head_); });
  return head_;
}

void ChildProcess::collect_stderr() {
  std::array<pollfd, 2> fds{pollfd{stderr_.get(), POLLIN, 0}, pollfd{wake_.get(), POLLIN, 0}};
  std::array<char, 4096> buffer{};
  const auto append = [&](std::size_t n) {
    {
      std::lock_guard lock(tail_mutex_);
      tail_.append(buffer.data(), n);
      if (tail_.size() > stderr_bytes_) tail_.erase(0, tail_.size() - stderr_bytes_);
      if (head_.size() < stderr_head_bytes_) {
        head_.append(buffer.data(), std::min(n, stderr_head_bytes_ - head_.size()));
      }
    }
    stderr_grew_.notify_all();
  };
  // However the loop ends, a wait_for_stderr_head stops waiting.
  struct Ended {
    ChildProcess& self;
    ~Ended() {
      {
        std::lock_guard lock(self.tail_mutex_);
        self.stderr_ended_ = true;
      }
      self.stderr_grew_.notify_all();
    }
  } ended{*this};
  bool open = true;
  while (open) {
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents != 0) {
      const auto n = read(stderr_.get(), buffer.data(), buffer.size());
      if (n > 0) {
        append(static_cast<std::size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        open = false;
      }
      continue;
    }
    if (fds[1].revents != 0) {
      // The child is reaped, so whatever it wrote is already in the pipe; a grandchild that
      // inherited stderr may hold it open, so waiting for EOF could take forever.
      for (;;) {
        const auto n = read(stderr_.get(), buffer.data(), buffer.size());
        if (n > 0) {
          append(static_cast<std::size_t>(n));
        } else if (n < 0 && errno == EINTR) {
          continue;
        } else {
          break;
        }
      }
      open = false;
    }
  }
}

}  // namespace dlc::media
