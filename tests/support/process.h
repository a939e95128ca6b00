#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

// Runs a program as a child process for end-to-end tests of s2sd.
namespace s2s::testing {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out;
  std::string err;
};

// Runs to completion (killed after `timeout`), with `env` added to the environment.
ProcessResult run_process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A long-running child whose standard error is read line by line.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {});
  // A child whose standard error goes to `stderr_file` (appended), for one
  // that may say more than a pipe holds while nobody reads it; wait_for_stderr
  // and stderr_text see none of it.
  ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
               const std::string& stderr_file);
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // SIGKILL if still running

  // Reads standard error until a line contains `text` or `timeout` passes; true if found.
  bool wait_for_stderr(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  void signal(int signo);
  // Waits for exit (SIGKILL after timeout); returns the exit code, -1 for a signal.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // All of standard error read so far (wait() reads the rest).
  [[nodiscard]] const std::string& stderr_text() const { return err_; }

 private:
  void read_available(std::chrono::milliseconds timeout);
  int pid_ = -1;
  int err_fd_ = -1;
  std::string err_;
  bool exited_ = false;
  int exit_code_ = -1;
};

}  // namespace s2s::testing
