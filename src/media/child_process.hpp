#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstddef>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace dlc::media {

// A program that could not be started (not found, not executable, out of resources).
class SpawnError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// ffmpeg's last lines name the failure; 8 KiB holds them with room for the warnings before.
inline constexpr std::size_t kStderrTailBytes = 8 * 1024;
// For a short-lived program whose every word is wanted (ffprobe's answer, a test's dlc).
inline constexpr std::size_t kWholeStderr = std::numeric_limits<std::size_t>::max();

// Which of the child's standard streams dlc talks to; the others are /dev/null, so a child never
// reads dlc's terminal or writes into dlc's own output. stderr is always captured, its last
// stderr_bytes kept.
struct ChildPipes {
  bool to_stdin = false;
  bool from_stdout = false;
  std::size_t stderr_bytes = kStderrTailBytes;
  // The first stderr_head_bytes are kept too, for wait_for_stderr_head (a report the child writes
  // as it starts, which the tail may lose later).
  std::size_t stderr_head_bytes = 0;
};

// Writes all of data to fd (a pipe): 0, or the errno that stopped it. SIGPIPE is blocked in the
// calling thread around the write and the one a closed reader raised is consumed (EPIPE is
// returned), so a reader that went away never kills dlc.
int write_to_pipe(int fd, std::span<const std::byte> data);

// Whether path is a regular file this process may execute (what a PATH search takes).
bool is_runnable_file(const char* path);

// Owns one running program, started from an argv vector (posix_spawn, a bare name found in PATH
// once per name and PATH; never a shell), for
// long-lived streaming through its stdin and stdout. stderr is drained by a small thread (which
// blocks every signal, so dlc's handlers run on dlc's own threads) into a bounded tail, so a
// chatty child never blocks on a full stderr pipe and memory stays flat.
// The child leads a process group of its own: a terminal's Ctrl-C, sent to the whole foreground
// group, reaches dlc alone, and dlc decides how its children end (a recording finished, a
// temporary removed). It never outlives dlc: the destructor terminates and reaps a child still
// running, and if dlc is killed outright the closed pipes end ffmpeg (EOF on its stdin, SIGPIPE
// on its stdout). Neither copied nor moved: the stderr thread works on this object.
class ChildProcess {
 public:
  // The pids of every ChildProcess not yet reaped, across the process: what dlc's own memory
  // figures add to its RSS for the tree (dlc and the ffmpeg children it started).
  static std::vector<pid_t> running_pids();

  // extra_env: "NAME=VALUE" entries added to dlc's environment, replacing inherited ones of the
  // same name. Throws SpawnError naming argv[0] when the program cannot be started.
  ChildProcess(const std::vector<std::string>& argv, ChildPipes pipes, const std::vector<std::string>& extra_env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // False when stdin is not piped, already closed, or the child no longer reads it (EPIPE).
  // SIGPIPE is blocked in the calling thread around the write and the one it raised is
  // consumed, so a child that died never kills dlc; the process-wide disposition is untouched,
  // because children inherit an ignored SIGPIPE across exec.
  bool write_all(std::span<const std::byte> data);
  // Fills all of buffer; false at EOF (a short last read included) or when stdout is not piped.
  bool read_exact(std::span<std::byte> buffer);
  // Reads what stdout has, up to buffer's size, waiting for at least one byte; 0 at EOF or when
  // stdout is not piped.
  std::size_t read_some(std::span<std::byte> buffer);
  // The child sees EOF on its stdin.
  void close_stdin();
  // Closes both pipes first, so a child blocked on either sees EOF or EPIPE instead of waiting
  // on dlc forever, then reaps it. Returns the exit code, 128 + signal when killed by one.
  // Further calls return the same code.
  int wait();
  // SIGTERM to the child's process group, then SIGKILL when the child is still there after
  // kTerminateGrace; reaps it and returns the exit code like wait().
  int terminate();
  // The last pipes.stderr_bytes the child wrote to stderr.
  std::string stderr_tail() const;
  // Waits until enough(the first pipes.stderr_head_bytes written so far) is true, the head is
  // full, or the child's stderr ended (it exited); returns the head.
  std::string wait_for_stderr_head(const std::function<bool(std::string_view)>& enough) const;
  pid_t pid() const { return pid_; }
  // The child's own peak resident memory in bytes, as the kernel hands it over when the child is
  // reaped (wait4's ru_maxrss: its VmHWM at exit, grandchildren it waited for included); 0 until
  // then.
  std::uint64_t peak_rss_bytes() const { return peak_rss_bytes_; }

 private:
  // Closes on destruction; the pipes are owned through it so a failed start leaks nothing.
  class Fd {
   public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(Fd&& other) noexcept : fd_(other.release()) {}
    Fd& operator=(Fd&& other) noexcept;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    int release();
    void reset();

   private:
    int fd_ = -1;
  };

  void collect_stderr();
  int reap(int status, const rusage& usage);
  void stop_stderr_thread();

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::uint64_t peak_rss_bytes_ = 0;
  std::size_t stderr_bytes_ = kStderrTailBytes;
  std::size_t stderr_head_bytes_ = 0;
  Fd stdin_;
  Fd stdout_;
  Fd stderr_;
  Fd wake_;  // eventfd: tells the stderr thread the child is gone, so it need not wait for EOF
  mutable std::mutex tail_mutex_;
  std::string tail_;
  std::string head_;
  bool stderr_ended_ = false;
  mutable std::condition_variable stderr_grew_;
  std::thread stderr_thread_;
};

}  // namespace dlc::media
