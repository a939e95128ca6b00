// England's scale: every hot path on the national data set (bench/national_data.h),
// each figure beside a baseline measured in the same run, with its target
// (docs/performance.md).
//
//   national_bench --db URL --s2sd PATH [--scale 1.0] [--seconds 10] [--rate 1000] [--soak 600]
//                  [--runs 3] [--rounds 3] [--workers 8] [--wrk PATH] [--pgbench PATH]
//                  [--generate-only | --reports-only]
//
// - reports: the KPI report and the quarterly report for England, the
//   busiest mini region and the busiest alliance, made afresh and kept,
//   beside one SQL sum over the year's day rows;
// - startup: `s2sd serve` ready (GET /readyz 200) on the national data set,
//   beside the same on an empty database;
// - the API and pages under wrk from the same machine: one case as JSON and
//   as its page, paced to --rate; the case list with filters and the lead's
//   dashboard; beside GET /healthz (the HTTP floor), as fast as it goes and
//   paced as the pages are, and, on PostgreSQL, pgbench running a page's
//   statement at the same pace and the reads of one case; after six seconds of unmeasured
//   reads, so that the server's database connections are warm (and its pages
//   have kept the histories they read); the pages again from a server that
//   keeps none (--kept-history-mb 0), as each page's first reading is; the
//   paced reads and the floor in --rounds rounds taken in turn, each figure
//   the round with the median p99;
// - memory: s2sd's resident memory through the load, then over --soak
//   seconds of mixed load, sampled every second.
#include <fmt/format.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "api/app.h"
#include "bench/load.h"
#include "bench/national_data.h"
#include "cases/case_list.h"
#include "cases/cold_spots.h"
#include "cases/deployments.h"
#include "cases/kinds.h"
#include "cases/kpis.h"
#include "cases/need.h"
#include "cases/progress_report.h"
#include "cases/providers.h"
#include "cases/recipients.h"
#include "cases/sign_in.h"
#include "cases/users.h"
#include "web/web.h"
#include "workflow/calendar.h"
#include "workflow/date.h"
#include "workflow/engine.h"
#include "workflow/migrations.h"

namespace {

using namespace s2s::bench;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string db;
  std::string s2sd;
  std::string wrk = "wrk";
  std::string pgbench = "pgbench";
  double scale = 1.0;
  int seconds = 10;
  int rate = 1000;
  int soak = 600;  // ten minutes, as docs/performance.md sets the memory target
  int runs = 3;
  int rounds = 3;  // of the paced reads and their floor, taken in turn
  int workers = std::max(2, 2 * static_cast<int>(std::thread::hardware_concurrency()));  // as s2sd serve's auto
  bool generate_only = false;
  bool reports_only = false;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--generate-only" || arg == "--reports-only") {
      (arg == "--generate-only" ? a.generate_only : a.reports_only) = true;
      continue;
    }
    if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
    const std::string value = argv[++i];
    if (arg == "--db") {
      a.db = value;
    } else if (arg == "--s2sd") {
      a.s2sd = value;
    } else if (arg == "--wrk") {
      a.wrk = value;
    } else if (arg == "--pgbench") {
      a.pgbench = value;
    } else if (arg == "--scale") {
      a.scale = std::stod(value);
    } else if (arg == "--seconds") {
      a.seconds = std::stoi(value);
    } else if (arg == "--rate") {
      a.rate = std::stoi(value);
    } else if (arg == "--soak") {
      a.soak = std::stoi(value);
    } else if (arg == "--runs") {
      a.runs = std::stoi(value);
    } else if (arg == "--rounds") {
      a.rounds = std::stoi(value);
    } else if (arg == "--workers") {
      a.workers = std::stoi(value);
    } else {
      throw std::invalid_argument("unknown argument " + arg);
    }
  }
  if (a.db.empty()) throw std::invalid_argument("--db URL is required");
  if (a.s2sd.empty() && !a.generate_only && !a.reports_only) throw std::invalid_argument("--s2sd PATH is required");
  if (!(a.scale > 0 && a.scale <= 4)) throw std::invalid_argument("--scale must be above 0 and at most 4");
  if (a.runs < 1 || a.rounds < 1 || a.seconds < 1 || a.rate < 1 || a.soak < 0) {
    throw std::invalid_argument("--runs, --rounds, --seconds and --rate must be at least 1, --soak at least 0");
  }
  return a;
}

// Resident memory of a process, sampled every second on a thread of its own.
class MemoryWatch {
 public:
  explicit MemoryWatch(const Server& server) : server_(server), thread_([this] { watch(); }) {}
  MemoryWatch(const MemoryWatch&) = delete;
  MemoryWatch& operator=(const MemoryWatch&) = delete;
  ~MemoryWatch() {
    stop_ = true;
    thread_.join();
  }
  [[nodiscard]] std::vector<double> samples() {
    std::lock_guard lock(mutex_);
    return samples_;
  }

 private:
  void watch() {
    while (!stop_) {
      {
        std::lock_guard lock(mutex_);
        samples_.push_back(server_.resident_mib());
      }
      for (int i = 0; i < 10 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  const Server& server_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<double> samples_;
  std::thread thread_;
};

// The cases of the mini region's schools, by id; throws when there are none.
std::vector<std::int64_t> cases_of_region(s2s::workflow::Database& db, const std::string& region) {
  std::vector<std::int64_t> ids;
  auto c = db.acquire();
  soci::rowset<long long> rows =
      (c.session().prepare << "SELECT c.id FROM cases c JOIN schools s ON s.urn = c.school_urn"
                              " JOIN la_mini_regions m ON m.la_code = s.la_code WHERE m.mini_region = :r"
                              " ORDER BY c.id",
       soci::use(region));
  for (const auto id : rows) ids.push_back(id);
  if (ids.empty()) throw std::runtime_error("the mini region " + region + " has no cases");
  return ids;
}

std::string pgbench_reads(const Args& args, const std::string& folder, long cases) {
  // The reads behind one case's JSON: the case, its history, its open
  // deadlines and its deployments, each by the id of a case of the data set.
  std::ofstream script(folder + "/case_reads.sql");
  script << "\\set id random(1, " << cases << ")\n"
         << "SELECT id, kind, reference, school_urn, state, phase, version, data, opened_on FROM cases WHERE id = :id;\n"
         << "SELECT sequence, event, from_state, to_state, actor, occurred_on, payload FROM case_history"
            " WHERE case_id = :id ORDER BY sequence;\n"
         << "SELECT id, purpose, due_on, status FROM deadlines WHERE case_id = :id ORDER BY id;\n"
         << "SELECT system_leader_id, status, academic_year FROM deployments WHERE case_id = :id;\n";
  script.close();
  return run_command(fmt::format("{} -n -M prepared -c 8 -j 2 -T {} -f {}/case_reads.sql '{}' 2>&1", args.pgbench,
                                 args.seconds, folder, args.db));
}

// pgbench running the statement of a case's page (cases::case_page_sql)
// with `session`'s values, for a random case of the data set, paced to
// `rate` a second over `clients` connections: the database's own latency for
// a page's read at the load s2sd has. Its history is read after the last
// sequence, as a page whose history is kept reads it. pgbench's -R schedules
// its transactions at random (wrk's delay paces each connection after each
// answer); each latency is counted from the statement's start, not its
// schedule, as wrk counts a request's. The first two seconds, while each new
// connection plans its statement, are left out.
Figures pgbench_page_paced(const Args& args, const std::string& folder, s2s::workflow::Backend backend, long cases,
                           const s2s::cases::SessionQuery& session, int clients, int rate) {
  const std::string script = folder + "/case_page.sql";
  {
    std::ofstream out(script);
    out << "\\set id random(1, " << cases << ")\n\\set after 2147483647\n"
        << s2s::cases::case_page_sql(backend) << ";\n";
  }
  const std::string prefix = folder + "/page_log";
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().filename().string().starts_with("page_log")) std::filesystem::remove(entry.path());
  }
  constexpr int kWarmSeconds = 2;
  (void)run_command(
      fmt::format("{} -n -M prepared -c {} -j 2 -R {} -T {} -l --log-prefix={} -D 'touch={}' -D 'h={}' -D 'idle={}' "
                  "-D 'born={}' -f {} '{}' 2>&1",
                  args.pgbench, clients, rate, args.seconds + kWarmSeconds, prefix, session.touch_before, session.hash,
                  session.idle_since, session.born_since, script, args.db));
  // Each line: client, transaction, latency (us, from its schedule), script,
  // epoch seconds, microseconds, schedule lag (us).
  struct Done {
    double at = 0;  // seconds since the epoch
    double ms = 0;
  };
  std::vector<Done> done;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (!entry.path().filename().string().starts_with("page_log")) continue;
    std::ifstream in(entry.path());
    std::string client, transaction, latency, number, seconds, micros, lag;
    while (in >> client >> transaction >> latency >> number >> seconds >> micros >> lag) {
      done.push_back({std::stod(seconds) + std::stod(micros) / 1e6, (std::stod(latency) - std::stod(lag)) / 1000});
    }
  }
  if (done.empty()) throw std::runtime_error("pgbench logged no transactions in " + folder);
  double first = done.front().at;
  for (const auto& d : done) first = std::min(first, d.at);
  std::vector<double> ms;
  for (const auto& d : done) {
    if (d.at >= first + kWarmSeconds) ms.push_back(d.ms);
  }
  if (ms.empty())
    throw std::runtime_error("pgbench logged nothing after its first " + std::to_string(kWarmSeconds) + " s");
  std::sort(ms.begin(), ms.end());
  Figures f;
  f.rps = static_cast<double>(ms.size()) / args.seconds;
  f.p50 = ms[ms.size() / 2];
  f.p99 = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  return f;
}

double pgbench_tps(const std::string& out) {
  const auto at = out.find("tps = ");
  return at == std::string::npos ? 0 : std::stod(out.substr(at + 6));
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args args = parse(argc, argv);
    spdlog::set_level(spdlog::level::warn);
    std::cout << std::unitbuf;  // each figure as it is measured
    const auto url = s2s::workflow::DatabaseUrl::parse(args.db);
    auto db = s2s::workflow::Database::open(url);
    s2s::workflow::migrate(*db, s2s::workflow::bundled_migrations(db->backend()));
    const auto data = national_data(*db, NationalShape::england(args.scale), std::cout);
    std::cout << fmt::format(
        "national data set on {}: {} cases, {} history rows, {} logged days, {} deadlines, {} timers, {} mini regions "
        "({})\n",
        to_string(url.backend), data.cases, data.history_rows, data.day_rows, data.deadlines, data.timers,
        data.mini_regions.size(),
        data.seconds > 0 ? fmt::format("written in {:.0f} s", data.seconds) : std::string("written by an earlier run"));
    if (args.generate_only) return 0;

    const auto& calendar = s2s::workflow::england_and_wales();
    const auto today = s2s::workflow::london_date(std::chrono::system_clock::now());
    const std::string year = s2s::cases::academic_year_of(today);
    const std::string region = data.mini_regions.front();
    const std::string run_tag = std::to_string(getpid());

    // ---- Reports, in-process, beside one SQL sum over the year's day rows.
    std::cout << fmt::format("\n{:<58} {:>10} {:>10}\n", "reports (" + year + ")", "median ms", "slowest");
    const auto floor = time_runs(args.runs, [&] {
      auto c = db->acquire();
      double sum = 0;
      const std::string from = year.substr(0, 4) + "-09-01";
      const std::string to = std::to_string(std::stoi(year.substr(0, 4)) + 1) + "-08-31";
      c.session() << "SELECT CAST(sum(half_days) AS DOUBLE PRECISION) FROM deployment_days WHERE day BETWEEN '" + from +
                         "' AND '" + to + "'",
          soci::into(sum);
    });
    std::cout << fmt::format("{:<58} {:>10.0f} {:>10.0f}\n", "baseline: one SQL sum over the year's day rows",
                             floor.median, floor.slowest);
    struct Scope {
      std::string label;
      s2s::cases::KpiScope scope;
      double target_ms;
    };
    std::vector<Scope> scopes(3);
    scopes[0] = {"England", {}, 1000};
    scopes[1] = {"mini region " + region, {}, 300};
    scopes[1].scope.mini_region = region;
    scopes[2] = {fmt::format("alliance {}", data.busiest_alliance), {}, 100};
    scopes[2].scope.alliance = data.busiest_alliance;
    for (auto& s : scopes) {
      s.scope.academic_year = year;
      s.scope.with_references = false;
      s.scope.with_overdue_items = false;
      const auto kpis = time_runs(args.runs, [&] { (void)s2s::cases::kpi_report(*db, calendar, s.scope, today); });
      std::cout << fmt::format("{:<58} {:>10.0f} {:>10.0f}  (target: under {:.0f} ms; {:.1f}x the baseline)\n",
                               "KPI report: " + s.label, kpis.median, kpis.slowest, s.target_ms,
                               kpis.median / std::max(floor.median, 0.001));
      const auto quarterly = time_runs(args.runs, [&] {
        (void)s2s::cases::progress_report(*db, calendar, s.scope, s2s::cases::quarter_of(today), today);
      });
      std::cout << fmt::format("{:<58} {:>10.0f} {:>10.0f}  (target: under {:.0f} ms)\n",
                               "quarterly report: " + s.label, quarterly.median, quarterly.slowest, s.target_ms);
    }

    // The KPI pages through the router, as a signed-in browser gets them:
    // made afresh, then kept (a reload).
    s2s::api::App app;
    app.db = db;
    app.engine = std::make_unique<s2s::workflow::Engine>(db, s2s::cases::all_kinds());
    s2s::api::Router router;
    s2s::web::WebOptions web_options;
    s2s::web::register_web_routes(router, app, web_options, nullptr);
    const auto handler = s2s::api::make_handler(router, app);
    const auto now = std::chrono::system_clock::now();
    const auto session_for = [&](const std::string& who, const std::string& role, const std::string& scope) {
      const std::string email = who + "." + run_tag + "@national.example.org";
      const auto user = s2s::cases::add_user(*db, "Bench " + who, email, role, scope);
      return std::pair{user.token, s2s::bench::session_cookie(*db, email, now, web_options.sessions)};
    };
    const auto lead = session_for("region.lead", "lead", "mini_region:" + region);
    const auto strategic = session_for("strategic", "strategic", "");
    const auto alliance_lead = session_for("alliance.lead", "lead", fmt::format("alliance:{}", data.busiest_alliance));
    const auto page = [&](const std::string& cookie, const std::string& target) {
      (void)get_page(handler, cookie, target);
    };
    for (const auto& [label, cookie] : {std::pair{"KPI page: England (strategic group)", strategic.second},
                                        std::pair{"KPI page: the mini region's lead", lead.second},
                                        std::pair{"KPI page: the alliance's lead", alliance_lead.second}}) {
      const std::string target = "/kpis?academic_year=" + year;
      const auto fresh = time_runs(args.runs, [&] {
        app.reports.clear();
        page(cookie, target);
      });
      const auto kept = time_runs(std::max(args.runs, 5), [&] { page(cookie, target); });
      std::cout << fmt::format("{:<58} {:>10.0f} {:>10.0f}  (kept: {:.1f} ms; target under 5 ms)\n", label,
                               fresh.median, fresh.slowest, kept.median);
    }
    {
      app.reports.clear();
      const auto fresh = time_runs(1, [&] { page(lead.second, "/dashboard"); });
      const auto kept = time_runs(std::max(args.runs, 5), [&] { page(lead.second, "/dashboard"); });
      std::cout << fmt::format("{:<58} {:>10.0f} {:>10.0f}  (kept: {:.1f} ms; {} KB)\n", "dashboard: the mini region's lead",
                               fresh.median, fresh.slowest, kept.median,
                               get_page(handler, lead.second, "/dashboard") / 1024);
    }

    // A case's page in the process, without HTTP or wrk: beside its read
    // alone (the session with the case, its school, supporter, deadlines and
    // the history entries it does not keep yet, in one statement), so that
    // the rest is the page's own work (its model, the template and the
    // layout). The lead's cases in rotation.
    {
      auto ids = cases_of_region(*db, region);
      if (ids.size() > 500) ids.resize(500);
      const auto session_token = lead.second.substr(lead.second.find('=') + 1);
      std::size_t next = 0;
      // As the page read them before: the session, then the case (two round trips).
      const auto apart = time_runs(500, [&] {
        const auto session = s2s::cases::find_session(*db, session_token, now, web_options.sessions);
        if (!session) throw std::runtime_error("the lead's session has ended");
        const auto id = std::to_string(ids[next++ % ids.size()]);
        if (!s2s::cases::find_visible_case_view(*app.engine, s2s::cases::actor_of(session->user), id,
                                                s2s::cases::CaseViewParts::with_history)) {
          throw std::runtime_error("the lead cannot see case " + id);
        }
      });
      // Unmeasured, once each: each page's history is then kept, as the
      // server's are after the first reading (docs/architecture.md, "Storage").
      for (const auto id : ids) {
        (void)s2s::cases::find_session_and_case_page(*app.engine, session_token, now, web_options.sessions,
                                                     std::to_string(id));
      }
      next = 0;
      const auto reads = time_runs(500, [&] {
        const auto id = std::to_string(ids[next++ % ids.size()]);
        const auto read = s2s::cases::find_session_and_case_page(*app.engine, session_token, now,
                                                                 web_options.sessions, id);
        if (!read.session) throw std::runtime_error("the lead's session has ended");
        if (!read.view) throw std::runtime_error("the lead cannot see case " + id);
      });
      next = 0;
      const auto whole = time_runs(500, [&] { page(lead.second, "/cases/" + std::to_string(ids[next++ % ids.size()])); });
      std::cout << fmt::format("{:<58} {:>10.2f} {:>10.2f}\n", "baseline: the session, then the case, in the process",
                               apart.median, apart.slowest);
      std::cout << fmt::format("{:<58} {:>10.2f} {:>10.2f}  ({:.2f}x the two reads)\n",
                               "a case page's read (the two in one, history kept)", reads.median, reads.slowest,
                               reads.median / apart.median);
      std::cout << fmt::format("{:<58} {:>10.2f} {:>10.2f}  ({:.2f} ms of its own; {} cases in rotation; {} KB)\n",
                               "case page: the lead's, in the process", whole.median, whole.slowest,
                               whole.median - reads.median, ids.size(),
                               get_page(handler, lead.second, "/cases/" + std::to_string(ids[0])) / 1024);
    }

    // Who hears of a case's message: the leads of its school, found by place
    // and each then through the scope rule (cases::directory(), as the
    // dispatcher asks for every message), beside the rule asked of every lead
    // in the country, the way they were found before. The lead's cases in
    // rotation.
    {
      auto ids = cases_of_region(*db, region);
      if (ids.size() > 200) ids.resize(200);
      std::vector<s2s::workflow::CaseSnapshot> messages;
      for (const auto id : ids) {
        auto c = db->acquire();
        int urn = 0;
        const long long key = id;
        c.session() << "SELECT school_urn FROM cases WHERE id = :id", soci::use(key), soci::into(urn);
        s2s::workflow::CaseSnapshot snapshot;
        snapshot.id = id;
        snapshot.school_urn = urn;
        messages.push_back(snapshot);
      }
      std::vector<s2s::workflow::Actor> every_lead;
      for (const auto& listed : s2s::cases::list_users(*db)) {
        if (listed.user.role == "lead") {
          every_lead.emplace_back(listed.user.name, "lead", s2s::cases::actor_scope(listed.user));
        }
      }
      const auto directory = s2s::cases::directory();
      std::size_t next = 0;
      std::size_t heard_by_rule = 0;
      const auto by_rule = time_runs(200, [&] {
        const auto& m = messages[next++ % messages.size()];
        auto c = db->acquire();
        for (const auto& actor : every_lead) heard_by_rule += !s2s::cases::scope_refusal(c, actor, m) ? 1 : 0;
      });
      next = 0;
      std::size_t heard = 0;
      const auto found = time_runs(200, [&] {
        const auto& m = messages[next++ % messages.size()];
        auto c = db->acquire();
        heard += directory->people(c, "lead", m.id, m.school_urn).size();
      });
      if (heard != heard_by_rule) {
        throw std::runtime_error(
            fmt::format("the leads found ({}) are not the leads the rule lets see ({})", heard, heard_by_rule));
      }
      std::cout << fmt::format("{:<58} {:>10.2f} {:>10.2f}  ({} leads)\n",
                               "baseline: every lead through the scope rule", by_rule.median, by_rule.slowest,
                               every_lead.size());
      std::cout << fmt::format("{:<58} {:>10.2f} {:>10.2f}  ({:.2f}x the baseline; {:.1f} leads a message)\n",
                               "a message's leads: by place, then the rule", found.median, found.slowest,
                               found.median / std::max(by_rule.median, 0.001), static_cast<double>(heard) / 200.0);
    }

    // The need register (docs/need.md): England's, for the strategic group,
    // and the mini region's, for its lead; beside a count of the schools in
    // need by the same criteria, in one SQL statement.
    {
      const auto need = s2s::cases::need_sql(s2s::cases::need_rules(*db));
      const auto count = time_runs(args.runs, [&] {
        auto c = db->acquire();
        long long n = 0;
        c.session() << "SELECT count(*) FROM schools s" + need.join + " WHERE " + need.position + " > 0",
            soci::into(n);
      });
      std::cout << fmt::format("{:<58} {:>10.0f} {:>10.0f}\n", "baseline: one SQL count of England's schools in need",
                               count.median, count.slowest);
      for (const auto& [label, actor] :
           {std::pair{std::string("need register: England (strategic group)"),
                      s2s::workflow::Actor{"bench", "strategic", ""}},
            std::pair{"need register: mini region " + region, s2s::workflow::Actor{"bench", "lead", "mini_region:" + region}}}) {
        std::size_t rows = 0;
        const auto made = time_runs(args.runs, [&] { rows = s2s::cases::need_register(*db, actor, today).rows.size(); });
        std::cout << fmt::format("{:<58} {:>10.0f} {:>10.0f}  (target: under 300 ms; {} schools; {:.1f}x the baseline)\n",
                                 label, made.median, made.slowest, rows, made.median / std::max(count.median, 0.001));
      }
      for (const auto& [label, actor] :
           {std::pair{std::string("cold spots: England (strategic group)"),
                      s2s::workflow::Actor{"bench", "strategic", ""}},
            std::pair{"cold spots: mini region " + region, s2s::workflow::Actor{"bench", "lead", "mini_region:" + region}}}) {
        std::size_t las = 0;
        const auto made = time_runs(args.runs, [&] { las = s2s::cases::cold_spots(*db, actor, today).las.size(); });
        std::cout << fmt::format("{:<58} {:>10.0f} {:>10.0f}  (target: under 300 ms; {} LAs; {:.1f}x the baseline)\n",
                                 label, made.median, made.slowest, las, made.median / std::max(count.median, 0.001));
      }
    }

    if (args.reports_only) return 0;
    const std::string folder =
        std::filesystem::temp_directory_path() / ("s2s_national_bench_" + std::to_string(getpid()));
    std::filesystem::create_directories(folder);
    const int port = 19000 + getpid() % 1000;
    const std::vector<std::string> serve{"serve",      "--listen",  "127.0.0.1:" + std::to_string(port),
                                         "--log-level", "warn",     "--rate-limit",
                                         "1000000",    "--rate-burst", "1000000",
                                         "--workers",  std::to_string(args.workers), "--pool-size",
                                         std::to_string(args.workers)};

    // ---- Startup: ready on the national data set, beside an empty database.
    {
      const std::string empty = "sqlite://" + folder + "/empty.db";
      {
        auto e = s2s::workflow::Database::open(s2s::workflow::DatabaseUrl::parse(empty));
        s2s::workflow::migrate(*e, s2s::workflow::bundled_migrations(e->backend()));
      }
      const auto ready = [&](const std::string& db_url) {
        return time_runs(args.runs, [&] {
          Server server(args.s2sd, serve, db_url, folder + "/startup.log");
          (void)server.wait_ready(port, std::chrono::seconds(60));
        });
      };
      const auto baseline = ready(empty);
      const auto national = ready(args.db);
      std::cout << fmt::format("\n{:<58} {:>10} {:>10}\n", "startup: s2sd serve until /readyz answers 200",
                               "median ms", "slowest");
      std::cout << fmt::format("{:<58} {:>10.0f} {:>10.0f}\n", "baseline: an empty SQLite database", baseline.median,
                               baseline.slowest);
      std::cout << fmt::format("{:<58} {:>10.0f} {:>10.0f}  (target: under 1000 ms)\n", "the national data set",
                               national.median, national.slowest);
    }

    // ---- The API and pages under wrk.
    auto load_args = serve;
    load_args.push_back("--no-timers");
    Server server(args.s2sd, load_args, args.db, folder + "/s2sd.log");
    (void)server.wait_ready(port, std::chrono::seconds(60));
    const double rss_start = server.resident_mib();
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    const std::pair<std::string, std::string> bearer{"Authorization", "Bearer " + lead.first};
    const std::pair<std::string, std::string> cookie{"Cookie", lead.second};
    // The lead's own cases, spread over the data set (the scope check runs on each).
    auto ids = cases_of_region(*db, region);
    std::shuffle(ids.begin(), ids.end(), std::mt19937(7));
    if (ids.size() > 5000) ids.resize(5000);
    std::vector<std::string> json_paths, page_paths;
    for (const auto id : ids) {
      json_paths.push_back("/api/v1/cases/" + std::to_string(id));
      page_paths.push_back("/cases/" + std::to_string(id));
    }
    std::vector<std::string> list_paths;
    for (const char* filter : {"state=matching", "phase=deployment", "kind=risk_assessment", "phase=evaluation",
                               "state=referred", "kind=support_request&phase=closed"}) {
      std::string encoded;
      for (const char ch : region) encoded += ch == ' ' ? std::string("%20") : std::string(1, ch);
      list_paths.push_back("/api/v1/cases?mini_region=" + encoded + "&" + filter);
    }
    const auto load = [&](const std::string& script, int connections, int seconds) {
      return wrk(args.wrk, base, script, 2, connections, seconds);
    };
    std::cout << fmt::format("\n{} of the lead's cases in rotation, wrk {} s per scenario, s2sd with {} workers\n",
                             ids.size(), args.seconds, args.workers);
    std::cout << fmt::format("{:<58} {:>10} {:>9} {:>9}\n", "scenario", "req/s", "p50 ms", "p99 ms");
    const auto row = [](const std::string& name, const Figures& f, const std::string& note = "") {
      std::cout << fmt::format("{:<58} {:>10.0f} {:>9.2f} {:>9.2f}  {}\n", name, f.rps, f.p50, f.p99, note);
    };
    std::vector<double> rss_load;
    {
      MemoryWatch watch(server);
      const int paced = 20;  // connections for the paced reads, and pgbench's clients beside them
      const int delay = pacing_delay_ms(paced, args.rate);
      // Unmeasured, first: each of s2sd's database connections is a server
      // process that maps the shared buffers it reads on first touch, as a
      // server that has been running a while has done long since.
      (void)load(wrk_script(folder + "/warm.lua", json_paths, bearer, "GET", "", 0), 16, 3);
      (void)load(wrk_script(folder + "/warm_pages.lua", page_paths, cookie, "GET", "", 0), 16, 3);
      // The paced reads in rounds, each round the HTTP floor (as fast as it
      // goes, then paced), pgbench running a page's statement at the same
      // pace (on PostgreSQL), one case as JSON, its page, and its page from a
      // server that keeps no history
      // (--kept-history-mb 0: every reading as a page's first is, its whole
      // history read and its timeline made): the machine's speed moves from
      // one minute to the next, and in turn each drift lands on all of them.
      // Each row is the round with the median p99, every round's p99 beside it.
      const int cold_port = port + 1;
      auto cold_args = load_args;
      cold_args[2] = "127.0.0.1:" + std::to_string(cold_port);
      cold_args.insert(cold_args.end(), {"--kept-history-mb", "0"});
      Server cold(args.s2sd, cold_args, args.db, folder + "/s2sd_cold.log");
      (void)cold.wait_ready(cold_port, std::chrono::seconds(60));
      const std::string cold_base = "http://127.0.0.1:" + std::to_string(cold_port);
      const std::string page_script = wrk_script(folder + "/page.lua", page_paths, cookie, "GET", "", delay);
      (void)wrk(args.wrk, cold_base, folder + "/warm_pages.lua", 2, 16, 3);
      const std::string health_script = wrk_script(folder + "/health.lua", {"/healthz"}, {}, "GET", "", 0);
      const std::string get_script = wrk_script(folder + "/get.lua", json_paths, bearer, "GET", "", delay);
      const std::string paced_health_script =
          wrk_script(folder + "/health_paced.lua", {"/healthz"}, {}, "GET", "", delay);
      const std::string lead_token = lead.second.substr(lead.second.find('=') + 1);
      std::vector<Figures> floors, paced_floors, statements, gets, pages, colds;
      for (int round = 0; round < args.rounds; ++round) {
        floors.push_back(load(health_script, 16, args.seconds));
        paced_floors.push_back(load(paced_health_script, paced, args.seconds));
        if (url.backend == s2s::workflow::Backend::postgresql) {
          s2s::cases::SessionQuery session;
          (void)session.set(lead_token, std::chrono::system_clock::now(), web_options.sessions);
          statements.push_back(pgbench_page_paced(args, folder, url.backend, data.cases, session, paced, args.rate));
        }
        gets.push_back(load(get_script, paced, args.seconds));
        pages.push_back(load(page_script, paced, args.seconds));
        colds.push_back(wrk(args.wrk, cold_base, page_script, 2, paced, args.seconds));
      }
      // The round with the median p99.
      const auto median_round = [](std::vector<Figures> rounds) {
        std::sort(rounds.begin(), rounds.end(), [](const Figures& a, const Figures& b) { return a.p99 < b.p99; });
        return rounds[rounds.size() / 2];
      };
      const auto median_row = [&](const std::string& name, const std::vector<Figures>& rounds,
                                  const std::string& note) {
        std::string each;
        for (const auto& f : rounds) each += (each.empty() ? "" : ", ") + fmt::format("{:.2f}", f.p99);
        row(name, median_round(rounds), fmt::format("(p99 of each round: {}){}", each, note));
      };
      const auto median_p99 = [&](const std::vector<Figures>& rounds) { return median_round(rounds).p99; };
      // The page beside what it is made of: the HTTP floor at the same pace,
      // and the database running the page's one statement at the same pace.
      const auto beside = [&](const std::vector<Figures>& rounds) {
        if (statements.empty()) return std::string("; target: under 5 ms");
        return fmt::format("; target: under 5 ms; {:.2f}x the paced floor's p99 and pgbench's together",
                           median_p99(rounds) / (median_p99(paced_floors) + median_p99(statements)));
      };
      median_row("baseline: GET /healthz (HTTP floor), 16 connections", floors, "");
      median_row(fmt::format("baseline: GET /healthz, paced to ~{}/s", args.rate), paced_floors, "");
      if (!statements.empty()) {
        median_row(fmt::format("baseline: pgbench, a page's statement, paced to ~{}/s", args.rate), statements,
                   fmt::format("; {} clients, -R", paced));
      }
      median_row(fmt::format("GET /api/v1/cases/{{id}}, paced to ~{}/s", args.rate), gets, "; target: under 5 ms");
      median_row(fmt::format("GET /cases/{{id}} (its page), paced to ~{}/s", args.rate), pages, beside(pages));
      median_row("  the same, nothing kept (each page's first reading)", colds, "");
      row("GET /api/v1/cases/{id}, 16 connections, as fast as it goes",
          load(wrk_script(folder + "/get_max.lua", json_paths, bearer, "GET", "", 0), 16, args.seconds));
      // The list as fast as it goes says what it costs; its p99 there is the
      // queue of 8 connections on 2 shared cores. Paced, at 100 a second (many
      // times what the leads of all England would ask at once), it says how
      // long a person waits.
      row("GET /api/v1/cases?mini_region=...&<filter>, 8 connections",
          load(wrk_script(folder + "/list.lua", list_paths, bearer, "GET", "", 0), 8, args.seconds));
      row("GET /api/v1/cases?mini_region=...&<filter>, paced to ~100/s",
          load(wrk_script(folder + "/list_paced.lua", list_paths, bearer, "GET", "", pacing_delay_ms(8, 100)), 8,
               args.seconds),
          "(target: p99 under 50 ms)");
      // The first view of the dashboard makes it; the rest find it kept until the data changes.
      const auto first = Clock::now();
      if (const int status = http_status(port, "/dashboard", cookie); status != 200) {
        throw std::runtime_error("/dashboard answered " + std::to_string(status));
      }
      std::cout << fmt::format("{:<58} {:>10} {:>9} {:>9.2f}  (made afresh)\n", "GET /dashboard (the lead's), the first",
                               "", "", std::chrono::duration<double, std::milli>(Clock::now() - first).count());
      row("GET /dashboard (the lead's) again, 8 connections",
          load(wrk_script(folder + "/dashboard.lua", {"/dashboard"}, cookie, "GET", "", 0), 8, args.seconds),
          "(target: p99 under 50 ms)");
      rss_load = watch.samples();
    }
    if (url.backend == s2s::workflow::Backend::postgresql) {
      const double tps = pgbench_tps(pgbench_reads(args, folder, data.cases));
      std::cout << fmt::format("{:<58} {:>10.0f}  (the four reads of one case by id, 8 clients, prepared)\n",
                               "baseline: pgbench, one case's reads", tps);
    }
    std::cout << fmt::format("\n{:<58} {:>10.0f} MiB at start, {:.0f} MiB at most  (target: under 200 MiB)\n",
                             "s2sd resident memory through the scenarios", rss_start,
                             *std::max_element(rss_load.begin(), rss_load.end()));

    // ---- Memory over a longer mixed load: flat, not growing.
    if (args.soak > 0) {
      std::vector<std::string> mixed;
      for (std::size_t i = 0; i < json_paths.size(); ++i) {
        mixed.push_back(i % 3 == 0 ? page_paths[i] : json_paths[i]);
      }
      // The page paths need the cookie and the JSON ones the token: send both.
      const std::string mixed_script = wrk_script(folder + "/mixed.lua", mixed, bearer, "GET", "", 0);
      {
        std::ofstream append(mixed_script, std::ios::app);
        append << "wrk.headers[\"Cookie\"] = \"" << cookie.second << "\"\n";
      }
      MemoryWatch watch(server);
      const auto f = load(mixed_script, 8, args.soak);
      const auto samples = watch.samples();
      const std::size_t n = samples.size();
      const auto mean = [&](std::size_t from, std::size_t to) {  // of the samples there are in [from, to)
        to = std::min(to, n);
        from = std::min(from, to);
        double sum = 0;
        for (std::size_t i = from; i < to; ++i) sum += samples[i];
        return sum / double(std::max<std::size_t>(1, to - from));
      };
      // The first tenth warms the kept histories up; "flat" compares the
      // tenth after it with the last.
      const std::size_t tenth = std::max<std::size_t>(1, n / 10);
      const double second = mean(tenth, 2 * tenth);
      const double last = mean(n - tenth, n);
      const double most = samples.empty() ? 0 : *std::max_element(samples.begin(), samples.end());
      std::cout << fmt::format(
          "{:<58} {:>10.0f} MiB in the second tenth, {:.0f} MiB in the last ({:+.1f} MiB), {:.0f} MiB at most "
          "(target: under 200 MiB, flat; {:.0f} req/s, p99 {:.2f} ms)\n",
          fmt::format("s2sd resident memory over {} s of mixed GETs", args.soak), second, last, last - second, most,
          f.rps, f.p99);
    }
    std::filesystem::remove_all(folder);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "national_bench: " << e.what() << '\n';
    return 1;
  }
}
