// The HTTP API under load from wrk (Debian's package), against a real s2sd
// process: GET of one case as JSON and as its web page, and POST of an event, with the HTTP floor
// (GET /healthz, no database) measured in the same run as the baseline.
//
//   api_bench --db URL --s2sd PATH [--wrk PATH] [--cases N] [--seconds S] [--rate R] [--workers N]
//
// Seeds a fresh database with N support requests (and 50 in evaluation for
// the POSTs), starts `s2sd serve` on it, and prints requests/s with p50 and
// p99 latency per scenario; the paced scenario holds about R requests/s
// (target, docs/architecture.md: p99 under 5 ms at 1,000 requests/s with
// 10,000 cases).
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cases/gias_import.h"
#include "cases/kinds.h"
#include "cases/providers.h"
#include "cases/sign_in.h"
#include "cases/users.h"
#include "workflow/date.h"
#include "workflow/engine.h"
#include "workflow/migrations.h"

extern char** environ;

namespace {

using s2s::workflow::Database;
using s2s::workflow::Engine;

struct Args {
  std::string db;
  std::string s2sd;
  std::string wrk = "wrk";
  int cases = 10000;
  int seconds = 10;
  int rate = 1000;
  int workers = 8;  // s2sd's handler threads, and as many database connections
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--db") {
      a.db = value();
    } else if (arg == "--s2sd") {
      a.s2sd = value();
    } else if (arg == "--wrk") {
      a.wrk = value();
    } else if (arg == "--cases") {
      a.cases = std::stoi(value());
    } else if (arg == "--seconds") {
      a.seconds = std::stoi(value());
    } else if (arg == "--rate") {
      a.rate = std::stoi(value());
    } else if (arg == "--workers") {
      a.workers = std::stoi(value());
    } else {
      throw std::invalid_argument("unknown argument " + arg);
    }
  }
  if (a.db.empty() || a.s2sd.empty()) throw std::invalid_argument("--db URL and --s2sd PATH are required");
  if (a.cases < 50) throw std::invalid_argument("--cases must be at least 50");
  return a;
}

// N support requests on N schools in Nottinghamshire (one each); the first
// 50 are taken to evaluation, where record_impact may be sent again and again.
std::vector<std::int64_t> seed(Engine& engine, int count, std::vector<std::int64_t>& evaluation) {
  const auto today = engine.today();
  std::string schools =
      "URN,LA (code),LA (name),EstablishmentName,EstablishmentStatus (name),PhaseOfEducation (name)\n";
  for (int i = 0; i <= count; ++i) {
    schools +=
        std::to_string(300000 + i) + ",891,Nottinghamshire,Load Primary " + std::to_string(i) + ",Open,Primary\n";
  }
  s2s::cases::import_gias(engine.database(), schools);
  std::vector<std::int64_t> ids(static_cast<std::size_t>(count));
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < count; i = next++) {
        ids[static_cast<std::size_t>(i)] =
            engine
                .open_case("support_request", 300001 + i,
                           {{"source", "self"}, {"summary", "Load " + std::to_string(i)}}, "bench", today)
                .id;
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 50; ++i) {
    const auto leader =
        s2s::cases::create_system_leader(engine.database(), "Load Leader " + std::to_string(i),
                                         "load" + std::to_string(i) + "@example.org", 300000, std::nullopt);
    s2s::cases::add_designation(engine.database(), leader, "SLE", "maths", *s2s::workflow::parse_date("2020-09-01"),
                                std::nullopt);
    s2s::cases::set_capacity(engine.database(), leader, s2s::cases::academic_year_of(today), 100);
    const auto id = ids[static_cast<std::size_t>(i)];
    const std::string day = s2s::workflow::format_date(today);
    engine.apply(id, "accept_referral",
                 {{"priority", "high"},
                  {"focus_areas", boost::json::array{"maths"}},
                  {"requested_days", 2},
                  {"funding_source", "SSIF"}},
                 "bench", today);
    engine.apply(id, "propose_provider", {{"provider_id", leader}}, "bench", today);
    engine.apply(id, "provider_accepts", {}, "bench", today);
    engine.apply(id, "agree_plan", {{"objectives", "load"}, {"planned_days", 2}, {"starts_on", day}, {"ends_on", day}},
                 "bench", today);
    engine.apply(id, "complete_deployment", {}, "bench", today);
    evaluation.push_back(id);
  }
  return ids;
}

struct Server {
  pid_t pid = 0;
  ~Server() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
  }
};

Server start_s2sd(const Args& args, int port, const std::string& log) {
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  const std::string workers = std::to_string(args.workers);
  std::vector<std::string> argv_v{args.s2sd,      "serve",     "--listen",     listen,        "--no-timers",
                                  "--rate-limit", "1000000",   "--rate-burst", "1000000",     "--log-level",
                                  "warn",         "--workers", workers,        "--pool-size", workers};
  std::vector<char*> argv;
  for (auto& a : argv_v) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  const std::string env_db = "S2S_DATABASE_URL=" + args.db;
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) env.push_back(*e);
  env.push_back(const_cast<char*>(env_db.c_str()));
  env.push_back(nullptr);
  Server server;
  if (posix_spawn(&server.pid, args.s2sd.c_str(), &actions, nullptr, argv.data(), env.data()) != 0) {
    throw std::runtime_error("cannot start " + args.s2sd);
  }
  posix_spawn_file_actions_destroy(&actions);
  return server;
}

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
  if (pclose(pipe) != 0) throw std::runtime_error(command + " failed:\n" + out);
  return out;
}

double to_ms(const std::string& value, const std::string& unit) {
  const double v = std::stod(value);
  if (unit == "us") return v / 1000;
  if (unit == "s") return v * 1000;
  return v;
}

struct Figures {
  double rps = 0;
  double p50 = 0;
  double p99 = 0;
  long errors = 0;
};

Figures wrk(const Args& args, const std::string& url, const std::string& script, int threads, int connections) {
  const std::string out = run(fmt::format("{} -t{} -c{} -d{}s --latency -s {} {} 2>&1", args.wrk, threads, connections,
                                          args.seconds, script, url));
  Figures f;
  std::smatch m;
  if (std::regex_search(out, m, std::regex(R"(Requests/sec:\s+([0-9.]+))"))) f.rps = std::stod(m[1]);
  if (std::regex_search(out, m, std::regex(R"(\n\s+50%\s+([0-9.]+)(us|ms|s))"))) f.p50 = to_ms(m[1], m[2]);
  if (std::regex_search(out, m, std::regex(R"(\n\s+99%\s+([0-9.]+)(us|ms|s))"))) f.p99 = to_ms(m[1], m[2]);
  if (std::regex_search(out, m, std::regex(R"(Non-2xx or 3xx responses:\s+([0-9]+))"))) f.errors = std::stol(m[1]);
  if (f.rps == 0) throw std::runtime_error("cannot read wrk's output:\n" + out);
  if (f.errors > 0) throw std::runtime_error(std::to_string(f.errors) + " answers were not 2xx:\n" + out);
  return f;
}

// A wrk script: requests cycle through `ids` on `path_of(id)`; `delay_ms` > 0
// paces each connection (connections x 1000 / delay requests/s at most).
// `credential` is a header line's name and value: the bearer token for the
// API, the session cookie for the web pages (`prefix` "/cases/").
std::string script(const std::string& file, const std::vector<std::int64_t>& ids,
                   const std::pair<std::string, std::string>& credential, const std::string& method,
                   const std::string& suffix, const std::string& body, int delay_ms,
                   const std::string& prefix = "/api/v1/cases/") {
  std::ofstream out(file);
  out << "local ids = {";
  for (std::size_t i = 0; i < ids.size(); ++i) out << (i ? "," : "") << ids[i];
  out << "}\nlocal n = 0\n";
  out << "wrk.method = \"" << method << "\"\n";
  out << "wrk.headers[\"" << credential.first << "\"] = \"" << credential.second << "\"\n";
  if (!body.empty()) {
    out << "wrk.headers[\"Content-Type\"] = \"application/json\"\n";
    out << "wrk.body = '" << body << "'\n";
  }
  out << "request = function()\n  n = n + 1\n  local id = ids[(n % #ids) + 1]\n"
      << "  return wrk.format(nil, \"" << prefix << "\" .. id .. \"" << suffix << "\")\nend\n";
  if (delay_ms > 0) out << "delay = function() return " << delay_ms << " end\n";
  return file;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args args = parse(argc, argv);
    const auto url = s2s::workflow::DatabaseUrl::parse(args.db);
    auto db = Database::open(url);
    s2s::workflow::migrate(*db, s2s::workflow::bundled_migrations(db->backend()));
    Engine engine(db, s2s::cases::all_kinds());
    std::vector<std::int64_t> evaluation;
    const auto started = std::chrono::steady_clock::now();
    const auto ids = seed(engine, args.cases, evaluation);
    const double seeded = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const auto lead =
        s2s::cases::add_user(*db, "Load Lead", "load.lead@example.org", "lead", "mini_region:Nottinghamshire");
    const std::pair<std::string, std::string> bearer{"Authorization", "Bearer " + lead.token};
    // The same lead signed in to the web pages: a session cookie.
    const s2s::cases::SessionPolicy policy;
    const auto link = s2s::cases::create_sign_in_link(*db, "load.lead@example.org", "/",
                                                      std::chrono::system_clock::now(), policy);
    const auto session =
        s2s::cases::redeem_sign_in_link(*db, link->token, std::chrono::system_clock::now(), policy);
    const std::pair<std::string, std::string> cookie{"Cookie", "s2s_session=" + session->session_token};
    db.reset();

    const std::string folder = std::filesystem::temp_directory_path() / ("s2s_api_bench_" + std::to_string(getpid()));
    std::filesystem::create_directories(folder);
    const int port = 18000 + getpid() % 1000;
    Server server = start_s2sd(args, port, folder + "/s2sd.log");
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    for (int i = 0; i < 100; ++i) {
      if (std::system(("curl -sf -o /dev/null " + base + "/readyz").c_str()) == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }

    std::cout << fmt::format(
        "{} cases on {} (seeded in {:.1f} s), wrk {} s per scenario, s2sd with {} workers and connections\n\n",
        args.cases, s2s::workflow::to_string(url.backend), seeded, args.seconds, args.workers);
    std::cout << fmt::format("{:<44} {:>10} {:>9} {:>9} {:>7}\n", "scenario", "req/s", "p50 ms", "p99 ms", "non-2xx");
    const auto row = [](const std::string& name, const Figures& f) {
      std::cout << fmt::format("{:<44} {:>10.0f} {:>9.2f} {:>9.2f} {:>7}\n", name, f.rps, f.p50, f.p99, f.errors);
    };
    {
      std::ofstream health(folder + "/health.lua");
      health << "wrk.method = \"GET\"\n";
    }
    row("GET /healthz (HTTP floor, no database)", wrk(args, base + "/healthz", folder + "/health.lua", 2, 16));
    const std::string get = script(folder + "/get.lua", ids, bearer, "GET", "", "", 0);
    const Figures json_get = wrk(args, base, get, 2, 16);
    row("GET /api/v1/cases/{id}, 16 connections", json_get);
    // The case's web page, same cases, same connections: at least 0.8x the JSON GET (docs/web.md).
    const std::string page = script(folder + "/page.lua", ids, cookie, "GET", "", "", 0, "/cases/");
    const Figures page_get = wrk(args, base, page, 2, 16);
    row("GET /cases/{id} (web page), 16 connections", page_get);
    std::cout << fmt::format("{:<44} {:>10.2f}x  (target: at least 0.8x)\n", "  web page / JSON GET, requests/s",
                             page_get.rps / json_get.rps);
    // Paced: 20 connections, each waiting 20 * 1000 / rate ms less about a
    // millisecond of latency between requests; the table shows the rate reached.
    const int delay = std::max(1, 20 * 1000 / args.rate - 1);
    const std::string paced = script(folder + "/paced.lua", ids, bearer, "GET", "", "", delay);
    row(fmt::format("GET /api/v1/cases/{{id}}, paced to ~{}/s", args.rate), wrk(args, base, paced, 2, 20));
    const std::string post = script(folder + "/post.lua", evaluation, bearer, "POST", "/events",
                                    R"({"event":"record_impact","data":{"outcome":"load","impact":"bench"}})", 0);
    row("POST /api/v1/cases/{id}/events, 8 connections", wrk(args, base, post, 2, 8));
    std::filesystem::remove_all(folder);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "api_bench: " << e.what() << '\n';
    return 1;
  }
}
