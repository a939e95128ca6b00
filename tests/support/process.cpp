#include "tests/support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

extern char** environ;

namespace s2s::testing {
namespace {

using Clock = std::chrono::steady_clock;

int spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env, int out_fd, int err_fd) {
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

int decode(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

// Drains fd into out until EOF or the deadline.
void drain(int fd, std::string& out, Clock::time_point deadline) {
  char buffer[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) return;
    const auto n = read(fd, buffer, sizeof buffer);
    if (n <= 0) return;
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                          std::chrono::milliseconds timeout) {
  int out_pipe[2];
  int err_pipe[2];
  if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0) throw std::runtime_error("pipe failed");
  const int pid = spawn(argv, env, out_pipe[1], err_pipe[1]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  ProcessResult result;
  const auto deadline = Clock::now() + timeout;
  // Small outputs: read stdout then stderr; the child never fills both pipes at once in our tests.
  drain(out_pipe[0], result.out, deadline);
  drain(err_pipe[0], result.err, deadline);
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  if (Clock::now() >= deadline) kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  result.exit_code = decode(status);
  return result;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
  int err_pipe[2];
  if (pipe(err_pipe) != 0) throw std::runtime_error("pipe failed");
  const int devnull = open("/dev/null", O_WRONLY);
  pid_ = spawn(argv, env, devnull, err_pipe[1]);
  close(devnull);
  close(err_pipe[1]);
  err_fd_ = err_pipe[0];
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                           const std::string& stderr_file) {
  const int log = open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (log < 0) throw std::runtime_error("cannot open " + stderr_file);
  const int devnull = open("/dev/null", O_WRONLY);
  pid_ = spawn(argv, env, devnull, log);
  close(devnull);
  close(log);
}

ChildProcess::~ChildProcess() {
  if (!exited_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (err_fd_ >= 0) close(err_fd_);
}

void ChildProcess::read_available(std::chrono::milliseconds timeout) {
  char buffer[4096];
  pollfd p{err_fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return;
  const auto n = read(err_fd_, buffer, sizeof buffer);
  if (n > 0) err_.append(buffer, static_cast<std::size_t>(n));
}

bool ChildProcess::wait_for_stderr(const std::string& text, std::chrono::milliseconds timeout) {
  if (err_fd_ < 0) return false;  // standard error goes to a file
  const auto deadline = Clock::now() + timeout;
  while (err_.find(text) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    int status = 0;
    if (!exited_ && waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      exit_code_ = decode(status);
      drain(err_fd_, err_, Clock::now() + std::chrono::seconds(1));
      return err_.find(text) != std::string::npos;
    }
    read_available(std::min(left, std::chrono::milliseconds(200)));
  }
  return true;
}

void ChildProcess::signal(int signo) {
  if (!exited_) kill(pid_, signo);
}

int ChildProcess::wait(std::chrono::milliseconds timeout) {
  if (exited_) return exit_code_;
  if (err_fd_ >= 0) {
    drain(err_fd_, err_, Clock::now() + timeout);  // EOF when the child exits
  } else {
    // Standard error goes to a file: the process's own descriptor becomes
    // readable when it exits.
    const int exits = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
    if (exits >= 0) {
      pollfd p{exits, POLLIN, 0};
      (void)poll(&p, 1, static_cast<int>(timeout.count()));
      close(exits);
    }
  }
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
  }
  exited_ = true;
  exit_code_ = decode(status);
  return exit_code_;
}

}  // namespace s2s::testing
