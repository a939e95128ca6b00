// The HTTP API under load from wrk (Debian's package), against a real s2sd
// process: GET of one case as JSON and as its web page, and POST of an event, with the HTTP floor
// (GET /healthz, no database) measured in the same run as the baseline.
//
//   api_bench --db URL --s2sd PATH [--wrk PATH] [--cases N] [--seconds S] [--rate R] [--workers N] [--rounds N]
//
// Seeds a fresh database with N support requests (and 50 in evaluation for
// the POSTs), starts `s2sd serve` on it, and prints requests/s with p50 and
// p99 latency per scenario; the paced scenario holds about R requests/s
// (target, docs/architecture.md: p99 under 5 ms at 1,000 requests/s with
// 10,000 cases).
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/load.h"
#include "cases/gias_import.h"
#include "cases/kinds.h"
#include "cases/providers.h"
#include "cases/sign_in.h"
#include "cases/users.h"
#include "workflow/date.h"
#include "workflow/engine.h"
#include "workflow/migrations.h"

namespace {

using s2s::workflow::Database;
using s2s::workflow::Engine;
using namespace s2s::bench;

struct Args {
  std::string db;
  std::string s2sd;
  std::string wrk = "wrk";
  int cases = 10000;
  int seconds = 10;
  int rate = 1000;
  int rounds = 3;  // the JSON GET and the page taken in turn, for their ratio
  // s2sd's handler threads, and as many database connections: twice the cores, as s2sd serve's auto.
  int workers = std::max(2, 2 * static_cast<int>(std::thread::hardware_concurrency()));
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
    } else if (arg == "--rounds") {
      a.rounds = std::stoi(value());
    } else if (arg == "--workers") {
      a.workers = std::stoi(value());
    } else {
      throw std::invalid_argument("unknown argument " + arg);
    }
  }
  if (a.db.empty() || a.s2sd.empty()) throw std::invalid_argument("--db URL and --s2sd PATH are required");
  if (a.cases < 50) throw std::invalid_argument("--cases must be at least 50");
  if (a.rounds < 1 || a.rounds > 20) throw std::invalid_argument("--rounds must be from 1 to 20");
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

std::vector<std::string> paths(const std::string& prefix, const std::vector<std::int64_t>& ids,
                               const std::string& suffix = "") {
  std::vector<std::string> out;
  for (const auto id : ids) out.push_back(prefix + std::to_string(id) + suffix);
  return out;
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
    const std::pair<std::string, std::string> cookie{
        "Cookie", s2s::bench::session_cookie(*db, "load.lead@example.org", std::chrono::system_clock::now(), policy)};
    db.reset();

    const std::string folder = std::filesystem::temp_directory_path() / ("s2s_api_bench_" + std::to_string(getpid()));
    std::filesystem::create_directories(folder);
    const int port = 18000 + getpid() % 1000;
    const std::string workers = std::to_string(args.workers);
    Server server(args.s2sd,
                  {"serve", "--listen", "127.0.0.1:" + std::to_string(port), "--no-timers", "--rate-limit", "1000000",
                   "--rate-burst", "1000000", "--log-level", "warn", "--workers", workers, "--pool-size", workers},
                  args.db, folder + "/s2sd.log");
    (void)server.wait_ready(port, std::chrono::seconds(30));
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    // Each scenario with s2sd's CPU time a request: steadier than requests
    // a second on a shared machine, whose speed moves from minute to minute.
    const auto load = [&](const std::string& script, int connections) {
      const double cpu_before = server.cpu_seconds();
      Figures f = wrk(args.wrk, base, script, 2, connections, args.seconds);
      f.cpu_us = (server.cpu_seconds() - cpu_before) * 1e6 / static_cast<double>(std::max(1L, f.requests));
      return f;
    };

    std::cout << fmt::format(
        "{} cases on {} (seeded in {:.1f} s), wrk {} s per scenario, s2sd with {} workers and connections\n\n",
        args.cases, s2s::workflow::to_string(url.backend), seeded, args.seconds, args.workers);
    std::cout << fmt::format("{:<44} {:>10} {:>9} {:>9} {:>7} {:>12}\n", "scenario", "req/s", "p50 ms", "p99 ms",
                             "non-2xx", "s2sd CPU µs");
    const auto row = [](const std::string& name, const Figures& f) {
      std::cout << fmt::format("{:<44} {:>10.0f} {:>9.2f} {:>9.2f} {:>7} {:>12.0f}\n", name, f.rps, f.p50, f.p99,
                               f.errors, f.cpu_us);
    };
    row("GET /healthz (HTTP floor, no database)",
        load(wrk_script(folder + "/health.lua", {"/healthz"}, {}, "GET", "", 0), 16));
    const auto json_paths = paths("/api/v1/cases/", ids);
    // The case's web page, same cases, same connections: at least 0.8x the
    // JSON GET (docs/web.md). The two take turns over --rounds, each round
    // starting with the other one (the shared machine's speed moves by more
    // than the difference within a minute): each row is its round of median
    // requests a second, the ratio the median of the rounds' own.
    const std::string json_script = wrk_script(folder + "/get.lua", json_paths, bearer, "GET", "", 0);
    const std::string page_script = wrk_script(folder + "/page.lua", paths("/cases/", ids), cookie, "GET", "", 0);
    std::vector<Figures> json_rounds;
    std::vector<Figures> page_rounds;
    std::vector<double> ratios;
    std::vector<double> cpu_ratios;  // the page's CPU a request over the JSON's
    for (int round = 0; round < args.rounds; ++round) {
      if (round % 2 == 0) {
        json_rounds.push_back(load(json_script, 16));
        page_rounds.push_back(load(page_script, 16));
      } else {
        page_rounds.push_back(load(page_script, 16));
        json_rounds.push_back(load(json_script, 16));
      }
      ratios.push_back(page_rounds.back().rps / json_rounds.back().rps);
      cpu_ratios.push_back(page_rounds.back().cpu_us / json_rounds.back().cpu_us);
    }
    const auto median_round = [](std::vector<Figures> rounds) {
      std::sort(rounds.begin(), rounds.end(), [](const Figures& a, const Figures& b) { return a.rps < b.rps; });
      return rounds[rounds.size() / 2];
    };
    row("GET /api/v1/cases/{id}, 16 connections", median_round(json_rounds));
    row("GET /cases/{id} (web page), 16 connections", median_round(page_rounds));
    std::string each_round;
    for (const double r : ratios) each_round += fmt::format("{}{:.2f}", each_round.empty() ? "" : ", ", r);
    std::sort(ratios.begin(), ratios.end());
    std::cout << fmt::format("{:<44} {:>10.2f}x  (each round's: {}; target: at least 0.8x)\n",
                             "  web page / JSON GET, requests/s", ratios[ratios.size() / 2], each_round);
    std::sort(cpu_ratios.begin(), cpu_ratios.end());
    std::cout << fmt::format("{:<44} {:>10.2f}x  (median of the rounds)\n", "  web page / JSON GET, s2sd CPU a request",
                             cpu_ratios[cpu_ratios.size() / 2]);
    // Paced: 20 connections, each waiting between requests; the table shows the rate reached.
    const std::string paced =
        wrk_script(folder + "/paced.lua", json_paths, bearer, "GET", "", pacing_delay_ms(20, args.rate));
    row(fmt::format("GET /api/v1/cases/{{id}}, paced to ~{}/s", args.rate), load(paced, 20));
    const std::string post =
        wrk_script(folder + "/post.lua", paths("/api/v1/cases/", evaluation, "/events"), bearer, "POST",
                   R"({"event":"record_impact","data":{"outcome":"load","impact":"bench"}})", 0);
    row("POST /api/v1/cases/{id}/events, 8 connections", load(post, 8));
    std::filesystem::remove_all(folder);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "api_bench: " << e.what() << '\n';
    return 1;
  }
}
