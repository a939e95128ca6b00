#include "bench/national_data.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <exception>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <stdexcept>
#include <unistd.h>

#include "cases/demo.h"
#include "cases/kinds.h"
#include "cases/providers.h"
#include "workflow/date.h"
#include "workflow/engine.h"
#include "workflow/migrations.h"

namespace s2s::bench {
namespace {

namespace json = boost::json;
using workflow::Backend;
using workflow::Database;

// ---------------------------------------------------------------------------
// The prototypes: the demo's cases as the engine wrote them.

struct HistoryRow {
  int sequence = 0;
  std::string event, from_state, to_state, actor, occurred_on;
  json::value payload;
  std::optional<std::int64_t> timer_id;
};
struct DeadlineRow {
  std::int64_t id = 0;
  std::string purpose, armed_in_state, due_on, status;
  json::value computation;
  std::optional<std::string> settled_on;
};
struct TimerRow {
  std::int64_t id = 0, deadline_id = 0;
  std::string event, fire_on, status;
  int attempts = 0;
};
struct DeploymentRow {
  std::int64_t leader = 0;
  std::string status, proposed_on;
  std::optional<std::string> accepted_on, ended_on, academic_year;
  int half_days_reserved = 0;
  std::optional<int> rating;
};
struct DayRow {
  int entry = 0;
  std::int64_t leader = 0;
  std::string day, activity;
  int half_days = 0;
  std::optional<std::string> funding_source;
  std::optional<int> corrects_entry;
};
struct Prototype {
  std::string kind, prefix, state, phase;
  int version = 0;
  json::object data;
  std::string opened_on;
  bool closed = false;    // closed_at set
  bool terminal = false;  // closed, declined or withdrawn: may be copied into past years
  std::vector<HistoryRow> history;
  std::vector<DeadlineRow> deadlines;
  std::vector<TimerRow> timers;
  std::vector<DeploymentRow> deployments;
  std::vector<DayRow> days;
};

std::optional<std::string> opt_text(const soci::row& r, std::size_t i) {
  if (r.get_indicator(i) == soci::i_null) return std::nullopt;
  return workflow::row_text(r, i);
}
std::optional<long long> opt_int(const soci::row& r, std::size_t i) {
  if (r.get_indicator(i) == soci::i_null) return std::nullopt;
  return workflow::row_integer(r, i);
}

// The demo, loaded by the real engine into a scratch SQLite file and read back.
std::vector<Prototype> demo_prototypes(std::map<std::int64_t, std::string>& leader_names) {
  const auto path = std::filesystem::temp_directory_path() / fmt::format("s2s_national_demo_{}.db", getpid());
  std::filesystem::remove(path);
  std::vector<Prototype> out;
  {
    auto db = Database::open(workflow::DatabaseUrl::parse("sqlite://" + path.string()));
    workflow::migrate(*db, workflow::bundled_migrations(db->backend()));
    workflow::Engine engine(db, cases::all_kinds());
    (void)cases::load_demo(engine);
    auto connection = db->acquire();
    auto& sql = connection.session();
    std::map<std::int64_t, std::size_t> index;
    soci::rowset<soci::row> cases =
        (sql.prepare << "SELECT id, kind, reference, state, phase, version, data, opened_on, closed_at FROM cases"
                        " ORDER BY id");
    for (const auto& r : cases) {
      Prototype p;
      p.kind = workflow::row_text(r, 1);
      const auto reference = workflow::row_text(r, 2);
      p.prefix = reference.substr(0, reference.find('-'));
      p.state = workflow::row_text(r, 3);
      p.phase = workflow::row_text(r, 4);
      p.version = static_cast<int>(workflow::row_integer(r, 5));
      p.data = json::parse(workflow::row_text(r, 6)).as_object();
      // Links between cases are not copied: each copy stands alone.
      p.data.erase("linked_cases");
      if (p.data.erase("linked_case") != 0) p.data["source"] = "lead";
      p.opened_on = workflow::row_text(r, 7);
      p.closed = r.get_indicator(8) != soci::i_null;
      p.terminal = p.phase == "closed" || p.phase == "declined" || p.phase == "withdrawn";
      index[workflow::row_integer(r, 0)] = out.size();
      out.push_back(std::move(p));
    }
    soci::rowset<soci::row> history =
        (sql.prepare << "SELECT case_id, sequence, event, from_state, to_state, actor, occurred_on, payload, timer_id"
                        " FROM case_history ORDER BY case_id, sequence");
    for (const auto& r : history) {
      HistoryRow h{static_cast<int>(workflow::row_integer(r, 1)),
                   workflow::row_text(r, 2),
                   opt_text(r, 3).value_or(""),
                   workflow::row_text(r, 4),
                   workflow::row_text(r, 5),
                   workflow::row_text(r, 6),
                   json::parse(workflow::row_text(r, 7)),
                   opt_int(r, 8)};
      out[index.at(workflow::row_integer(r, 0))].history.push_back(std::move(h));
    }
    soci::rowset<soci::row> deadlines =
        (sql.prepare << "SELECT case_id, id, purpose, armed_in_state, due_on, status, computation, settled_on"
                        " FROM deadlines ORDER BY id");
    for (const auto& r : deadlines) {
      out[index.at(workflow::row_integer(r, 0))].deadlines.push_back(
          DeadlineRow{workflow::row_integer(r, 1), workflow::row_text(r, 2), workflow::row_text(r, 3), workflow::row_text(r, 4),
                      workflow::row_text(r, 5), json::parse(workflow::row_text(r, 6)), opt_text(r, 7)});
    }
    soci::rowset<soci::row> timers =
        (sql.prepare << "SELECT case_id, id, deadline_id, event, fire_on, status, attempts FROM timers ORDER BY id");
    for (const auto& r : timers) {
      out[index.at(workflow::row_integer(r, 0))].timers.push_back(
          TimerRow{workflow::row_integer(r, 1), workflow::row_integer(r, 2), workflow::row_text(r, 3), workflow::row_text(r, 4),
                   workflow::row_text(r, 5), static_cast<int>(workflow::row_integer(r, 6))});
    }
    soci::rowset<soci::row> deployments =
        (sql.prepare << "SELECT case_id, system_leader_id, status, proposed_on, accepted_on, ended_on, academic_year,"
                        " half_days_reserved, rating FROM deployments ORDER BY id");
    for (const auto& r : deployments) {
      const auto rating = opt_int(r, 8);
      out[index.at(workflow::row_integer(r, 0))].deployments.push_back(
          DeploymentRow{workflow::row_integer(r, 1), workflow::row_text(r, 2), workflow::row_text(r, 3), opt_text(r, 4),
                        opt_text(r, 5), opt_text(r, 6), static_cast<int>(workflow::row_integer(r, 7)),
                        rating ? std::optional<int>(static_cast<int>(*rating)) : std::nullopt});
    }
    soci::rowset<soci::row> days =
        (sql.prepare << "SELECT case_id, entry, system_leader_id, day, half_days, activity, funding_source,"
                        " corrects_entry FROM deployment_days ORDER BY id");
    for (const auto& r : days) {
      const auto corrects = opt_int(r, 7);
      out[index.at(workflow::row_integer(r, 0))].days.push_back(
          DayRow{static_cast<int>(workflow::row_integer(r, 1)), workflow::row_integer(r, 2), workflow::row_text(r, 3),
                 workflow::row_text(r, 5), static_cast<int>(workflow::row_integer(r, 4)), opt_text(r, 6),
                 corrects ? std::optional<int>(static_cast<int>(*corrects)) : std::nullopt});
    }
    soci::rowset<soci::row> leaders = (sql.prepare << "SELECT id, name FROM system_leaders");
    for (const auto& r : leaders) leader_names[workflow::row_integer(r, 0)] = workflow::row_text(r, 1);
  }
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
  return out;
}

// ---------------------------------------------------------------------------
// Writing: multi-row INSERTs of literal values, the same text on both backends.

std::string quote(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}
std::string quote_or_null(const std::optional<std::string>& text) { return text ? quote(*text) : "NULL"; }
template <class T>
std::string number_or_null(const std::optional<T>& value) {
  return value ? std::to_string(*value) : "NULL";
}

// Rows wait in a statement until it is long enough; the rows of the tables a
// table refers to (`parents`) are always written first.
class Inserter {
 public:
  Inserter(soci::session& sql, std::string table, std::string columns, std::vector<Inserter*> parents = {})
      : sql_(sql),
        head_("INSERT INTO " + std::move(table) + " (" + std::move(columns) + ") VALUES "),
        parents_(std::move(parents)) {}
  Inserter(const Inserter&) = delete;
  Inserter& operator=(const Inserter&) = delete;
  // Writes what waits, unless an error is already on its way out (the
  // transaction is then rolled back whole).
  ~Inserter() noexcept(false) {
    if (std::uncaught_exceptions() == 0) flush();
  }

  // One row's values, already written as SQL literals and joined by commas.
  void row(const std::string& values) {
    text_ += text_.empty() ? head_ : std::string(",");
    text_ += '(';
    text_ += values;
    text_ += ')';
    ++rows_;
    if (text_.size() > 512 * 1024) flush();
  }
  void flush() {
    if (text_.empty()) return;
    for (auto* parent : parents_) parent->flush();
    sql_ << text_;
    text_.clear();
  }
  [[nodiscard]] long rows() const { return rows_; }

 private:
  soci::session& sql_;
  std::string head_;
  std::vector<Inserter*> parents_;
  std::string text_;
  long rows_ = 0;
};

// ---------------------------------------------------------------------------
// Dates.

using Days = std::chrono::sys_days;

std::string shifted(std::string_view date, int by) {
  const auto parsed = workflow::parse_date(date);
  if (!parsed) return std::string(date);
  return workflow::format_date(std::chrono::year_month_day{Days{*parsed} + std::chrono::days{by}});
}
std::string at_ten(const std::string& date) { return date + "T10:00:00.000000Z"; }
std::string academic_year_shifted(const std::string& year, int years) {
  const int start = std::stoi(year.substr(0, 4)) + years;
  return fmt::format("{}/{:02}", start, (start + 1) % 100);
}
bool looks_like_date(const json::string& s) {
  return s.size() == 10 && s[4] == '-' && s[7] == '-' && std::isdigit(static_cast<unsigned char>(s[0]));
}

// ---------------------------------------------------------------------------
// The places: local authorities in mini regions, schools, alliances, leaders.

struct School {
  std::int32_t urn = 0;
  int la = 0;  // index into the authorities
  int grade = 2;
};
struct Authority {
  int code = 0;
  std::string name, mini_region;
  std::string officer;  // its LA officer, as the history names a user
};
struct Leader {
  std::int64_t id = 0;
  std::string name;
  std::int64_t designation = 0;
  int offered = 0;      // half-days a year
  std::string as_user;  // as the history names a user
};

constexpr const char* kRegions[] = {"North East", "North West", "Yorkshire", "West Midlands",
                                    "East of England", "London", "South East", "South West"};
constexpr const char* kSpecialisms[] = {"maths", "English", "SEND", "early years", "leadership", "governance",
                                        "science", "pupil premium", "behaviour", "curriculum"};
constexpr const char* kDesignations[] = {"NLE", "LLE", "SLE", "SLE", "SLE", "LLE", "NLG", "LLG", "SLE", "NLE"};

struct Totals {
  std::map<std::pair<std::int64_t, std::string>, int> reserved, consumed;  // (leader, year) -> half-days
};

class Generator {
 public:
  Generator(soci::session& sql, Backend backend, const NationalShape& shape, std::ostream& log)
      : sql_(sql), backend_(backend), shape_(shape), log_(log), random_(20261202) {}

  NationalData run() {
    std::map<std::int64_t, std::string> demo_leaders;
    prototypes_ = demo_prototypes(demo_leaders);
    for (const auto& [id, name] : demo_leaders) demo_actor_[name + " (system leader)"] = id;
    today_ = workflow::london_date(std::chrono::system_clock::now());
    places();
    cases();
    capacity();
    if (backend_ == Backend::postgresql) {
      for (const char* table : {"cases", "deadlines", "timers", "alliances", "system_leaders", "designations",
                                "deployments", "deployment_days", "audit_log", "users"}) {
        sql_ << fmt::format("SELECT setval(pg_get_serial_sequence('{0}', 'id'), (SELECT max(id) FROM {0}))", table);
      }
    }
    return out_;
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(random_); }

  void places() {
    // Authorities: the nine East Midlands areas the migrations know, then the
    // rest of England's from the tile map, about four to a mini region in
    // each region; made-up ones beyond those when the shape asks for more.
    soci::rowset<soci::row> known = (sql_.prepare << "SELECT la_code, mini_region FROM la_mini_regions ORDER BY la_code");
    for (const auto& r : known) {
      authorities_.push_back({static_cast<int>(workflow::row_integer(r, 0)), workflow::row_text(r, 1), workflow::row_text(r, 1), {}});
    }
    {
      Inserter mini(sql_, "la_mini_regions", "la_code, mini_region");
      soci::rowset<soci::row> tiles =
          (sql_.prepare << "SELECT t.la_code, t.name, t.region FROM la_tiles t WHERE NOT EXISTS (SELECT 1 FROM"
                           " la_mini_regions m WHERE m.la_code = t.la_code) ORDER BY t.region, t.y, t.x");
      std::map<std::string, int> in_region;
      for (const auto& r : tiles) {
        if (static_cast<int>(authorities_.size()) >= shape_.local_authorities) break;
        const int code = static_cast<int>(workflow::row_integer(r, 0));
        const std::string region = workflow::row_text(r, 2);
        const std::string mini_region = fmt::format("{} {}", region, 1 + in_region[region]++ / 4);
        authorities_.push_back({code, workflow::row_text(r, 1), mini_region, {}});
        mini.row(fmt::format("{}, {}", code, quote(mini_region)));
      }
      for (int i = 0; static_cast<int>(authorities_.size()) < shape_.local_authorities; ++i) {
        const int code = 1000 + i;
        const std::string region = fmt::format("{} {}", kRegions[i / 4 % 8], 1 + i / 32);
        authorities_.push_back({code, fmt::format("Authority {}", code), region, {}});
        mini.row(fmt::format("{}, {}", code, quote(region)));
      }
    }
    log_ << fmt::format("  {} local authorities\n", authorities_.size());
    {
      Inserter schools(sql_, "schools",
                       "urn, name, la_code, la_name, phase, status, type, trust_code, trust_name, town, postcode,"
                       " opened_on, ofsted_grade, ofsted_date, ssif_eligible, category_5_6, gias_checksum, imported_at,"
                       " updated_at");
      const std::string now = at_ten(workflow::format_date(today_));
      by_la_.resize(authorities_.size());
      for (int i = 0; i < shape_.schools; ++i) {
        School s{100000 + i, pick(static_cast<int>(authorities_.size())), 2};
        const int g = pick(100);
        s.grade = g < 15 ? 1 : g < 80 ? 2 : g < 96 ? 3 : 4;
        const int p = pick(100);
        const char* phase = p < 75 ? "Primary" : p < 91 ? "Secondary" : p < 96 ? "Not applicable" : "Nursery";
        const char* type = p < 91 ? (p % 3 == 0 ? "Academy converter" : "Community school")
                                  : p < 96 ? "Community special school" : "Local authority nursery school";
        const bool academy = p < 91 && p % 3 == 0;
        const auto& la = authorities_[static_cast<std::size_t>(s.la)];
        schools.row(fmt::format(
            "{}, {}, {}, {}, {}, 'Open', {}, {}, {}, {}, {}, '2000-09-01', {}, {}, {}, {}, 'national', {}, {}", s.urn,
            quote(fmt::format("{} {} School {}", la.name, phase, i)), la.code, quote(la.name), quote(phase),
            quote(type), academy ? quote(fmt::format("{}", 1000 + i % 900)) : "NULL",
            academy ? quote(fmt::format("Trust {}", 1000 + i % 900)) : "NULL", quote(la.name),
            quote(fmt::format("AB{} {}CD", i % 90, i % 9)), s.grade,
            quote(shifted("2023-01-10", pick(900))), chance(0.05) ? "'1'" : "'0'", chance(0.08) ? "'1'" : "'0'",
            quote(now), quote(now)));
        by_la_[static_cast<std::size_t>(s.la)].push_back(schools_.size());
        if (s.grade >= 3) in_need_.push_back(schools_.size());
        schools_.push_back(s);
      }
    }
    log_ << fmt::format("  {} schools\n", schools_.size());
    {
      Inserter alliances(sql_, "alliances", "id, name, lead_school_urn, created_at");
      Inserter members(sql_, "alliance_members", "alliance_id, school_urn", {&alliances});
      std::set<std::int32_t> taken;
      alliance_of_.assign(schools_.size(), 0);
      for (int a = 1; a <= shape_.alliances; ++a) {
        const auto lead = static_cast<std::size_t>(pick(static_cast<int>(schools_.size())));
        alliances.row(fmt::format("{}, {}, {}, '2019-09-01T10:00:00.000000Z'", a,
                                  quote(fmt::format("Alliance {} Teaching School Hub", a)), schools_[lead].urn));
        // The lead school and up to 19 more from its authority.
        const auto& local = by_la_[static_cast<std::size_t>(schools_[lead].la)];
        std::vector<std::size_t> chosen{lead};
        for (int k = 0; k < 30 && chosen.size() < 20; ++k) chosen.push_back(local[static_cast<std::size_t>(pick(static_cast<int>(local.size())))]);
        for (const auto s : chosen) {
          if (alliance_of_[s] != 0) continue;
          alliance_of_[s] = a;
          members.row(fmt::format("{}, {}", a, schools_[s].urn));
        }
      }
    }
    {
      Inserter leaders(sql_, "system_leaders", "id, name, email, home_school_urn, alliance_id, created_at");
      Inserter designations(sql_, "designations", "id, system_leader_id, designation, specialisms, active_from, active_to",
                            {&leaders});
      leaders_by_region_.clear();
      std::int64_t designation = 0;
      for (int i = 1; i <= shape_.system_leaders; ++i) {
        const auto home = static_cast<std::size_t>(pick(static_cast<int>(schools_.size())));
        Leader l{i, fmt::format("Leader {}", i), ++designation, 20 + 4 * pick(11), {}};
        leaders.row(fmt::format("{}, {}, {}, {}, {}, '2019-09-01T10:00:00.000000Z'", i, quote(l.name),
                                quote(fmt::format("leader{}@national.example.org", i)), schools_[home].urn,
                                alliance_of_[home] != 0 ? std::to_string(alliance_of_[home]) : "NULL"));
        const std::string specialisms =
            fmt::format("{}, {}", kSpecialisms[pick(10)], kSpecialisms[pick(10)]);
        designations.row(fmt::format("{}, {}, {}, {}, '2019-09-01', {}", l.designation, i,
                                     quote(kDesignations[pick(10)]), quote(specialisms),
                                     chance(0.05) ? quote(shifted("2025-08-31", -7 * pick(100))) : "NULL"));
        if (chance(0.1)) {
          designations.row(fmt::format("{}, {}, 'PPR', '', '2021-01-04', NULL", ++designation, i));
        }
        leaders_by_region_[authorities_[static_cast<std::size_t>(schools_[home].la)].mini_region].push_back(
            leaders_.size());
        leaders_.push_back(std::move(l));
      }
      designations_ = designation;
    }
    log_ << fmt::format("  {} alliances, {} system leaders, {} designations\n", shape_.alliances, leaders_.size(),
                        designations_);
    users();
  }

  // The people who use s2s: a lead for each mini region, an officer for each
  // authority, and each system leader. The history names them as the engine
  // names a user ("user:ID EMAIL"), so that a case's page reads their names
  // with its history, as a deployment's pages do.
  void users() {
    Inserter users(sql_, "users", "id, name, email, role, scope_kind, scope_value, created_at");
    std::int64_t id = 0;
    const auto add = [&](const std::string& name, const std::string& email, std::string_view role,
                         std::string_view scope_kind, const std::string& scope_value) {
      users.row(fmt::format("{}, {}, {}, {}, {}, {}, '2019-09-01T10:00:00.000000Z'", ++id, quote(name), quote(email), quote(role),
                            quote(scope_kind), quote(scope_value)));
      return fmt::format("user:{} {}", id, email);
    };
    for (auto& a : authorities_) {
      if (!lead_of_region_.contains(a.mini_region)) {
        const auto email = fmt::format("lead.{}@national.example.org", lead_of_region_.size() + 1);
        lead_of_region_[a.mini_region] = add("Lead of " + a.mini_region, email, "lead", "mini_region", a.mini_region);
      }
      a.officer = add("Officer of " + a.name, fmt::format("officer.{}@national.example.org", a.code), "la_officer",
                      "la", std::to_string(a.code));
    }
    for (auto& l : leaders_) {
      l.as_user = add(l.name, fmt::format("leader{}@national.example.org", l.id), "system_leader", "system_leader",
                      std::to_string(l.id));
    }
    log_ << fmt::format("  {} users\n", id);
  }

  // A school for a case: half the cases go to schools graded 3 or 4.
  std::size_t school_for_case() {
    if (!in_need_.empty() && chance(0.5)) return in_need_[static_cast<std::size_t>(pick(static_cast<int>(in_need_.size())))];
    return static_cast<std::size_t>(pick(static_cast<int>(schools_.size())));
  }
  const Leader& leader_near(std::size_t school) {
    const auto& region = authorities_[static_cast<std::size_t>(schools_[school].la)].mini_region;
    const auto found = leaders_by_region_.find(region);
    if (found == leaders_by_region_.end() || found->second.empty() || chance(0.1)) {
      return leaders_[static_cast<std::size_t>(pick(static_cast<int>(leaders_.size())))];
    }
    return leaders_[found->second[static_cast<std::size_t>(pick(static_cast<int>(found->second.size())))]];
  }

  // The copy's ids and words for what the prototype names.
  struct Copy {
    std::int64_t id = 0;
    int shift = 0;        // days, a multiple of 7 so weekends stay weekends
    int year_shift = 0;   // academic years
    std::map<std::int64_t, const Leader*> leaders;  // prototype leader -> national leader
    std::map<std::int64_t, std::int64_t> deadlines, timers;
    std::int64_t subject_designation = 0;  // a designation review's subject
  };

  std::int64_t leader_id(Copy& copy, std::int64_t prototype_leader, std::size_t school) {
    auto& l = copy.leaders[prototype_leader];
    if (l == nullptr) l = &leader_near(school);
    return l->id;
  }

  // The prototype's JSON with every date moved, every id mapped and every
  // name of a demo system leader replaced by the national one's.
  json::value remap(const json::value& v, Copy& copy, std::size_t school) {
    if (v.is_object()) {
      json::object o;
      for (const auto& [key, value] : v.as_object()) {
        if ((key == "provider_id" || key == "deployed_provider_id" || key == "reviewer_id") && value.is_int64()) {
          o[key] = leader_id(copy, value.as_int64(), school);
        } else if (key == "designation_id" && value.is_int64()) {
          o[key] = copy.subject_designation;
        } else if (key == "deadline_id" && value.is_int64()) {
          o[key] = copy.deadlines.at(value.as_int64());
        } else if (key == "capacity_year" && value.is_string()) {
          o[key] = academic_year_shifted(std::string(value.as_string()), copy.year_shift);
        } else {
          o[key] = remap(value, copy, school);
        }
      }
      return o;
    }
    if (v.is_array()) {
      json::array a;
      for (const auto& e : v.as_array()) a.push_back(remap(e, copy, school));
      return a;
    }
    if (v.is_string()) {
      const auto& s = v.as_string();
      if (looks_like_date(s)) return json::string(shifted(std::string_view(s), copy.shift));
      return json::string(actor(std::string(s), copy, school));
    }
    return v;
  }
  // The demo's lead, LA officer and system leaders become the users of the
  // copy's school's mini region and authority, and its national leaders;
  // other actors ("the school", "system") stay as they are.
  std::string actor(const std::string& name, Copy& copy, std::size_t school) {
    const auto& authority = authorities_[static_cast<std::size_t>(schools_[school].la)];
    if (name == cases::kDemoLead) return lead_of_region_.at(authority.mini_region);
    if (name == cases::kDemoLaOfficer) return authority.officer;
    const auto found = demo_actor_.find(name);
    if (found == demo_actor_.end()) return name;
    const auto id = leader_id(copy, found->second, school);
    return leaders_[static_cast<std::size_t>(id - 1)].as_user;
  }

  void cases() {
    // Which prototype each copy is: support requests are most of the work.
    const auto weight = [](const Prototype& p) {
      if (p.kind == "support_request") return 6.0;
      if (p.kind == "risk_assessment") return 2.5;
      if (p.kind == "pupil_premium_review") return 2.5;
      return 1.5;
    };
    std::vector<double> all_weights, past_weights;
    std::size_t with_days = 0;
    for (const auto& p : prototypes_) {
      all_weights.push_back(weight(p));
      past_weights.push_back(p.terminal ? weight(p) : 0.0);
    }
    std::discrete_distribution<std::size_t> current(all_weights.begin(), all_weights.end());
    std::discrete_distribution<std::size_t> past(past_weights.begin(), past_weights.end());
    // Plan every copy first, to spread the extra logged days over those that log days.
    struct Plan {
      std::size_t prototype;
      int years_back;
    };
    std::vector<Plan> plans;
    long base_days = 0;
    for (int y = 0; y < shape_.years; ++y) {
      for (int i = 0; i < shape_.cases_per_year; ++i) {
        const auto p = y == 0 ? current(random_) : past(random_);
        plans.push_back({p, y});
        base_days += static_cast<long>(prototypes_[p].days.size());
        if (extra_days_allowed(prototypes_[p])) ++with_days;
      }
    }
    const double extra_per_case =
        with_days == 0 ? 0.0 : std::max(0.0, double(shape_.day_entries - base_days) / double(with_days));
    std::shuffle(plans.begin(), plans.end(), random_);
    std::sort(plans.begin(), plans.end(), [](const Plan& a, const Plan& b) { return a.years_back > b.years_back; });

    Inserter cases(sql_, "cases",
                   "id, kind, reference, school_urn, state, phase, version, data, opened_on, opened_at, closed_at,"
                   " updated_at");
    Inserter history(sql_, "case_history",
                     "case_id, sequence, event, from_state, to_state, actor, occurred_on, recorded_at, payload,"
                     " timer_id",
                     {&cases});
    Inserter deadlines(sql_, "deadlines",
                       "id, case_id, purpose, armed_in_state, due_on, computation, status, settled_on, created_at",
                       {&cases});
    Inserter timers(sql_, "timers", "id, case_id, deadline_id, event, fire_on, status, attempts, created_at, fired_at",
                    {&deadlines});
    Inserter deployments(sql_, "deployments",
                         "id, case_id, system_leader_id, status, proposed_on, accepted_on, ended_on, academic_year,"
                         " half_days_reserved, rating, designation_id, last_day",
                         {&cases});
    Inserter days(sql_, "deployment_days",
                  "id, case_id, entry, system_leader_id, day, half_days, activity, funding_source, corrects_entry,"
                  " recorded_at",
                  {&cases});
    Inserter totals(sql_, "deployment_day_totals",
                    "case_id, system_leader_id, academic_year, funding_source, half_days", {&cases});
    std::map<std::pair<std::string, int>, int> references;
    std::int64_t deadline_ids = 0, timer_ids = 0, deployment_ids = 0, day_ids = 0;
    double extra_owed = 0;
    for (const auto& plan : plans) {
      const Prototype& p = prototypes_[plan.prototype];
      Copy copy;
      copy.id = ++out_.cases;
      copy.year_shift = -plan.years_back;
      copy.shift = plan.years_back == 0 ? (p.terminal ? -7 * pick(9) : 0) : -364 * plan.years_back + 7 * (pick(41) - 20);
      copy.subject_designation = 1 + pick(static_cast<int>(designations_));
      const auto school = school_for_case();
      for (const auto& d : p.deadlines) copy.deadlines[d.id] = ++deadline_ids;
      for (const auto& t : p.timers) copy.timers[t.id] = ++timer_ids;

      json::object data = remap(p.data, copy, school).as_object();
      std::vector<HistoryRow> rows;
      for (const auto& h : p.history) {
        HistoryRow r = h;
        r.actor = actor(h.actor, copy, school);
        r.occurred_on = shifted(h.occurred_on, copy.shift);
        r.payload = remap(h.payload, copy, school);
        if (h.timer_id) r.timer_id = copy.timers.at(*h.timer_id);
        rows.push_back(std::move(r));
      }
      std::vector<DayRow> entries;
      for (const auto& d : p.days) {
        DayRow e = d;
        e.leader = leader_id(copy, d.leader, school);
        e.day = shifted(d.day, copy.shift);
        entries.push_back(std::move(e));
      }
      // Extra logged days, after the prototype's last, as the same leader logs them.
      if (extra_days_allowed(p)) {
        extra_owed += extra_per_case;
        const int extra = static_cast<int>(extra_owed);
        extra_owed -= extra;
        add_days(rows, entries, data, extra);
      }
      const std::string opened_on = shifted(p.opened_on, copy.shift);
      const int year = std::stoi(opened_on.substr(0, 4));
      const int number = ++references[{p.prefix, year}];
      const std::string last_day = rows.back().occurred_on;
      cases.row(fmt::format("{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}", copy.id, quote(p.kind),
                            quote(fmt::format("{}-{}-{:04}", p.prefix, year, number)), schools_[school].urn,
                            quote(p.state), quote(p.phase), rows.size(), quote(json::serialize(data)), quote(opened_on),
                            quote(at_ten(opened_on)), p.closed ? quote(at_ten(last_day)) : "NULL",
                            quote(at_ten(last_day))));
      for (const auto& r : rows) {
        history.row(fmt::format("{}, {}, {}, {}, {}, {}, {}, {}, {}, {}", copy.id, r.sequence, quote(r.event),
                                r.from_state.empty() ? "NULL" : quote(r.from_state), quote(r.to_state),
                                quote(r.actor), quote(r.occurred_on), quote(at_ten(r.occurred_on)),
                                quote(json::serialize(r.payload)), number_or_null(r.timer_id)));
      }
      out_.history_rows += static_cast<long>(rows.size());
      for (const auto& d : p.deadlines) {
        deadlines.row(fmt::format("{}, {}, {}, {}, {}, {}, {}, {}, {}", copy.deadlines.at(d.id), copy.id,
                                  quote(d.purpose), quote(d.armed_in_state), quote(shifted(d.due_on, copy.shift)),
                                  quote(json::serialize(remap(d.computation, copy, school))), quote(d.status),
                                  d.settled_on ? quote(shifted(*d.settled_on, copy.shift)) : "NULL",
                                  quote(at_ten(opened_on))));
      }
      out_.deadlines += static_cast<long>(p.deadlines.size());
      for (const auto& t : p.timers) {
        const std::string fire_on = shifted(t.fire_on, copy.shift);
        timers.row(fmt::format("{}, {}, {}, {}, {}, {}, {}, {}, {}", copy.timers.at(t.id), copy.id,
                               copy.deadlines.at(t.deadline_id), quote(t.event), quote(fire_on), quote(t.status),
                               t.attempts, quote(at_ten(opened_on)),
                               t.status == "fired" ? quote(fire_on + "T06:00:00.000000Z") : "NULL"));
      }
      out_.timers += static_cast<long>(p.timers.size());
      for (const auto& d : p.deployments) {
        const std::int64_t leader = leader_id(copy, d.leader, school);
        const auto academic_year =
            d.academic_year ? std::optional(academic_year_shifted(*d.academic_year, copy.year_shift)) : std::nullopt;
        const auto last = last_day_in_force(entries, leader);
        deployments.row(fmt::format("{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}", ++deployment_ids, copy.id, leader,
                                    quote(d.status), quote(shifted(d.proposed_on, copy.shift)),
                                    d.accepted_on ? quote(shifted(*d.accepted_on, copy.shift)) : "NULL",
                                    d.ended_on ? quote(shifted(*d.ended_on, copy.shift)) : "NULL",
                                    quote_or_null(academic_year), d.half_days_reserved, number_or_null(d.rating),
                                    leaders_[static_cast<std::size_t>(leader - 1)].designation, quote_or_null(last)));
        if (academic_year) {
          totals_.reserved[{leader, *academic_year}] += d.half_days_reserved;
          // Days count against the capacity of the deployment's year.
          totals_.consumed[{leader, *academic_year}] += in_force(entries);
        }
      }
      std::map<std::tuple<std::int64_t, std::string, std::string>, int> case_totals;
      const std::set<int> corrected = corrected_entries(entries);
      for (const auto& e : entries) {
        days.row(fmt::format("{}, {}, {}, {}, {}, {}, {}, {}, {}, {}", ++day_ids, copy.id, e.entry, e.leader,
                             quote(e.day), e.half_days, quote(e.activity), quote_or_null(e.funding_source),
                             number_or_null(e.corrects_entry), quote(at_ten(e.day))));
        if (corrected.count(e.entry) == 0) {
          case_totals[{e.leader, cases::academic_year_of(*workflow::parse_date(e.day)), e.funding_source.value_or("")}] +=
              e.half_days;
        }
      }
      out_.day_rows += static_cast<long>(entries.size());
      for (const auto& [key, half_days] : case_totals) {
        const auto& [leader, year, funding] = key;
        totals.row(fmt::format("{}, {}, {}, {}, {}", copy.id, leader, quote(year), quote(funding), half_days));
      }
      if (out_.cases % 50000 == 0) log_ << fmt::format("  {} cases\n", out_.cases);
    }
    Inserter reference_rows(sql_, "case_references", "prefix, year, last_number");
    for (const auto& [key, last] : references) {
      reference_rows.row(fmt::format("{}, {}, {}", quote(key.first), key.second, last));
    }
  }

  static bool extra_days_allowed(const Prototype& p) { return p.kind == "support_request" && !p.days.empty(); }

  // The entries a later entry corrects: those no longer in force.
  static std::set<int> corrected_entries(const std::vector<DayRow>& entries) {
    std::set<int> corrected;
    for (const auto& e : entries) {
      if (e.corrects_entry) corrected.insert(*e.corrects_entry);
    }
    return corrected;
  }

  // The last day of support `leader` gave in the entries in force, as the
  // log_day effect keeps it on the deployment.
  static std::optional<std::string> last_day_in_force(const std::vector<DayRow>& entries, std::int64_t leader) {
    const std::set<int> corrected = corrected_entries(entries);
    std::optional<std::string> last;
    for (const auto& e : entries) {
      if (e.leader == leader && e.half_days > 0 && corrected.count(e.entry) == 0 && (!last || e.day > *last)) {
        last = e.day;
      }
    }
    return last;
  }

  static int in_force(const std::vector<DayRow>& entries) {
    const std::set<int> corrected = corrected_entries(entries);
    int sum = 0;
    for (const auto& e : entries) {
      if (corrected.count(e.entry) == 0) sum += e.half_days;
    }
    return sum;
  }

  // `extra` more whole days worked between the first and the last logged
  // day, logged together with the last (people log days late): each a
  // history row, a day entry and an element of the case's day_entries. The
  // days fall within the deployment's logged span, so none lies in the future
  // or after the deployment ended.
  void add_days(std::vector<HistoryRow>& rows, std::vector<DayRow>& entries, json::object& data, int extra) {
    if (extra <= 0 || entries.empty()) return;
    std::size_t last_log = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (rows[i].event == "log_days") last_log = i;
    }
    const DayRow first = entries.front();
    const DayRow last = entries.back();
    const auto first_day = Days{*workflow::parse_date(first.day)};
    const int span = std::max(1, static_cast<int>((Days{*workflow::parse_date(last.day)} - first_day).count()));
    const std::string logged_on = rows[last_log].occurred_on;
    auto& day_entries = data["day_entries"].as_array();
    std::vector<HistoryRow> added;
    for (int k = 1; k <= extra; ++k) {
      const std::string day = shifted(first.day, static_cast<int>(static_cast<long>(k) * span / (extra + 1)));
      HistoryRow h;
      h.event = "log_days";
      h.from_state = rows[last_log].from_state;
      h.to_state = rows[last_log].to_state;
      h.actor = rows[last_log].actor;
      h.occurred_on = logged_on;
      h.payload = json::object{{"date", day}, {"days", 1.0}, {"activity", "Follow-up support"}};
      added.push_back(std::move(h));
      const int entry = static_cast<int>(entries.size()) + 1;
      entries.push_back(DayRow{entry, last.leader, day, "Follow-up support", 2, last.funding_source, std::nullopt});
      day_entries.push_back(json::object{{"date", day},
                                         {"days", 1.0},
                                         {"activity", "Follow-up support"},
                                         {"logged_on", logged_on},
                                         {"by", added.back().actor},
                                         {"entry", entry}});
    }
    data["days_logged"] = data["days_logged"].to_number<double>() + extra;
    rows.insert(rows.begin() + static_cast<std::ptrdiff_t>(last_log) + 1, added.begin(), added.end());
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i].sequence = static_cast<int>(i) + 1;
  }

  // Every leader offers days in every year kept; what the copies reserved
  // and consumed is written beside, and no year offers less than it reserved.
  void capacity() {
    Inserter rows(sql_, "capacity",
                  "system_leader_id, academic_year, half_days_offered, half_days_reserved, half_days_consumed");
    const int this_year = std::stoi(cases::academic_year_of(today_).substr(0, 4));
    for (const auto& l : leaders_) {
      for (int y = 0; y < shape_.years; ++y) {
        const std::string year = fmt::format("{}/{:02}", this_year - y, (this_year - y + 1) % 100);
        const auto key = std::pair{l.id, year};
        const int reserved = totals_.reserved.count(key) ? totals_.reserved.at(key) : 0;
        const int consumed = totals_.consumed.count(key) ? totals_.consumed.at(key) : 0;
        rows.row(fmt::format("{}, {}, {}, {}, {}", l.id, quote(year), std::max(l.offered, reserved), reserved,
                             consumed));
      }
    }
  }

  soci::session& sql_;
  Backend backend_;
  NationalShape shape_;
  std::ostream& log_;
  std::mt19937_64 random_;
  std::chrono::year_month_day today_{};
  std::vector<Prototype> prototypes_;
  std::map<std::string, std::int64_t> demo_actor_;
  std::vector<Authority> authorities_;
  std::vector<School> schools_;
  std::vector<std::vector<std::size_t>> by_la_;
  std::vector<std::size_t> in_need_;
  std::vector<int> alliance_of_;
  std::vector<Leader> leaders_;
  std::map<std::string, std::vector<std::size_t>> leaders_by_region_;
  std::map<std::string, std::string> lead_of_region_;  // mini region -> its lead, as the history names a user
  std::int64_t designations_ = 0;
  Totals totals_;
  NationalData out_;
};

constexpr const char* kMarker = "bench.national_data";

void read_back(soci::session& sql, NationalData& data) {
  long long n = 0;
  sql << "SELECT count(*) FROM cases", soci::into(n);
  data.cases = static_cast<long>(n);
  sql << "SELECT count(*) FROM case_history", soci::into(n);
  data.history_rows = static_cast<long>(n);
  sql << "SELECT count(*) FROM deployment_days", soci::into(n);
  data.day_rows = static_cast<long>(n);
  sql << "SELECT count(*) FROM deadlines", soci::into(n);
  data.deadlines = static_cast<long>(n);
  sql << "SELECT count(*) FROM timers", soci::into(n);
  data.timers = static_cast<long>(n);
  data.mini_regions.clear();
  soci::rowset<soci::row> regions =
      (sql.prepare << "SELECT m.mini_region FROM cases c JOIN schools s ON s.urn = c.school_urn"
                      " JOIN la_mini_regions m ON m.la_code = s.la_code GROUP BY m.mini_region"
                      " ORDER BY count(*) DESC, m.mini_region");
  for (const auto& r : regions) data.mini_regions.push_back(workflow::row_text(r, 0));
  sql << "SELECT a.alliance_id FROM cases c JOIN alliance_members a ON a.school_urn = c.school_urn"
         " GROUP BY a.alliance_id ORDER BY count(*) DESC, a.alliance_id LIMIT 1",
      soci::into(n);
  data.busiest_alliance = n;
  data.sample_case_ids.clear();
  const long stride = std::max(1L, data.cases / 5000);
  soci::rowset<long long> ids = (sql.prepare << "SELECT id FROM cases WHERE id % " << stride << " = 0 ORDER BY id");
  for (const auto id : ids) data.sample_case_ids.push_back(id);
}

}  // namespace

NationalShape NationalShape::england(double scale) {
  const auto at_least_one = [scale](double n) { return std::max(1, static_cast<int>(std::lround(n * scale))); };
  NationalShape s;
  s.schools = std::max(200, at_least_one(22000));
  s.local_authorities = std::max(11, at_least_one(154));  // every square of the tile map, and Northamptonshire's old code
  s.alliances = at_least_one(700);
  s.system_leaders = std::max(20, at_least_one(8000));
  s.cases_per_year = at_least_one(50000);
  s.day_entries = std::lround(1000000 * scale);
  return s;
}

std::string NationalShape::describe() const {
  // "actors=users": the history names users of s2s, as a deployment's does
  // (data sets written before it named people in words).
  return fmt::format("schools={} las={} alliances={} leaders={} cases_per_year={} years={} days={} actors=users",
                     schools, local_authorities, alliances, system_leaders, cases_per_year, years, day_entries);
}

NationalData national_data(Database& db, const NationalShape& shape, std::ostream& log) {
  NationalData data;
  data.shape = shape;
  auto connection = db.acquire();
  auto& sql = connection.session();
  long long marked = 0;
  const std::string action = kMarker;
  const std::string subject = shape.describe();
  sql << "SELECT count(*) FROM audit_log WHERE action = :a AND subject = :s", soci::use(action), soci::use(subject),
      soci::into(marked);
  if (marked == 0) {
    long long existing = 0;
    sql << "SELECT count(*) FROM cases", soci::into(existing);
    if (existing != 0) {
      throw std::runtime_error(fmt::format("the database holds {} cases of something else: give an empty one", existing));
    }
    const auto started = std::chrono::steady_clock::now();
    log << "writing the national data set (" << shape.describe() << ")\n";
    connection.begin();
    Generator(sql, db.backend(), shape, log).run();
    sql << "INSERT INTO audit_log (recorded_at, actor, action, subject, detail)"
           " VALUES ('2026-01-01T00:00:00Z', 'bench', :a, :s, '')",
        soci::use(action), soci::use(subject);
    connection.commit();
    // As a database long in use stands: statistics gathered, and on PostgreSQL
    // every row's visibility settled, so that the first reads do not rewrite
    // every page they touch.
    sql << (db.backend() == Backend::postgresql ? "VACUUM ANALYZE" : "ANALYZE");
    data.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }
  read_back(sql, data);
  return data;
}

}  // namespace s2s::bench
