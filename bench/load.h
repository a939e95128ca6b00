#pragma once

// What the HTTP benchmarks share: a real `s2sd serve` process started and
// stopped, wrk driving it, and wrk's figures read back.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace s2s::bench {

// An s2sd child process, sent SIGTERM and reaped when destroyed.
class Server {
 public:
  // Starts `s2sd` with `args` (after the program name) on the database at
  // `db_url`, its standard error to `log_file`.
  Server(const std::string& s2sd, const std::vector<std::string>& args, const std::string& db_url,
         const std::string& log_file);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();

  // Waits until GET /readyz on 127.0.0.1:`port` answers 200, asking every
  // 2 ms; the time from the process's start. Throws after `limit`.
  [[nodiscard]] std::chrono::duration<double> wait_ready(int port, std::chrono::seconds limit) const;
  // Resident memory now (VmRSS), in MiB.
  [[nodiscard]] double resident_mib() const;
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = 0;
  std::chrono::steady_clock::time_point started_;
};

// The status code of GET `path` on 127.0.0.1:`port` (0: no answer), with
// the header `credential` (name, value) unless its name is empty.
[[nodiscard]] int http_status(int port, const std::string& path,
                              const std::pair<std::string, std::string>& credential = {});

// Runs a shell command; its standard output, or throws with it when it fails.
std::string run_command(const std::string& command);

struct Figures {
  double rps = 0;
  double p50 = 0;  // milliseconds
  double p99 = 0;
  long errors = 0;  // answers that were not 2xx or 3xx
};

// wrk with `threads` and `connections` for `seconds` against `url` with
// `script`; throws when an answer was not 2xx or 3xx.
Figures wrk(const std::string& wrk, const std::string& url, const std::string& script, int threads, int connections,
            int seconds);

// A wrk script that cycles through `paths` with `method`, the header
// `credential` (name, value) and `body` (JSON) on each; `delay_ms` > 0 makes
// each connection wait that long between requests.
std::string wrk_script(const std::string& file, const std::vector<std::string>& paths,
                       const std::pair<std::string, std::string>& credential, const std::string& method,
                       const std::string& body, int delay_ms);

// The delay that paces `connections` connections to about `rate` requests a
// second in all, allowing a millisecond of service time per request.
[[nodiscard]] int pacing_delay_ms(int connections, int rate);

}  // namespace s2s::bench
