#include "bench/load.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace s2s::bench {

Server::Server(const std::string& s2sd, const std::vector<std::string>& args, const std::string& db_url,
               const std::string& log_file) {
  std::vector<std::string> argv_v{s2sd};
  argv_v.insert(argv_v.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_v) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  const std::string env_db = "S2S_DATABASE_URL=" + db_url;
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string_view(*e).rfind("S2S_DATABASE_URL=", 0) != 0) env.push_back(*e);
  }
  env.push_back(const_cast<char*>(env_db.c_str()));
  env.push_back(nullptr);
  started_ = std::chrono::steady_clock::now();
  const int failed = posix_spawn(&pid_, s2sd.c_str(), &actions, nullptr, argv.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (failed != 0) throw std::runtime_error("cannot start " + s2sd);
}

Server::~Server() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
}

std::chrono::duration<double> Server::wait_ready(int port, std::chrono::seconds limit) const {
  while (http_status(port, "/readyz") != 200) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) throw std::runtime_error("s2sd stopped before it was ready");
    if (std::chrono::steady_clock::now() - started_ > limit) throw std::runtime_error("s2sd was not ready in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return std::chrono::steady_clock::now() - started_;
}

double Server::resident_mib() const {
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

double Server::cpu_seconds() const {
  // /proc/PID/stat: the command (in parentheses, which may hold spaces) is
  // the second field; utime and stime, in clock ticks, the 14th and 15th.
  std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto after_command = text.rfind(')');
  if (after_command == std::string::npos) throw std::runtime_error("cannot read /proc/PID/stat of s2sd");
  std::istringstream fields(text.substr(after_command + 2));
  std::string field;
  for (int i = 3; i < 14; ++i) fields >> field;  // state .. cmajflt
  long long user = 0;
  long long system = 0;
  fields >> user >> system;
  return static_cast<double>(user + system) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

int http_status(int port, const std::string& path, const std::pair<std::string, std::string>& credential) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int status = 0;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    if (!credential.first.empty()) request += credential.first + ": " + credential.second + "\r\n";
    request += "\r\n";
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
      char buffer[64] = {};
      const auto n = recv(fd, buffer, sizeof buffer - 1, 0);
      if (n > 12 && std::string_view(buffer, 9) == "HTTP/1.1 ") status = std::atoi(buffer + 9);
    }
  }
  close(fd);
  return status;
}

std::string run_command(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
  if (pclose(pipe) != 0) throw std::runtime_error(command + " failed:\n" + out);
  return out;
}

namespace {
double to_ms(const std::string& value, const std::string& unit) {
  const double v = std::stod(value);
  if (unit == "us") return v / 1000;
  if (unit == "s") return v * 1000;
  return v;
}
}  // namespace

Figures wrk(const std::string& wrk, const std::string& url, const std::string& script, int threads, int connections,
            int seconds) {
  const std::string out = run_command(
      fmt::format("{} -t{} -c{} -d{}s --latency -s {} {} 2>&1", wrk, threads, connections, seconds, script, url));
  Figures f;
  std::smatch m;
  if (std::regex_search(out, m, std::regex(R"(Requests/sec:\s+([0-9.]+))"))) f.rps = std::stod(m[1]);
  if (std::regex_search(out, m, std::regex(R"(\n\s+50%\s+([0-9.]+)(us|ms|s))"))) f.p50 = to_ms(m[1], m[2]);
  if (std::regex_search(out, m, std::regex(R"(\n\s+99%\s+([0-9.]+)(us|ms|s))"))) f.p99 = to_ms(m[1], m[2]);
  if (std::regex_search(out, m, std::regex(R"(([0-9]+) requests in)"))) f.requests = std::stol(m[1]);
  if (std::regex_search(out, m, std::regex(R"(Non-2xx or 3xx responses:\s+([0-9]+))"))) f.errors = std::stol(m[1]);
  if (f.rps == 0) throw std::runtime_error("cannot read wrk's output:\n" + out);
  if (f.errors > 0) throw std::runtime_error(std::to_string(f.errors) + " answers were not 2xx or 3xx:\n" + out);
  return f;
}

std::string wrk_script(const std::string& file, const std::vector<std::string>& paths,
                       const std::pair<std::string, std::string>& credential, const std::string& method,
                       const std::string& body, int delay_ms) {
  std::ofstream out(file);
  out << "local paths = {";
  for (std::size_t i = 0; i < paths.size(); ++i) out << (i ? "," : "") << '"' << paths[i] << '"';
  out << "}\nlocal n = 0\n";
  out << "wrk.method = \"" << method << "\"\n";
  if (!credential.first.empty()) out << "wrk.headers[\"" << credential.first << "\"] = \"" << credential.second << "\"\n";
  if (!body.empty()) {
    out << "wrk.headers[\"Content-Type\"] = \"application/json\"\n";
    out << "wrk.body = '" << body << "'\n";
  }
  out << "request = function()\n  n = n + 1\n  return wrk.format(nil, paths[(n % #paths) + 1])\nend\n";
  if (delay_ms > 0) out << "delay = function() return " << delay_ms << " end\n";
  return file;
}

std::string session_cookie(workflow::Database& db, const std::string& email, std::chrono::system_clock::time_point now,
                           const cases::SessionPolicy& policy) {
  const auto link = cases::create_sign_in_link(db, email, "/", now, policy);
  if (!link) {
    throw std::runtime_error("no sign-in link for " + email + ": no such live user, or its " +
                             std::to_string(policy.links_per_address_per_hour) + " links for the hour used up");
  }
  const auto session = cases::redeem_sign_in_link(db, link->token, now, policy);
  if (!session) throw std::runtime_error("the sign-in link for " + email + " did not start a session");
  return "s2s_session=" + session->session_token;
}

std::size_t get_page(const api::HttpHandler& handler, const std::string& cookie, const std::string& target) {
  api::HttpRequest request;
  request.method = "GET";
  request.target = target;
  request.path = target.substr(0, target.find('?'));
  if (target.find('?') != std::string::npos) request.query = target.substr(target.find('?') + 1);
  request.headers.emplace_back("Cookie", cookie);
  request.remote_address = "127.0.0.1";
  const auto response = handler(request);
  if (response.status != 200) {
    throw std::runtime_error(target + " answered " + std::to_string(response.status) + ": " +
                             response.body.substr(0, 300));
  }
  return response.body.size();
}

int pacing_delay_ms(int connections, int rate) { return std::max(1, connections * 1000 / rate - 1); }

}  // namespace s2s::bench
