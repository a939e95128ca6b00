#pragma once

// What the HTTP benchmarks share: a real `s2sd serve` process started and
// stopped, wrk driving it, and wrk's figures read back.

#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "api/http.h"
#include "cases/sign_in.h"
#include "workflow/database.h"

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
  // The CPU time the process has used so far, user and system, in seconds.
  [[nodiscard]] double cpu_seconds() const;

 private:
  pid_t pid_ = 0;
  std::chrono::steady_clock::time_point started_;
};

// The status code of GET `path` on 127.0.0.1:`port` (0: no answer), with
// the header `credential` (name, value) unless its name is empty.
[[nodiscard]] int http_status(int port, const std::string& path,
                              const std::pair<std::string, std::string>& credential = {});

// A session cookie ("s2s_session=...") for the live user with `email`,
// signed in through a one-time link at `now` as a browser is; throws, naming
// the address, when no link is given (no such user, or its links for the hour
// used up).
[[nodiscard]] std::string session_cookie(workflow::Database& db, const std::string& email,
                                         std::chrono::system_clock::time_point now, const cases::SessionPolicy& policy);

// Runs a shell command; its standard output, or throws with it when it fails.
std::string run_command(const std::string& command);

struct Figures {
  double rps = 0;
  double p50 = 0;  // milliseconds
  double p99 = 0;
  long errors = 0;  // answers that were not 2xx or 3xx
  long requests = 0;  // answered in all
  double cpu_us = 0;  // the server's CPU time a request (user and system), in microseconds, when measured
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

// Milliseconds `fn` took over `runs` runs: the median and the slowest.
struct Timing {
  double median = 0;
  double slowest = 0;
};
template <class F>
Timing time_runs(int runs, F&& fn) {
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto started = std::chrono::steady_clock::now();
    fn();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.back()};
}

// GET `target` through `handler` in process, as a browser signed in with
// `cookie` asks for it; the body's size. Throws unless the answer is 200.
std::size_t get_page(const api::HttpHandler& handler, const std::string& cookie, const std::string& target);

// The delay that paces `connections` connections to about `rate` requests a
// second in all, allowing a millisecond of service time per request.
[[nodiscard]] int pacing_delay_ms(int connections, int rate);

}  // namespace s2s::bench
