// Events per second applied through the engine on PostgreSQL, beside pgbench
// running the same SQL statements as one transaction per event, in one run.
//
//   engine_bench --db postgresql://... [--seconds 5] [--rounds 5] [--clients 1,8,32] [--pgbench /usr/bin/pgbench]
//                [--gias ROWS] [--timers N] [--timer-workers N] [--job-queues DIR] [--providers N]
//
// The event is record_impact on a support request in evaluation: the engine
// loads the case (row-locked), checks the actor and dispatches through the MSM
// machine, writes the new version and data, and appends the history row. The
// pgbench script issues the same statements with the same data, prepared once
// per connection and the data bound as parameters, as the engine does
// (-M prepared), with a thread per client as the engine's callers have, and
// again on at most 4 threads. The engine sends its five statements in three
// round trips (BEGIN with the locked read, the update, the history row with
// COMMIT), so a third script sends them in three as well, as far as pgbench
// can (BEGIN, the read, then the update, the history row and COMMIT in one
// pipeline: pgbench cannot pipeline a read whose values it keeps); pgbench's
// first script sends one statement at a time. The four take turns. Run it with
// ./scripts/bench.
#include <soci/soci.h>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cases/gias_import.h"
#include "cases/kinds.h"
#include "cases/matching.h"
#include "cases/providers.h"
#include "workflow/case_store.h"
#include "workflow/database.h"
#include "workflow/date.h"
#include "workflow/engine.h"
#include "workflow/migrations.h"
#include "workflow/timer_service.h"

namespace {

using namespace s2s::workflow;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string db;
  int seconds = 5;
  int rounds = 5;  // engine and pgbench in turn, each figure the median
  std::vector<int> clients{1, 8, 32};
  std::string pgbench = "pgbench";
  int timers = 0;         // also time firing this many due timers (0: skip)
  int timer_workers = 2;  // timer services firing them at once
  int gias_rows = 0;      // also time importing a generated GIAS extract of this many rows (0: skip)
  int providers = 0;      // also time matching a case over this many system leaders (0: skip)
  std::string job_queues;  // bench/jobqueues with its packages installed: also fire timers as their jobs
};

Args parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--db") {
      args.db = next();
    } else if (a == "--seconds") {
      args.seconds = std::stoi(next());
    } else if (a == "--rounds") {
      args.rounds = std::stoi(next());
    } else if (a == "--timers") {
      args.timers = std::stoi(next());
    } else if (a == "--gias") {
      args.gias_rows = std::stoi(next());
    } else if (a == "--providers") {
      args.providers = std::stoi(next());
    } else if (a == "--timer-workers") {
      args.timer_workers = std::stoi(next());
    } else if (a == "--job-queues") {
      args.job_queues = next();
    } else if (a == "--pgbench") {
      args.pgbench = next();
    } else if (a == "--clients") {
      args.clients.clear();
      std::string list = next();
      for (std::size_t start = 0; start < list.size();) {
        auto comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        args.clients.push_back(std::stoi(list.substr(start, comma - start)));
        start = comma + 1;
      }
    } else {
      throw std::runtime_error("unknown argument " + a);
    }
  }
  if (args.db.empty()) throw std::runtime_error("--db postgresql://... is required");
  if (args.seconds < 1 || args.rounds < 1) throw std::runtime_error("--seconds and --rounds must be at least 1");
  return args;
}

const boost::json::object kImpact{{"outcome", "KS2 maths at the national average"},
                                  {"impact", "reading and maths progress up in both key stages"}};

// Opens one support request per client and moves it to evaluation.
std::vector<std::int64_t> prepare_cases(Engine& engine, int count) {
  std::vector<std::int64_t> ids;
  const auto today = engine.today();
  // A provider per case (ids 1..N like the cases), each with ample days, so
  // that no two clients share a capacity row.
  // The leaders' home school 100000; the cases' schools 100001..100000+N.
  std::string schools =
      "URN,LA (code),LA (name),EstablishmentName,EstablishmentStatus (name),PhaseOfEducation (name)\n";
  for (int i = 0; i <= count; ++i) {
    schools +=
        std::to_string(100000 + i) + ",891,Nottinghamshire,Bench Primary " + std::to_string(i) + ",Open,Primary\n";
  }
  s2s::cases::import_gias(engine.database(), schools);
  for (int i = 0; i < count; ++i) {
    const auto leader = s2s::cases::create_system_leader(
        engine.database(), "Bench Leader", "bench" + std::to_string(i) + "@example.org", 100000, std::nullopt);
    if (leader != i + 1) throw std::runtime_error("system leader ids are not 1..N");
    s2s::cases::add_designation(engine.database(), leader, "SLE", "maths", *parse_date("2020-09-01"), std::nullopt);
    s2s::cases::set_capacity(engine.database(), leader, s2s::cases::academic_year_of(today), 50000);
    const Case c = engine.open_case("support_request", 100001 + i, {{"source", "self"}, {"summary", "bench"}},
                                    "lead:bench", today);
    engine.apply(c.id, "accept_referral",
                 {{"priority", "high"},
                  {"focus_areas", boost::json::array{"maths"}},
                  {"requested_days", 6},
                  {"funding_source", "SSIF"}},
                 "lead:bench", today);
    engine.apply(c.id, "propose_provider", {{"provider_id", leader}}, "lead:bench", today);
    engine.apply(c.id, "provider_accepts", {}, "sl:7", today);
    engine.apply(c.id, "agree_plan",
                 {{"objectives", "bench"}, {"planned_days", 6}, {"starts_on", "2026-11-02"}, {"ends_on", "2027-03-31"}},
                 "lead:bench", today);
    engine.apply(c.id, "complete_deployment", {}, "lead:bench", today);
    ids.push_back(c.id);
  }
  return ids;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

double run_engine(Engine& engine, const std::vector<std::int64_t>& ids, int clients, int seconds) {
  std::atomic<long long> events{0};
  std::atomic<bool> stop{false};
  const auto today = engine.today();
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, id = ids[static_cast<std::size_t>(t)]] {
      while (!stop) {
        engine.apply(id, "record_impact", kImpact, "bench", today);
        ++events;
      }
    });
  }
  while (Clock::now() - start < std::chrono::seconds(seconds)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(events) / elapsed;
}

std::string quote_literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// JSON as pgbench may carry it in a literal: pgbench reads ":name" as a
// variable, so a space goes after each colon that a letter follows
// ("shared":false becomes "shared": false, the same JSON).
std::string pgbench_json(const std::string& json) {
  std::string out;
  for (std::size_t i = 0; i < json.size(); ++i) {
    out += json[i];
    if (json[i] == ':' && i + 1 < json.size() &&
        (std::isalpha(static_cast<unsigned char>(json[i + 1])) || json[i + 1] == '_')) {
      out += ' ';
    }
  }
  return out;
}

// The engine's statements for one record_impact event (workflow/case_store.cpp), one client per case.
// The engine binds the case's new data and the event's payload as parameters,
// which PostgreSQL parses into jsonb at each execution; so does the script:
// the SELECT hands back the case's data (the same after every event) and the
// payload as variables, which pgbench binds in the UPDATE and the INSERT. A
// literal in a prepared statement would be parsed once, at PREPARE.
// With `pipelined`, the writes and COMMIT go in one round trip.
std::string pgbench_script(const std::string& payload, bool pipelined) {
  return "\\set cid :client_id + 1\n"
         "BEGIN;\n"
         // The engine's SELECT word for word, with the payload beside it; \\gset keeps
         // every column (version and data among them) in variables.
         "SELECT " +
         case_columns_sql("cases") +
         ", CASE WHEN EXISTS (SELECT 1 FROM deadlines d WHERE d.case_id = cases.id AND d.status = 'overdue')"
         " THEN 1 ELSE 0 END, " +
         quote_literal(pgbench_json(payload)) + " AS payload FROM cases WHERE id = :cid FOR UPDATE OF cases \\gset\n" +
         (pipelined ? "\\startpipeline\n" : "") +
         "UPDATE cases SET state = 'evaluation', phase = 'evaluation', version = version + 1, data = :data"
         ", updated_at = now(), closed_at = NULL WHERE id = :cid AND version = :version RETURNING version;\n"
         "INSERT INTO case_history (case_id, sequence, event, from_state, to_state, actor, occurred_on, "
         "recorded_at, payload, timer_id) VALUES (:cid, :version + 1, 'record_impact', 'evaluation', 'evaluation', "
         "'bench', '2026-11-02', now(), :payload, NULL);\n"
         "END;\n" +
         (pipelined ? "\\endpipeline\n" : "");
}

// pgbench's output for one run of the script; throws with it when pgbench fails.
std::string pgbench(const Args& args, const std::string& script_path, const std::string& flags) {
  const std::string command =
      args.pgbench + " -n -M prepared -f " + script_path + " " + flags + " '" + args.db + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
  std::string output;
  char buffer[512];
  while (fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  if (pclose(pipe) != 0) throw std::runtime_error("pgbench failed:\n" + output);
  return output;
}

// The figure after `label` in pgbench's output.
double pgbench_figure(const std::string& output, const std::string& label) {
  const auto pos = output.find(label);
  if (pos == std::string::npos) throw std::runtime_error("pgbench printed no '" + label + "':\n" + output);
  return std::stod(output.substr(pos + label.size()));
}

double run_pgbench(const Args& args, const std::string& script_path, int clients, int threads) {
  return pgbench_figure(pgbench(args, script_path,
                                "-c " + std::to_string(clients) + " -j " + std::to_string(threads) + " -T " +
                                    std::to_string(args.seconds)),
                        "tps = ");
}

// Opens `count` referrals on schools from `first_urn` that arrived 40 days
// ago: each has one passed deadline whose timer is due.
void open_overdue(Engine& engine, int count, int first_urn) {
  const auto long_ago = std::chrono::year_month_day(
      std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()) - std::chrono::days(40));
  for (int i = 0; i < count; ++i) {
    engine.open_case("support_request", first_urn + i, {{"source", "self"}, {"summary", "bench"}}, "lead:bench",
                     long_ago);
  }
}

long long due_timers(Database& db) {
  auto connection = db.acquire();
  long long due = 0;
  connection.session() << "SELECT count(*) FROM timers WHERE status = 'pending' AND fire_on <= CURRENT_DATE",
      soci::into(due);
  return due;
}

// Times `workers` timer services firing `count` due timers, on as many
// overdue referrals from `first_urn`; timers per second.
double run_timers(Engine& engine, int count, int workers, int first_urn) {
  open_overdue(engine, count, first_urn);
  std::atomic<long long> fired{0};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      TimerService service(engine, {.owner = "bench-" + std::to_string(w)});
      fired += static_cast<long long>(service.run_until_idle().fired);
    });
  }
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  if (fired != count)
    throw std::runtime_error("fired " + std::to_string(fired.load()) + " of " + std::to_string(count));
  return static_cast<double>(fired) / elapsed;
}

// The database's own limit for the same work: what one firing writes (the
// timer fired, the case's version, the deadline overdue, the history row, the
// outbox row; workflow/timer_service.cpp), as one set-based statement per
// batch of 100 due timers, run by `workers` pgbench clients on `count` more
// overdue referrals from `first_urn`. Timers per second.
double run_timers_as_sets(const Args& args, Engine& engine, int count, int workers, int first_urn) {
  open_overdue(engine, count, first_urn);
  const std::string path = "/tmp/s2s-bench-timers-" + std::to_string(getpid()) + ".pgbench";
  std::ofstream(path)
      << "WITH claimed AS (UPDATE timers SET status = 'fired', fired_at = now(), attempts = attempts + 1"
         " WHERE id IN (SELECT id FROM timers WHERE status = 'pending' AND fire_on <= CURRENT_DATE"
         " ORDER BY fire_on, id LIMIT 100 FOR UPDATE SKIP LOCKED) RETURNING id, case_id, deadline_id),"
         " bumped AS (UPDATE cases SET version = version + 1, updated_at = now() FROM claimed"
         " WHERE cases.id = claimed.case_id RETURNING cases.id, cases.version, cases.state, cases.kind,"
         " cases.reference, cases.school_urn, claimed.id AS timer_id, claimed.deadline_id),"
         " overdue AS (UPDATE deadlines SET status = 'overdue' FROM claimed WHERE deadlines.id = claimed.deadline_id"
         " RETURNING deadlines.id, deadlines.purpose, deadlines.due_on),"
         " history AS (INSERT INTO case_history (case_id, sequence, event, from_state, to_state, actor, occurred_on,"
         " recorded_at, payload, timer_id) SELECT b.id, b.version, 'deadline_passed', b.state, b.state, 'system',"
         " CURRENT_DATE, now(), jsonb_build_object('deadline_id', o.id, 'purpose', o.purpose, 'due_on', o.due_on),"
         " b.timer_id FROM bumped b JOIN overdue o ON o.id = b.deadline_id)"
         " INSERT INTO outbox (case_id, message, payload, status, next_attempt_at, created_at)"
         " SELECT b.id, 'deadline_passed', jsonb_build_object('case_id', b.id, 'reference', b.reference, 'kind',"
         " b.kind, 'school_urn', b.school_urn, 'event', 'deadline_passed', 'state', b.state, 'deadline_id', o.id,"
         " 'purpose', o.purpose, 'due_on', o.due_on), 'pending', now(), now()"
         " FROM bumped b JOIN overdue o ON o.id = b.deadline_id;\n";
  const int per_client = (count + 99) / 100 / workers + 1;
  const auto start = Clock::now();
  (void)pgbench(args, path,
                "-c " + std::to_string(workers) + " -j " + std::to_string(workers) + " -t " +
                    std::to_string(per_client));
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::remove(path.c_str());
  if (const auto left = due_timers(engine.database()); left != 0) {
    throw std::runtime_error("pgbench left " + std::to_string(left) + " due timers");
  }
  return count / elapsed;
}

// The same due timers fired as jobs of a job queue on the same PostgreSQL
// (bench/jobqueues/fire.mjs: each job writes what one firing writes), with as
// many workers as timer services, on `count` more overdue referrals. Timers per second.
double run_timers_as_jobs(const Args& args, Engine& engine, const std::string& queue, int count, int workers,
                          int first_urn) {
  open_overdue(engine, count, first_urn);
  FILE* pipe = popen(("node " + args.job_queues + "/fire.mjs --db '" + args.db + "' --queue " + queue +
                      " --workers " + std::to_string(workers) + " 2>&1")
                         .c_str(),
                     "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run node");
  std::string output;
  char buffer[512];
  while (fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  if (pclose(pipe) != 0) throw std::runtime_error(queue + " failed:\n" + output);
  if (const auto left = due_timers(engine.database()); left != 0) {
    throw std::runtime_error(queue + " left " + std::to_string(left) + " due timers:\n" + output);
  }
  const auto line = output.substr(output.rfind('{'));
  return boost::json::parse(line).as_object().at("per_second").to_number<double>();
}

// A GIAS extract of `rows` schools with the columns a real one has most of.
std::string generated_gias(int rows) {
  std::string out =
      "URN,LA (code),LA (name),EstablishmentNumber,EstablishmentName,TypeOfEstablishment (name),"
      "EstablishmentStatus (name),OpenDate,PhaseOfEducation (name),Trusts (code),Trusts (name),Town,Postcode,"
      "OfstedRating (name),OfstedLastInsp\r\n";
  for (int i = 0; i < rows; ++i) {
    out += std::to_string(500000 + i) + ",891,Nottinghamshire," + std::to_string(2000 + i % 7000) +
           ",Generated Primary School " + std::to_string(i) + ",Academy converter,Open,01-09-2015,Primary," +
           std::to_string(4000 + i % 300) + ",Generated Trust " + std::to_string(i % 300) + ",Nottingham,NG" +
           std::to_string(i % 99) + " 1AA,Good,12-03-2022\r\n";
  }
  return out;
}

double time_gias(Database& db, const std::string& file) {
  const auto start = Clock::now();
  const auto report = s2s::cases::import_gias(db, file);
  if (report.inserted + report.updated + report.unchanged != report.rows) throw std::runtime_error("rows skipped");
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// `providers` system leaders (ids from 100000) in schools across the nine
// East Midlands areas, with designations of every kind (a tenth of them
// lapsed) and days offered this academic year, written in one transaction.
void add_providers(Database& db, int providers, const std::string& year) {
  static constexpr int kLaCodes[] = {831, 830, 856, 855, 925, 928, 892, 891, 857};
  static constexpr const char* kPhases[] = {"Primary", "Secondary", "Primary", "Not applicable", "All-through"};
  static constexpr const char* kDesignations[] = {"SLE", "NLE", "LLE", "SLE", "NLG", "PPR", "SLE"};
  static constexpr const char* kSpecialisms[] = {"maths", "English, literacy", "SEND", "early years", "science, maths"};
  std::string schools =
      "URN,LA (code),LA (name),EstablishmentName,EstablishmentStatus (name),PhaseOfEducation (name),"
      "Trusts (code),Trusts (name)\n";
  for (int i = 0; i < providers; ++i) {
    schools += std::to_string(600000 + i) + "," + std::to_string(kLaCodes[i % 9]) + ",Area,Provider School " +
               std::to_string(i) + ",Open," + kPhases[i % 5] + "," + std::to_string(7000 + i % 150) + ",Trust " +
               std::to_string(i % 150) + "\n";
  }
  (void)s2s::cases::import_gias(db, schools);
  db.transact([&](soci::session& sql) {
    for (int i = 0; i < providers; ++i) {
      long long id = 100000 + i;
      int urn = 600000 + i;
      std::string email = "provider" + std::to_string(i) + "@example.org";
      sql << "INSERT INTO system_leaders (id, name, email, home_school_urn, created_at)"
             " VALUES (:id, 'Provider', :email, :urn, '2026-09-01T00:00:00Z')",
          soci::use(id), soci::use(email), soci::use(urn);
      std::string designation = kDesignations[i % 7];
      std::string specialisms = kSpecialisms[i % 5];
      std::string to = i % 10 == 0 ? "2026-08-31" : "2030-08-31";
      sql << "INSERT INTO designations (system_leader_id, designation, specialisms, active_from, active_to)"
             " VALUES (:id, :d, :s, '2020-09-01', :to)",
          soci::use(id), soci::use(designation), soci::use(specialisms), soci::use(to);
      int half_days = (i % 13) * 4;
      sql << "INSERT INTO capacity (system_leader_id, academic_year, half_days_offered) VALUES (:id, :y, :h)",
          soci::use(id), soci::use(year), soci::use(half_days);
    }
  });
}

// Milliseconds per match_providers call over the providers: median and slowest of 25.
std::pair<double, double> time_matching(Database& db, const s2s::cases::MatchRequest& request, std::size_t* ranked) {
  std::vector<double> ms;
  for (int i = 0; i < 26; ++i) {
    const auto start = Clock::now();
    const auto result = s2s::cases::match_providers(db, request);
    if (i > 0) ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    *ranked = result.ranked.size();
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.back()};
}

// The SELECTs match_providers issues (cases/matching.cpp), as pgbench runs them.
std::string matching_script(Database& db, const std::string& year) {
  std::string urns;
  {
    auto connection = db.acquire();
    soci::rowset<int> rows = (connection.session().prepare << "SELECT DISTINCT home_school_urn FROM system_leaders");
    for (int urn : rows) urns += (urns.empty() ? "" : ",") + std::to_string(urn);
  }
  // cases/schools.cpp: schools by key, for the case's school and then the leaders' home schools.
  const std::string schools =
      "SELECT s.urn, s.name, s.la_code, s.la_name, m.mini_region, s.phase, s.status, s.trust_code, s.trust_name,"
      " s.ofsted_grade, CAST(s.ofsted_date AS TEXT), CASE WHEN s.ssif_eligible THEN 1 ELSE 0 END,"
      " CASE WHEN s.category_5_6 THEN 1 ELSE 0 END FROM schools s LEFT JOIN la_mini_regions m"
      " ON m.la_code = s.la_code WHERE s.urn IN (";
  return schools + "600001);\n" +
         "SELECT l.id, l.name, l.home_school_urn, c.half_days_offered, c.half_days_reserved FROM system_leaders l"
         " LEFT JOIN capacity c ON c.system_leader_id = l.id AND c.academic_year = '" +
         year + "' ORDER BY l.id;\n" + schools + urns + ");\n" +
         "SELECT system_leader_id, designation, specialisms, CAST(active_from AS TEXT), CAST(active_to AS TEXT)"
         " FROM designations ORDER BY id;\n"
         "SELECT system_leader_id, SUM(CASE WHEN status IN ('proposed', 'active') THEN 1 ELSE 0 END), COUNT(rating),"
         " SUM(COALESCE(rating, 0)) FROM deployments GROUP BY system_leader_id;\n";
}

double pgbench_latency_ms(const Args& args, const std::string& script_path) {
  return pgbench_figure(pgbench(args, script_path, "-c 1 -t 25"), "latency average = ");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args args = parse(argc, argv);
    const auto url = DatabaseUrl::parse(args.db);
    if (url.backend != Backend::postgresql) throw std::runtime_error("the benchmark runs on PostgreSQL");
    int most = 0;
    for (int c : args.clients) most = std::max(most, c);
    auto db = Database::open(url, {.pool_size = static_cast<std::size_t>(std::max(most, args.timer_workers) + 2)});
    migrate(*db, bundled_migrations(db->backend()));
    {
      auto connection = db->acquire();
      long long existing = 0;
      connection.session() << "SELECT count(*) FROM cases", soci::into(existing);
      if (existing != 0) throw std::runtime_error("the benchmark needs an empty database (it uses case ids 1..N)");
    }
    Engine engine(db, s2s::cases::all_kinds());
    const auto ids = prepare_cases(engine, most);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] != static_cast<std::int64_t>(i) + 1) throw std::runtime_error("case ids are not 1..N");
    }
    for (const auto id : ids) engine.apply(id, "record_impact", kImpact, "bench", engine.today());
    const std::string script_path = "/tmp/s2s-bench-" + std::to_string(getpid()) + ".pgbench";
    std::ofstream(script_path) << pgbench_script(boost::json::serialize(kImpact), false);
    const std::string trips_path = "/tmp/s2s-bench-trips-" + std::to_string(getpid()) + ".pgbench";
    std::ofstream(trips_path) << pgbench_script(boost::json::serialize(kImpact), true);

    // Three baselines: pgbench with a thread per client, as the engine's
    // callers are, one statement at a time; the same in as many round trips as
    // the engine (the ratio that isolates the engine's own cost); and pgbench
    // multiplexing clients on at most 4 threads (the most it gets from 2 cores).
    // The four take turns, --rounds times, each round starting with the next
    // of them; each rate is the median of its rounds, and each ratio the
    // median of the rounds' own ratios: a shared machine's speed drifts over a
    // minute, and a drift then lands on the figures it is compared with, not
    // on whichever ran last.
    std::printf("record_impact events/s on PostgreSQL, %d s each, one case per client, median of %d rounds\n",
                args.seconds, args.rounds);
    std::printf("%8s %10s %16s %8s %19s %8s %16s %8s\n", "clients", "engine", "pgbench -j N", "ratio", "3 trips, -j N",
                "ratio", "pgbench -j 4", "ratio");
    for (int clients : args.clients) {
      std::vector<double> ours, same_threads, trips, multiplexed, to_same, to_trips, to_multiplexed;
      for (int round = 0; round < args.rounds; ++round) {
        double e = 0, p = 0, t = 0, m = 0;
        for (int turn = 0; turn < 4; ++turn) {
          switch ((round + turn) % 4) {
            case 0: e = run_engine(engine, ids, clients, args.seconds); break;
            case 1: p = run_pgbench(args, script_path, clients, clients); break;
            case 2:
              t = run_pgbench(args, trips_path, clients, clients);
              break;
            default: m = run_pgbench(args, script_path, clients, std::min(clients, 4)); break;
          }
        }
        ours.push_back(e);
        same_threads.push_back(p);
        trips.push_back(t);
        multiplexed.push_back(m);
        to_same.push_back(e / p);
        to_trips.push_back(e / t);
        to_multiplexed.push_back(e / m);
      }
      std::printf("%8d %10.0f %16.0f %8.2f %19.0f %8.2f %16.0f %8.2f\n", clients, median(ours), median(same_threads),
                  median(to_same), median(trips), median(to_trips), median(multiplexed), median(to_multiplexed));
      std::fflush(stdout);
    }
    std::remove(script_path.c_str());
    std::remove(trips_path.c_str());
    if (args.gias_rows > 0) {
      const std::string file = generated_gias(args.gias_rows);
      const std::string lite_path = "/tmp/s2s-bench-gias-" + std::to_string(getpid()) + ".db";
      auto lite = Database::open(DatabaseUrl::parse("sqlite://" + lite_path));
      migrate(*lite, bundled_migrations(Backend::sqlite));
      std::printf("\nGIAS import of %d generated rows (first import, then the same file again)\n", args.gias_rows);
      for (auto* target : {db.get(), lite.get()}) {
        const double first = time_gias(*target, file);
        const double again = time_gias(*target, file);
        std::printf("  %-11s %.2f s, again %.2f s (target: under 10 s)\n",
                    target->backend() == Backend::postgresql ? "PostgreSQL:" : "SQLite:", first, again);
      }
      lite.reset();
      for (const char* suffix : {"", "-wal", "-shm"}) std::remove((lite_path + suffix).c_str());
    }
    if (args.providers > 0) {
      const std::string year = s2s::cases::academic_year_of(engine.today());
      const std::string lite_path = "/tmp/s2s-bench-match-" + std::to_string(getpid()) + ".db";
      auto lite = Database::open(DatabaseUrl::parse("sqlite://" + lite_path));
      migrate(*lite, bundled_migrations(Backend::sqlite));
      s2s::cases::MatchRequest request;
      request.kind = "support_request";
      request.provider = &s2s::cases::all_kinds()->find("support_request")->provider();
      request.school_urn = 600001;
      request.focus_areas = {"maths", "SEND", "leadership"};
      request.days = 6;
      request.on = engine.today();
      std::printf("\nmatching a support request over %d system leaders: ms per call (median, slowest of 25)\n",
                  args.providers);
      for (auto* target : {db.get(), lite.get()}) {
        add_providers(*target, args.providers, year);
        std::size_t ranked = 0;
        const auto [median, slowest] = time_matching(*target, request, &ranked);
        std::printf("  %-11s %6.1f ms, slowest %6.1f ms, %zu ranked (target: under 50 ms)",
                    target->backend() == Backend::postgresql ? "PostgreSQL:" : "SQLite:", median, slowest, ranked);
        if (target->backend() == Backend::postgresql) {
          const std::string match_script = "/tmp/s2s-bench-match-" + std::to_string(getpid()) + ".pgbench";
          std::ofstream(match_script) << matching_script(*target, year);
          std::printf("; pgbench, the same SELECTs: %.1f ms", pgbench_latency_ms(args, match_script));
          std::remove(match_script.c_str());
        }
        std::printf("\n");
      }
      lite.reset();
      for (const char* suffix : {"", "-wal", "-shm"}) std::remove((lite_path + suffix).c_str());
    }
    if (args.timers > 0) {
      // s2s's timer services and pgbench's set-based statement take turns,
      // --rounds times, each round starting with the other one, each on as
      // many fresh overdue referrals: each rate is the median of its rounds
      // and the ratio the median of the rounds' own ratios (a firing takes
      // well under a second, in which the shared machine's speed can halve).
      std::vector<double> fired;
      std::vector<double> set_based;
      std::vector<double> ratios;
      int next_urn = 700000;
      const auto take_urns = [&] { return std::exchange(next_urn, next_urn + args.timers); };
      for (int round = 0; round < args.rounds; ++round) {
        double ours = 0;
        double sets = 0;
        if (round % 2 == 0) {
          ours = run_timers(engine, args.timers, args.timer_workers, take_urns());
          sets = run_timers_as_sets(args, engine, args.timers, args.timer_workers, take_urns());
        } else {
          sets = run_timers_as_sets(args, engine, args.timers, args.timer_workers, take_urns());
          ours = run_timers(engine, args.timers, args.timer_workers, take_urns());
        }
        fired.push_back(ours);
        set_based.push_back(sets);
        ratios.push_back(ours / sets);
      }
      const double rate = median(fired);
      double best_queue = 0;
      std::string best_name;
      std::vector<std::pair<std::string, double>> queues;
      if (!args.job_queues.empty()) {
        int first_urn = 600000;
        for (const char* queue : {"pg-boss", "graphile-worker"}) {
          const double r = run_timers_as_jobs(args, engine, queue, args.timers, args.timer_workers, first_urn);
          first_urn += args.timers;
          queues.emplace_back(queue, r);
          if (r > best_queue) {
            best_queue = r;
            best_name = queue;
          }
        }
      }
      std::string each_round;
      for (const double r : ratios) {
        char text[32];
        std::snprintf(text, sizeof text, "%s%.2f", each_round.empty() ? "" : ", ", r);
        each_round += text;
      }
      std::printf(
          "\ndue timers fired, each an event committed on its case: %d by %d timer services: %.0f/s"
          " (median of %d rounds)\n"
          "  pgbench, the same writes as one statement per 100 timers, %d clients: %.0f/s"
          " (s2s: %.2fx, each round's: %s; target: at least 0.8x)\n",
          args.timers, args.timer_workers, rate, args.rounds, args.timer_workers, median(set_based), median(ratios),
          each_round.c_str());
      for (const auto& [queue, r] : queues) {
        std::printf("  %s, a job per timer, %d workers: %.0f/s\n", queue.c_str(), args.timer_workers, r);
      }
      if (best_queue > 0) {
        std::printf("  s2s: %.2fx the best job queue (%s; target: at least 2x)\n", rate / best_queue, best_name.c_str());
      }
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "engine_bench: %s\n", e.what());
    return 1;
  }
}
