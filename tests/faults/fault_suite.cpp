// The fault suite (docs/operations.md, "Faults we prove survivable"): real
// s2sd serve processes on a real database under load, killed with SIGKILL
// again and again (and, on PostgreSQL, the database restarted under them),
// then a count of what the clients were told against what the database
// holds. Clients open cases and send events, each with an Idempotency-Key,
// retrying until answered; a lead backdates referrals whose deadlines are
// past, so their timers come due; every message goes to a real SMTP server,
// and each message about the lead's area also to a webhook (a real HTTP
// receiver).
//
// Afterwards it checks, and prints as figures: every acknowledged opening and
// event applied exactly once, no Idempotency-Key left stuck, every due timer
// fired exactly once, every message delivered (or held for a digest) and in
// the SMTP server's or the webhook receiver's hands, and on SQLite `PRAGMA
// integrity_check`. Any difference names the case and fails the run (exit 1).
//
// With --timer-runners N the nodes serve with --no-timers and are left alone:
// N loops run `s2sd timers run` over and over, each run killed with SIGKILL
// at a random moment, often in the middle of firing a backlog (every
// operation then backdates a referral, so timers keep coming due).
//
//   fault_suite --backend sqlite|postgresql [--operations N] [--clients N]
//               [--kills N] [--nodes N] [--timer-runners N]
//               [--pg-stop CMD --pg-start CMD]
//
// PostgreSQL comes from S2S_TEST_POSTGRES_URL (a new schema per run), as in
// the database tests. ./scripts/faults runs it on both backends.
#include <soci/soci.h>
#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <csignal>

#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/smtp_sink.h"
#include "tests/support/test_database.h"
#include "workflow/database.h"
#include "workflow/date.h"

namespace s2s::testing {
namespace {

using namespace std::chrono;
namespace json = boost::json;

const std::string kS2sd = S2SD_PATH;
constexpr std::int32_t kSchoolUrn = 146330;  // the demo alliance's lead school

struct Options {
  workflow::Backend backend = workflow::Backend::sqlite;
  int operations = 300;
  int clients = 8;
  int kills = 20;
  int nodes = 1;
  int timer_runners = 0;
  std::string pg_stop;
  std::string pg_start;
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "fault_suite: " << problem
            << "\nusage: fault_suite --backend sqlite|postgresql [--operations N] [--clients N] [--kills N] "
               "[--nodes N] [--timer-runners N] [--pg-stop CMD --pg-start CMD]\n";
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  const auto number = [&](int& i, const std::string& flag, int low, int high) {
    if (i + 1 >= argc) usage(flag + " needs a value");
    try {
      const int n = std::stoi(argv[++i]);
      if (n < low || n > high) throw std::out_of_range(flag);
      return n;
    } catch (const std::exception&) {
      usage(flag + " must be a whole number from " + std::to_string(low) + " to " + std::to_string(high) +
            ", not '" + argv[i] + "'");
    }
  };
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--backend") {
      if (i + 1 >= argc) usage("--backend needs a value");
      const std::string b = argv[++i];
      if (b == "sqlite") {
        o.backend = workflow::Backend::sqlite;
      } else if (b == "postgresql") {
        o.backend = workflow::Backend::postgresql;
      } else {
        usage("--backend must be sqlite or postgresql, not '" + b + "'");
      }
    } else if (flag == "--operations") {
      o.operations = number(i, flag, 1, 1000000);
    } else if (flag == "--clients") {
      o.clients = number(i, flag, 1, 256);
    } else if (flag == "--kills") {
      o.kills = number(i, flag, 0, 10000);
    } else if (flag == "--nodes") {
      o.nodes = number(i, flag, 1, 16);
    } else if (flag == "--timer-runners") {
      o.timer_runners = number(i, flag, 0, 8);
    } else if (flag == "--pg-stop" || flag == "--pg-start") {
      if (i + 1 >= argc) usage(flag + " needs a command");
      (flag == "--pg-stop" ? o.pg_stop : o.pg_start) = argv[++i];
    } else {
      usage("unknown option '" + flag + "'");
    }
  }
  if (o.pg_stop.empty() != o.pg_start.empty()) usage("--pg-stop and --pg-start go together");
  if (!o.pg_stop.empty() && o.backend != workflow::Backend::postgresql) usage("--pg-stop needs --backend postgresql");
  if (o.nodes > 1 && o.backend != workflow::Backend::postgresql) usage("several nodes need --backend postgresql");
  if (o.timer_runners > 0 && !o.pg_stop.empty()) usage("--timer-runners and --pg-stop are separate runs");
  return o;
}

// One s2sd serve, restartable on the same port. Its standard error goes to
// a file: a pipe nobody reads would fill and block its logging, and with it
// the server.
class Node {
 public:
  Node(std::string db_url, std::string smtp_url, std::string log_file, bool fires_timers)
      : db_url_(std::move(db_url)),
        smtp_url_(std::move(smtp_url)),
        log_file_(std::move(log_file)),
        fires_timers_(fires_timers) {
    port_ = free_port();
  }

  void start() {
    std::lock_guard lock(mutex_);
    const std::vector<std::string> argv{kS2sd,
                                        "serve",
                                        "--listen=127.0.0.1:" + std::to_string(port_),
                                        "--log-level=warn",
                                        "--rate-limit=100000",
                                        "--rate-burst=100000",
                                        "--timer-poll-ms=200",
                                        "--timer-lease-seconds=5",
                                        "--smtp-url=" + smtp_url_,
                                        "--notify-poll-ms=200",
                                        "--notify-lease-seconds=30",
                                        "--notify-backoff-seconds=1",
                                        "--webhooks-to-private-addresses=true"};
    const std::map<std::string, std::string> env{{"S2S_DATABASE_URL", db_url_},
                                                 {"S2S_NO_TIMERS", fires_timers_ ? "false" : "true"}};
    process_ = std::make_unique<ChildProcess>(argv, env, log_file_);
  }

  void kill() {
    std::lock_guard lock(mutex_);
    process_->signal(SIGKILL);
    process_->wait();
  }

  // Waits until /readyz answers 200; false after `timeout`.
  bool wait_ready(milliseconds timeout = seconds(60)) const {
    const auto until = steady_clock::now() + timeout;
    while (steady_clock::now() < until) {
      try {
        if (http_request(port_, "GET", "/readyz", "", {}, seconds(2)).status == 200) return true;
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
    return false;
  }

  [[nodiscard]] std::uint16_t port() const { return port_; }

  // What the process has said on standard error (why it did not start).
  [[nodiscard]] std::string said() const {
    std::ifstream in(log_file_);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

 private:
  std::string db_url_;
  std::string smtp_url_;
  std::string log_file_;
  bool fires_timers_;
  std::uint16_t port_ = 0;
  std::mutex mutex_;
  std::unique_ptr<ChildProcess> process_;
};

// What the clients were told, and how hard it was to hear it.
struct Tally {
  std::mutex mutex;
  std::map<int, long long> opened;         // operation -> case id acknowledged
  std::set<int> accepted;                  // operations whose accept_referral was acknowledged
  std::map<long long, std::vector<std::string>> events;  // case id -> other events acknowledged
  std::map<int, long long> backdated;      // operation -> case id of a backdated referral
  std::vector<std::string> stuck;          // requests never answered
  std::vector<std::string> refused;        // answers no retry could change
  std::atomic<long long> attempts = 0;
  std::atomic<long long> retries = 0;
  std::atomic<long long> replays = 0;
};

// Sends one request until it is answered for good: a connection refused or
// cut, a 5xx, a 429 or a 409 "in progress" is tried again (on the next node),
// with the same Idempotency-Key, for up to `patience`.
std::optional<ClientResponse> until_answered(const std::vector<std::unique_ptr<Node>>& nodes, int first_node,
                                             const std::string& token, const std::string& target,
                                             const std::string& body, const std::string& key, Tally& tally,
                                             milliseconds patience) {
  const auto until = steady_clock::now() + patience;
  int node = first_node;
  for (bool first = true; steady_clock::now() < until; first = false) {
    if (!first) {
      ++tally.retries;
      std::this_thread::sleep_for(milliseconds(100));
      node = (node + 1) % static_cast<int>(nodes.size());
    }
    ++tally.attempts;
    try {
      auto r = http_request(nodes[static_cast<std::size_t>(node)]->port(), "POST", target, body,
                            {{"Authorization", "Bearer " + token},
                             {"Content-Type", "application/json"},
                             {"Idempotency-Key", key}},
                            seconds(15));
      if (r.status >= 500 || r.status == 429) continue;
      if (r.status == 409 && r.body.find("idempotency-key-in-progress") != std::string::npos) continue;
      if (r.header("idempotent-replayed") == "true") ++tally.replays;
      return r;
    } catch (const std::exception&) {
      continue;  // refused, reset or cut: the server is down or died mid-answer
    }
  }
  return std::nullopt;
}

long long case_id_of(const std::string& body) {
  try {
    return json::parse(body).as_object().at("id").to_number<long long>();
  } catch (const std::exception&) {
    return 0;
  }
}

// What a query of (case id, text, count) rows answers, by case and text: the
// history's events per case, read in one query.
std::map<std::pair<long long, std::string>, long long> counts_by_case(workflow::Database& db, const std::string& query) {
  std::map<std::pair<long long, std::string>, long long> out;
  auto connection = db.acquire();
  soci::rowset<soci::row> rows = (connection.session().prepare << query);
  for (const auto& row : rows) {
    out[{workflow::row_integer(row, 0), workflow::row_text(row, 1)}] = workflow::row_integer(row, 2);
  }
  return out;
}

int run(const Options& o) {
  const auto started = steady_clock::now();
  TestDatabase test_db(o.backend);
  const std::string url = test_db.url().text;
  const std::map<std::string, std::string> env{{"S2S_DATABASE_URL", url}};
  std::map<std::string, std::string> tokens;  // role -> the demo user's token
  std::map<std::string, std::string> scopes;  // role -> its scope
  for (const auto& step : std::vector<std::vector<std::string>>{{kS2sd, "migrate", "--log-level", "warn"},
                                                                {kS2sd, "demo", "load", "--log-level", "warn"}}) {
    const auto r = run_process(step, env, minutes(5));
    if (r.exit_code != 0) {
      std::cerr << "fault_suite: " << step[1] << " failed: " << r.err << '\n';
      return 1;
    }
    if (step[1] != "demo") continue;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream words(line);
      std::string role, scope, token;
      if (words >> role >> scope >> token && token.rfind("s2s_", 0) == 0) {
        tokens[role] = token;
        scopes[role] = scope;
      }
    }
  }
  for (const char* role : {"lead", "school", "system_leader"}) {
    if (!tokens.contains(role)) {
      std::cerr << "fault_suite: no demo token for " << role << '\n';
      return 1;
    }
  }
  const std::string lead = tokens["lead"];
  const std::string school = tokens["school"];
  const std::string leader = tokens["system_leader"];
  const std::string leader_id = scopes["system_leader"].substr(scopes["system_leader"].find(':') + 1);
  // The demo system leader offers enough days this academic year for every
  // deployment the run makes (half a day each).
  const year_month_day today_ymd{floor<days>(system_clock::now())};
  const int start_year = static_cast<int>(today_ymd.year()) - (today_ymd.month() < September ? 1 : 0);
  const std::string academic_year = std::to_string(start_year) + "/" + std::to_string((start_year + 1) % 100);
  const auto offered = run_process(
      {kS2sd, "capacity", "set", "--system-leader", leader_id, "--year", academic_year, "--days", "365"}, env);
  if (offered.exit_code != 0) {
    std::cerr << "fault_suite: capacity set failed: " << offered.err << '\n';
    return 1;
  }

  // A webhook for the lead's area, whose schools the run's cases are about,
  // to a real HTTP receiver on loopback.
  SmtpSink hooks("http_sink.py");
  const auto hooked =
      run_process({kS2sd, "webhook", "add", "--scope", scopes["lead"], "--url",
                   "http://127.0.0.1:" + std::to_string(hooks.port()) + "/s2s", "--allow-private-address"},
                  env);
  if (hooked.exit_code != 0) {
    std::cerr << "fault_suite: webhook add failed: " << hooked.err << '\n';
    return 1;
  }

  SmtpSink smtp;
  const auto logs = std::filesystem::temp_directory_path() / ("s2s-faults-" + std::to_string(::getpid()));
  std::filesystem::create_directories(logs);
  std::vector<std::unique_ptr<Node>> nodes;
  for (int n = 0; n < o.nodes; ++n) {
    nodes.push_back(
        std::make_unique<Node>(url, smtp.url(), logs / ("node" + std::to_string(n) + ".log"), o.timer_runners == 0));
    nodes.back()->start();
  }
  for (const auto& node : nodes) {
    if (!node->wait_ready()) {
      std::cerr << "fault_suite: s2sd serve did not become ready: " << node->said() << '\n';
      return 1;
    }
  }

  // The clients: operation i opens a referral as the school and has the lead
  // accept it; some go on to a deployment (below); every fourth (every one
  // with timer runners) also has the lead type in a referral that arrived 30
  // days ago, whose triage deadline has passed (its timer is due at once).
  const int late_every = o.timer_runners > 0 ? 1 : 4;
  Tally tally;
  std::atomic<int> next = 0;
  std::atomic<bool> faults_done = false;
  std::atomic<int> operations_started = 0;
  const std::string run_id = std::to_string(system_clock::now().time_since_epoch().count());
  const auto month_ago = workflow::format_date(year_month_day(floor<days>(system_clock::now()) - days(30)));
  const std::string today = workflow::format_date(today_ymd);
  const auto patience = minutes(3);  // past the 60 s an abandoned key is held
  std::vector<std::thread> clients;
  for (int c = 0; c < o.clients; ++c) {
    clients.emplace_back([&, c] {
      const auto record = [&](const std::string& what, const std::optional<ClientResponse>& answer,
                              std::initializer_list<int> good) {
        std::lock_guard lock(tally.mutex);
        if (!answer) {
          tally.stuck.push_back(what);
          return false;
        }
        if (std::find(good.begin(), good.end(), answer->status) == good.end()) {
          tally.refused.push_back(what + ": " + std::to_string(answer->status) + " " + answer->body);
          return false;
        }
        return true;
      };
      // At least --operations, and on until every fault has been dealt.
      for (int i = next++; i < o.operations || (!faults_done && i < 100 * o.operations); i = next++) {
        ++operations_started;
        const std::string tag = run_id + "-" + std::to_string(i);
        const std::string n = std::to_string(i);
        const json::object opening{{"kind", "support_request"},
                                   {"school_urn", kSchoolUrn},
                                   {"data", {{"source", "self"}, {"summary", "fault op " + n}}}};
        const auto opened = until_answered(nodes, c % o.nodes, school, "/api/v1/cases", json::serialize(opening),
                                           "open-" + tag, tally, patience);
        if (!record("opening " + n, opened, {200, 201})) continue;
        const long long id = case_id_of(opened->body);
        {
          std::lock_guard lock(tally.mutex);
          tally.opened[i] = id;
        }
        const json::object accept{{"event", "accept_referral"},
                                  {"data",
                                   {{"priority", "high"},
                                    {"focus_areas", json::array{"maths"}},
                                    {"requested_days", 0.5},
                                    {"funding_source", "SSIF"}}}};
        const auto accepted =
            until_answered(nodes, c % o.nodes, lead, "/api/v1/cases/" + std::to_string(id) + "/events",
                           json::serialize(accept), "accept-" + tag, tally, patience);
        const bool accepted_ok = record("accept_referral of operation " + n, accepted, {200});
        if (accepted_ok) {
          std::lock_guard lock(tally.mutex);
          tally.accepted.insert(i);
        }
        // Every fifth: the lead proposes the demo system leader, who accepts
        // (half a day reserved); every tenth, a plan and half a day logged.
        if (i % 5 == 2 && accepted_ok) {
          const std::string events = "/api/v1/cases/" + std::to_string(id) + "/events";
          const auto send = [&](const std::string& who, const std::string& event, json::object data,
                                const std::string& key) {
            const json::object body{{"event", event}, {"data", std::move(data)}};
            const auto answer = until_answered(nodes, c % o.nodes, who, events, json::serialize(body),
                                               key + "-" + tag, tally, patience);
            const bool ok = record(event + " of operation " + n, answer, {200});
            if (ok) {
              std::lock_guard lock(tally.mutex);
              tally.events[id].push_back(event);
            }
            return ok;
          };
          if (send(lead, "propose_provider", {{"provider_id", std::stoll(leader_id)}}, "propose") &&
              send(leader, "provider_accepts", {}, "provider-accepts") && i % 10 == 2 &&
              send(lead, "agree_plan",
                   {{"objectives", "fault plan"}, {"planned_days", 0.5}, {"starts_on", today}, {"ends_on", today}},
                   "plan")) {
            send(leader, "log_days", {{"date", today}, {"days", 0.5}, {"activity", "fault day"}}, "log");
          }
        }
        if (i % late_every != 0) continue;
        const json::object late{{"kind", "support_request"},
                                {"school_urn", kSchoolUrn},
                                {"occurred_on", month_ago},
                                {"data", {{"source", "lead"}, {"summary", "fault late " + n}}}};
        const auto backdated = until_answered(nodes, c % o.nodes, lead, "/api/v1/cases", json::serialize(late),
                                              "late-" + tag, tally, patience);
        if (record("backdated opening " + n, backdated, {200, 201})) {
          std::lock_guard lock(tally.mutex);
          tally.backdated[i] = case_id_of(backdated->body);
        }
      }
    });
  }

  // The faults: SIGKILL a node at a random moment and start it again, while
  // the load lasts; on PostgreSQL, once, the database is stopped and started
  // under the running nodes.
  int kills = 0;
  struct Outage {
    bool done = false;
    bool saw_503 = false;
    std::string retry_after;
    double recovered_seconds = -1;
  } outage;
  // With timer runners, the faults are theirs: each loop runs `s2sd timers
  // run` over and over and kills it with SIGKILL. A run with a batch of 1 or 5
  // is killed 0 to 10 ms after it says (at debug level) that its first round
  // committed: with a backlog larger than its batch, in the middle of its
  // firing, in a later round's transaction or between two. A run with a
  // batch of 100 is killed at a random moment 5 to 150 ms in, its start or
  // its one transaction. A run that ends first counts as finished. The nodes
  // are not killed.
  std::atomic<int> runner_kills = 0;
  std::atomic<int> runner_finished = 0;
  std::atomic<int> runner_kills_after_a_round = 0;
  std::atomic<bool> runners_stop = false;
  std::vector<std::string> runner_failures;
  std::mutex runner_mutex;
  std::vector<std::thread> runners;
  const auto timers_run = [&](const std::string& batch) {
    return std::vector<std::string>{
        kS2sd, "timers", "run", "--log-level", "debug", "--timer-batch", batch, "--timer-lease-seconds", "5"};
  };
  const std::string due_now =
      "SELECT count(*) FROM timers WHERE status IN ('pending', 'failed') AND fire_on <= '" + today + "'";
  for (int r = 0; r < o.timer_runners; ++r) {
    runners.emplace_back([&, r] {
      std::mt19937 random(777 + r);
      std::uniform_int_distribution<int> kill_after(5, 150);
      std::uniform_int_distribution<int> then(0, 10);
      std::uniform_int_distribution<int> pause(100, 600);
      std::uniform_int_distribution<int> batch(0, 3);
      while (!runners_stop) {
        const std::string size = std::array{"1", "1", "5", "100"}[static_cast<std::size_t>(batch(random))];
        ChildProcess run(timers_run(size), env);
        // ChildProcess::wait kills the run with SIGKILL when its time is up,
        // unless it has ended by then.
        bool after_a_round = false;
        int code = 0;
        if (size == "100") {
          code = run.wait(milliseconds(kill_after(random)));
        } else {
          after_a_round = run.wait_for_stderr("timers: a round fired", seconds(10));
          code = run.wait(milliseconds(after_a_round ? then(random) : 0));
        }
        if (code == -1) {
          ++runner_kills;
          if (after_a_round) ++runner_kills_after_a_round;
        } else if (code == 0) {
          ++runner_finished;
        } else {
          std::lock_guard lock(runner_mutex);
          runner_failures.push_back("s2sd timers run exited " + std::to_string(code) + ": " + run.stderr_text());
        }
        if (runner_kills >= o.kills) faults_done = true;
        std::this_thread::sleep_for(milliseconds(pause(random)));
      }
    });
  }
  std::thread faults([&] {
    if (o.timer_runners > 0) return;
    std::mt19937 random(12345);
    std::uniform_int_distribution<int> pause(200, 900);
    std::uniform_int_distribution<int> which(0, o.nodes - 1);
    while (kills < o.kills) {
      std::this_thread::sleep_for(milliseconds(pause(random)));
      auto& node = *nodes[static_cast<std::size_t>(which(random))];
      node.kill();
      ++kills;
      node.start();
      node.wait_ready();
      if (!o.pg_stop.empty() && !outage.done && kills == o.kills / 2) {
        outage.done = true;
        if (std::system(o.pg_stop.c_str()) != 0) std::cerr << "fault_suite: --pg-stop failed\n";
        const auto stopped = steady_clock::now();
        while (steady_clock::now() - stopped < seconds(3)) {
          try {
            const auto r = http_request(nodes[0]->port(), "GET", "/readyz", "", {}, seconds(2));
            if (r.status == 503) {
              outage.saw_503 = true;
              outage.retry_after = r.header("retry-after");
            }
          } catch (const std::exception&) {
          }
          std::this_thread::sleep_for(milliseconds(200));
        }
        if (std::system(o.pg_start.c_str()) != 0) std::cerr << "fault_suite: --pg-start failed\n";
        const auto back = steady_clock::now();
        if (nodes[0]->wait_ready(seconds(30))) {
          outage.recovered_seconds = duration<double>(steady_clock::now() - back).count();
        }
      }
    }
    faults_done = true;
  });
  for (auto& c : clients) c.join();
  faults.join();
  runners_stop = true;
  for (auto& r : runners) r.join();
  const double load_seconds = duration<double>(steady_clock::now() - started).count();

  // Let the nodes finish what is due: timers fired (with timer runners, by
  // one more `s2sd timers run` at a time, left to finish), messages sent.
  auto db = test_db.open();
  const auto settle_until = steady_clock::now() + minutes(3);
  long long due = 0;
  long long unsent = 0;
  do {
    std::this_thread::sleep_for(milliseconds(500));
    if (o.timer_runners > 0) {
      const auto r = run_process(timers_run("100"), env, minutes(1));
      if (r.exit_code != 0) {
        std::lock_guard lock(runner_mutex);
        runner_failures.push_back("the last s2sd timers run exited " + std::to_string(r.exit_code) + ": " + r.err);
      }
    }
    due = count_rows(*db, due_now);
    unsent = count_rows(*db, "SELECT count(*) FROM deliveries WHERE status = 'pending'") +
             count_rows(*db, "SELECT count(*) FROM outbox o WHERE NOT EXISTS"
                             " (SELECT 1 FROM deliveries d WHERE d.outbox_id = o.id) AND o.status = 'pending'");
  } while ((due > 0 || unsent > 0) && steady_clock::now() < settle_until);

  // The count.
  std::vector<std::string> differences;
  const auto differ = [&](const std::string& what) { differences.push_back(what); };
  for (const auto& s : tally.stuck) differ("never answered: " + s);
  for (const auto& f : runner_failures) differ(f);
  for (const auto& r : tally.refused) differ("refused: " + r);

  std::map<std::string, long long> by_summary;
  {
    auto connection = db->acquire();
    soci::rowset<soci::row> rows =
        (connection.session().prepare
         << "SELECT " +
                std::string(o.backend == workflow::Backend::postgresql ? "data->>'summary'"
                                                                       : "json_extract(data, '$.summary')") +
                ", count(*) FROM cases WHERE kind = 'support_request' GROUP BY 1");
    for (const auto& row : rows) {
      if (row.get_indicator(0) == soci::i_null) continue;
      by_summary[workflow::row_text(row, 0)] = workflow::row_integer(row, 1);
    }
  }
  const int operations = operations_started.load();
  for (int i = 0; i < operations; ++i) {
    const std::string summary = "fault op " + std::to_string(i);
    const long long stored = by_summary.contains(summary) ? by_summary[summary] : 0;
    if (tally.opened.contains(i) && stored != 1) {
      differ("operation " + std::to_string(i) + ": opening acknowledged as case " + std::to_string(tally.opened[i]) +
             ", stored " + std::to_string(stored) + " times");
    }
    if (!tally.opened.contains(i) && stored > 1) {
      differ("operation " + std::to_string(i) + ": stored " + std::to_string(stored) + " times");
    }
    if (i % late_every == 0 && tally.backdated.contains(i)) {
      const std::string late = "fault late " + std::to_string(i);
      if ((by_summary.contains(late) ? by_summary[late] : 0) != 1) differ("backdated opening " + std::to_string(i) +
                                                                            " stored other than once");
    }
  }
  // Every event acknowledged, in the case's history once; timers' events apart.
  const auto applied = counts_by_case(
      *db, "SELECT case_id, event, count(*) FROM case_history WHERE timer_id IS NULL GROUP BY case_id, event");
  const auto times = [&](long long id, const std::string& event) {
    const auto found = applied.find({id, event});
    return found == applied.end() ? 0LL : found->second;
  };
  long long accepts_once = 0;
  for (int i : tally.accepted) {
    const long long id = tally.opened[i];
    const long long n = times(id, "accept_referral");
    if (n == 1) {
      ++accepts_once;
    } else {
      differ("case " + std::to_string(id) + ": accept_referral acknowledged, applied " + std::to_string(n) + " times");
    }
  }
  long long other_events = 0;
  for (const auto& [id, sent] : tally.events) {
    for (const auto& event : sent) {
      ++other_events;
      const long long n = times(id, event);
      if (n != 1) differ("case " + std::to_string(id) + ": " + event + " acknowledged, applied " + std::to_string(n) + " times");
    }
  }
  // Capacity: what each system leader has reserved and used in a year is the
  // sum of their deployments' reservations and of the day entries in force.
  const std::string capacity_query =
      "SELECT count(*) FROM capacity c WHERE c.half_days_reserved <>"
      " (SELECT COALESCE(SUM(d.half_days_reserved), 0) FROM deployments d"
      "  WHERE d.system_leader_id = c.system_leader_id AND d.academic_year = c.academic_year)"
      " OR c.half_days_consumed <>"
      " (SELECT COALESCE(SUM(t.half_days), 0) FROM deployment_days t JOIN deployments d"
      "  ON d.case_id = t.case_id AND d.system_leader_id = t.system_leader_id"
      "  WHERE t.system_leader_id = c.system_leader_id AND d.academic_year = c.academic_year"
      "  AND NOT EXISTS (SELECT 1 FROM deployment_days x WHERE x.case_id = t.case_id AND x.corrects_entry = t.entry))";
  const long long capacity_off = count_rows(*db, capacity_query);
  if (capacity_off != 0) differ(std::to_string(capacity_off) + " capacity rows differ from their deployments and days");
  const long long reserved_halves = count_rows(
      *db, "SELECT COALESCE(SUM(half_days_reserved), 0) FROM capacity WHERE system_leader_id = " + leader_id +
               " AND academic_year = '" + academic_year + "'");
  // A key whose request died after its work committed keeps no stored answer:
  // it answers with the case as it now is. One with neither is stuck.
  const long long keys_stuck = count_rows(
      *db, "SELECT count(*) FROM idempotency_keys WHERE status IS NULL AND committed_case_id IS NULL");
  const long long keys_from_case = count_rows(
      *db, "SELECT count(*) FROM idempotency_keys WHERE status IS NULL AND committed_case_id IS NOT NULL");
  if (keys_stuck != 0) differ(std::to_string(keys_stuck) + " Idempotency-Keys with neither an answer nor a change");
  if (due != 0) differ(std::to_string(due) + " due timers not fired");
  const long long timer_events = count_rows(*db, "SELECT count(*) FROM case_history WHERE timer_id IS NOT NULL");
  const long long distinct_timers =
      count_rows(*db, "SELECT count(DISTINCT timer_id) FROM case_history WHERE timer_id IS NOT NULL");
  const long long fired = count_rows(*db, "SELECT count(*) FROM timers WHERE status = 'fired'");
  if (timer_events != distinct_timers || timer_events != fired) {
    differ("timers: " + std::to_string(fired) + " fired, " + std::to_string(timer_events) + " timer events, " +
           std::to_string(distinct_timers) + " distinct");
  }
  const auto fired_by_case = counts_by_case(
      *db, "SELECT case_id, 'timer', count(*) FROM case_history WHERE timer_id IS NOT NULL GROUP BY case_id");
  for (const auto& [i, id] : tally.backdated) {
    const auto found = fired_by_case.find({id, "timer"});
    const long long n = found == fired_by_case.end() ? 0 : found->second;
    if (n != 1) differ("backdated case " + std::to_string(id) + ": its passed deadline fired " + std::to_string(n) + " times");
  }
  const long long deliveries = count_rows(*db, "SELECT count(*) FROM deliveries");
  const long long sent = count_rows(*db, "SELECT count(*) FROM deliveries WHERE status = 'sent'");
  const long long held = count_rows(*db, "SELECT count(*) FROM deliveries WHERE status = 'held'");
  const long long no_address = count_rows(*db, "SELECT count(*) FROM deliveries WHERE status = 'undeliverable'");
  if (unsent != 0) differ(std::to_string(unsent) + " messages never sent");
  if (sent + held + no_address != deliveries) {
    differ(std::to_string(deliveries - sent - held - no_address) + " deliveries dead or never sent");
  }
  // Every sent delivery is in the SMTP server's hands: by its outbox row (the
  // Message-ID "<outbox-ID@...>") and recipient.
  std::set<std::pair<long long, std::string>> received;
  for (const auto& m : smtp.messages()) {
    const std::string data(m.at("data").as_string());
    const auto at = data.find("Message-ID: <outbox-");
    if (at == std::string::npos) continue;
    const long long outbox = std::atoll(data.c_str() + at + std::string_view("Message-ID: <outbox-").size());
    for (const auto& to : m.at("rcpt_tos").as_array()) received.insert({outbox, std::string(to.as_string())});
  }
  long long sent_not_received = 0;
  {
    auto connection = db->acquire();
    soci::rowset<soci::row> rows =
        (connection.session().prepare << "SELECT outbox_id, recipient FROM deliveries WHERE status = 'sent'"
                                         " AND channel = 'email'");
    for (const auto& row : rows) {
      const std::pair<long long, std::string> delivery{workflow::row_integer(row, 0), workflow::row_text(row, 1)};
      if (!received.contains(delivery)) {
        ++sent_not_received;
        differ("message outbox " + std::to_string(delivery.first) + " to " + delivery.second +
               " marked sent but not at the SMTP server");
      }
    }
  }
  // Every webhook delivery marked sent is at the receiver, named in its body
  // ("delivery": "outbox-ID"); the run has one webhook.
  std::set<long long> posted;
  const auto posts = hooks.messages();
  for (const auto& m : posts) {
    try {
      const auto body = json::parse(m.at("body").as_string()).as_object();
      const std::string delivery(body.at("delivery").as_string());
      posted.insert(std::atoll(delivery.c_str() + std::string_view("outbox-").size()));
    } catch (const std::exception&) {
      differ("the webhook receiver holds a POST that names no delivery");
    }
  }
  const long long hook_deliveries = count_rows(*db, "SELECT count(*) FROM deliveries WHERE channel = 'webhook'");
  long long hooks_sent = 0;
  long long hooks_lost = 0;
  {
    auto connection = db->acquire();
    soci::rowset<soci::row> rows = (connection.session().prepare << "SELECT outbox_id FROM deliveries"
                                                                    " WHERE status = 'sent' AND channel = 'webhook'");
    for (const auto& row : rows) {
      ++hooks_sent;
      const long long outbox = workflow::row_integer(row, 0);
      if (!posted.contains(outbox)) {
        ++hooks_lost;
        differ("webhook delivery of outbox " + std::to_string(outbox) + " marked sent but not at the receiver");
      }
    }
  }
  if (hook_deliveries == 0) differ("no message went to the webhook");
  std::string integrity = "n/a";
  if (o.backend == workflow::Backend::sqlite) {
    auto connection = db->acquire();
    connection.session() << "PRAGMA integrity_check", soci::into(integrity);
    if (integrity != "ok") differ("SQLite integrity_check: " + integrity);
  }
  if (!o.pg_stop.empty()) {
    if (!outage.saw_503) differ("/readyz never answered 503 while PostgreSQL was away");
    if (outage.retry_after.empty()) differ("/readyz's 503 had no Retry-After");
    if (outage.recovered_seconds < 0 || outage.recovered_seconds > 5) {
      differ("work resumed " + std::to_string(outage.recovered_seconds) + " s after PostgreSQL came back (at most 5)");
    }
  }

  // The figures.
  std::printf("fault suite on %s: %d node(s), %d clients, %.1f s of load\n",
              o.backend == workflow::Backend::postgresql ? "PostgreSQL" : "SQLite", o.nodes, o.clients, load_seconds);
  if (o.timer_runners > 0) {
    std::printf(
        "  s2sd timers run killed           %d times mid-run by SIGKILL: %d after a round of firing had "
        "committed, the rest at a random moment; %d runs finished first (%d runners)\n",
        runner_kills.load(), runner_kills_after_a_round.load(), runner_finished.load(), o.timer_runners);
  } else {
    std::printf("  s2sd killed with SIGKILL         %d times\n", kills);
  }
  if (!o.pg_stop.empty()) {
    std::printf("  PostgreSQL stopped for 3 s       /readyz 503 %s (Retry-After %s); ready again %.2f s after it came back\n",
                outage.saw_503 ? "seen" : "NOT seen", outage.retry_after.empty() ? "none" : outage.retry_after.c_str(),
                outage.recovered_seconds);
  }
  std::printf("  requests sent                    %lld (%lld retried, %lld answered by replay)\n",
              tally.attempts.load(), tally.retries.load(), tally.replays.load());
  std::printf("  openings acknowledged            %zu of %d, each stored once: %s\n", tally.opened.size(), operations,
              differences.empty() ? "yes" : "see below");
  std::printf("  events acknowledged              %zu, applied exactly once: %lld\n", tally.accepted.size(),
              accepts_once);
  std::printf("  other events acknowledged        %lld (proposals, acceptances, plans, days), each applied once: %s\n",
              other_events, differences.empty() ? "yes" : "see below");
  std::printf("  capacity rows off their sums     %lld (the demo leader has %.1f days reserved in %s)\n", capacity_off,
              reserved_halves / 2.0, academic_year.c_str());
  std::printf("  Idempotency-Keys stuck           %lld (%lld answered from their committed case after a kill)\n",
              keys_stuck + static_cast<long long>(tally.stuck.size()), keys_from_case);
  std::printf("  due timers fired                 %lld, each once: %s; %lld backdated referrals' deadlines\n", fired,
              timer_events == distinct_timers ? "yes" : "NO", static_cast<long long>(tally.backdated.size()));
  std::printf("  messages                         %lld deliveries: %lld sent, %lld held for a digest, %lld to no "
              "address; %lld sent but lost\n",
              deliveries, sent, held, no_address, sent_not_received);
  std::printf(
      "  webhook posts                    %lld deliveries: %lld sent; %zu posts received, for %zu of them; %lld "
      "sent but lost\n",
      hook_deliveries, hooks_sent, posts.size(), posted.size(), hooks_lost);
  std::printf("  SQLite integrity_check           %s\n", integrity.c_str());
  for (const auto& d : differences) std::printf("  DIFFERENCE: %s\n", d.c_str());
  std::printf("  result                           %s\n", differences.empty() ? "no differences" : "FAILED");
  if (differences.empty()) {
    std::filesystem::remove_all(logs);
  } else {
    std::printf("  the nodes' logs                  %s\n", logs.c_str());
  }
  return differences.empty() ? 0 : 1;
}

}  // namespace
}  // namespace s2s::testing

int main(int argc, char** argv) {
  try {
    return s2s::testing::run(s2s::testing::parse(argc, argv));
  } catch (const std::exception& e) {
    std::cerr << "fault_suite: " << e.what() << '\n';
    return 1;
  }
}
