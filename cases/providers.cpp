#include "cases/providers.h"

#include <soci/soci.h>

#include <algorithm>
#include <cmath>

#include "workflow/date.h"
#include "workflow/text.h"
#include "workflow/timestamp.h"

namespace s2s::cases {
namespace {

int half_days(double days) {
  const double halves = days * 2;
  if (days < 0 || halves != std::floor(halves) || halves > 100000) {
    throw workflow::Refused("days must be a whole or half number of days, not " + workflow::number_text(days));
  }
  return static_cast<int>(halves);
}

std::string now() { return workflow::format_timestamp(std::chrono::system_clock::now()); }

void require_school(soci::session& sql, int urn) {
  int found = 0;
  sql << "SELECT count(*) FROM schools WHERE urn = :urn", soci::use(urn), soci::into(found);
  if (found == 0) throw workflow::Refused("no school with URN " + std::to_string(urn) + " (import GIAS first)");
}

}  // namespace

std::string academic_year_of(std::chrono::year_month_day day) {
  const int year = static_cast<int>(day.year());
  const int start = static_cast<unsigned>(day.month()) >= 9 ? year : year - 1;
  const int end = (start + 1) % 100;
  return std::to_string(start) + "/" + (end < 10 ? "0" : "") + std::to_string(end);
}

bool is_academic_year(std::string_view text) {
  if (text.size() != 7 || text[4] != '/') return false;
  for (const std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  const int start = std::stoi(std::string(text.substr(0, 4)));
  const int end = std::stoi(std::string(text.substr(5, 2)));
  return (start + 1) % 100 == end;
}

std::int64_t create_alliance(workflow::Database& db, std::string_view name, int lead_school_urn) {
  if (name.empty()) throw workflow::Refused("an alliance needs a name");
  const std::string n(name);
  const std::string stamp = now();
  return db.transact([&](soci::session& sql) {
    require_school(sql, lead_school_urn);
    long long id = 0;
    sql << "INSERT INTO alliances (name, lead_school_urn, created_at) VALUES (:n, :urn, :now) RETURNING id",
        soci::use(n), soci::use(lead_school_urn), soci::use(stamp), soci::into(id);
    sql << "INSERT INTO alliance_members (alliance_id, school_urn) VALUES (:a, :urn)", soci::use(id),
        soci::use(lead_school_urn);
    return static_cast<std::int64_t>(id);
  });
}

void add_alliance_member(workflow::Database& db, std::int64_t alliance_id, int school_urn) {
  const long long id = alliance_id;
  db.transact([&](soci::session& sql) {
    require_school(sql, school_urn);
    sql << "INSERT INTO alliance_members (alliance_id, school_urn) VALUES (:a, :urn)", soci::use(id),
        soci::use(school_urn);
  });
}

void remove_alliance_member(workflow::Database& db, std::int64_t alliance_id, int school_urn) {
  const long long id = alliance_id;
  db.transact([&](soci::session& sql) {
    soci::statement st = (sql.prepare << "DELETE FROM alliance_members WHERE alliance_id = :a AND school_urn = :urn",
                          soci::use(id), soci::use(school_urn));
    st.execute(true);
    if (st.get_affected_rows() == 0) {
      throw workflow::Refused("school " + std::to_string(school_urn) + " is not a member of alliance " +
                              std::to_string(id));
    }
  });
}

std::int64_t create_system_leader(workflow::Database& db, std::string_view name, std::string_view email,
                                  int home_school_urn, std::optional<std::int64_t> alliance_id) {
  if (name.empty() || email.find('@') == std::string_view::npos) {
    throw workflow::Refused("a system leader needs a name and an email address");
  }
  const std::string n(name);
  const std::string e(email);
  const std::string stamp = now();
  long long alliance = alliance_id.value_or(0);
  soci::indicator alliance_ind = alliance_id ? soci::i_ok : soci::i_null;
  return db.transact([&](soci::session& sql) {
    require_school(sql, home_school_urn);
    long long id = 0;
    sql << "INSERT INTO system_leaders (name, email, home_school_urn, alliance_id, created_at)"
           " VALUES (:n, :e, :urn, :a, :now) RETURNING id",
        soci::use(n), soci::use(e), soci::use(home_school_urn), soci::use(alliance, alliance_ind), soci::use(stamp),
        soci::into(id);
    return static_cast<std::int64_t>(id);
  });
}

std::int64_t add_designation(workflow::Database& db, std::int64_t system_leader_id, std::string_view designation,
                             std::string_view specialisms, std::chrono::year_month_day active_from,
                             std::optional<std::chrono::year_month_day> active_to) {
  static constexpr std::string_view kKnown[] = {"NLE", "LLE", "SLE", "NLG", "LLG", "PPR"};
  if (std::find(std::begin(kKnown), std::end(kKnown), designation) == std::end(kKnown)) {
    throw workflow::Refused("designation '" + std::string(designation) + "' is not NLE, LLE, SLE, NLG, LLG or PPR");
  }
  if (active_to && std::chrono::sys_days(*active_to) < std::chrono::sys_days(active_from)) {
    throw workflow::Refused("a designation cannot end before it starts");
  }
  const long long id = system_leader_id;
  const std::string d(designation);
  const std::string s(specialisms);
  const std::string from = workflow::format_date(active_from);
  std::string to = active_to ? workflow::format_date(*active_to) : "";
  soci::indicator to_ind = active_to ? soci::i_ok : soci::i_null;
  return db.transact([&](soci::session& sql) {
    long long leaders = 0;
    sql << "SELECT count(*) FROM system_leaders WHERE id = :id", soci::use(id), soci::into(leaders);
    if (leaders == 0) throw workflow::Refused("no system leader has id " + std::to_string(id), "system_leader_id");
    long long created = 0;
    sql << "INSERT INTO designations (system_leader_id, designation, specialisms, active_from, active_to)"
           " VALUES (:id, :d, :s, :from, :to) RETURNING id",
        soci::use(id), soci::use(d), soci::use(s), soci::use(from), soci::use(to, to_ind), soci::into(created);
    return static_cast<std::int64_t>(created);
  });
}

void set_designation_end(workflow::Database& db, std::int64_t designation_id,
                         std::optional<std::chrono::year_month_day> active_to) {
  db.transact([&](workflow::Database::Connection& connection) {
    const auto found = find_designation(connection, designation_id);
    if (!found) throw workflow::Refused("no designation has id " + std::to_string(designation_id), "designation_id");
    if (found->designation.ended_by_case_id) {
      throw workflow::Refused("the " + found->designation.code + " designation was ended by a designation review; its end stands");
    }
    const auto from = workflow::parse_date(found->designation.active_from);
    if (active_to && from && std::chrono::sys_days(*active_to) < std::chrono::sys_days(*from)) {
      throw workflow::Refused("a designation cannot end before it starts (" + found->designation.active_from + ")",
                              "active_to");
    }
    std::string to = active_to ? workflow::format_date(*active_to) : "";
    soci::indicator to_ind = active_to ? soci::i_ok : soci::i_null;
    const long long key = designation_id;
    connection.session() << "UPDATE designations SET active_to = :to WHERE id = :id", soci::use(to, to_ind),
        soci::use(key);
  });
}

std::optional<DesignationOf> find_designation(workflow::Database::Connection& connection, std::int64_t id) {
  const long long key = id;
  DesignationOf out;
  long long leader = 0;
  soci::indicator to_ind = soci::i_ok;
  soci::indicator ended_ind = soci::i_ok;
  long long ended_by = 0;
  connection.session() << "SELECT d.designation, d.specialisms, CAST(d.active_from AS TEXT), CAST(d.active_to AS TEXT),"
                          " d.ended_by_case_id, l.id, l.name, l.home_school_urn FROM designations d"
                          " JOIN system_leaders l ON l.id = d.system_leader_id WHERE d.id = :id",
      soci::use(key), soci::into(out.designation.code), soci::into(out.designation.specialisms),
      soci::into(out.designation.active_from), soci::into(out.designation.active_to, to_ind),
      soci::into(ended_by, ended_ind), soci::into(leader), soci::into(out.system_leader_name),
      soci::into(out.home_school_urn);
  if (!connection.session().got_data()) return std::nullopt;
  out.designation.id = id;
  if (to_ind == soci::i_null) out.designation.active_to.clear();
  if (ended_ind != soci::i_null) out.designation.ended_by_case_id = ended_by;
  out.system_leader_id = leader;
  return out;
}

bool end_designation(workflow::Database::Connection& connection, std::int64_t id, std::chrono::year_month_day on,
                     std::int64_t case_id) {
  const long long key = id;
  const long long by = case_id;
  const std::string last = workflow::format_date(std::chrono::sys_days(on) - std::chrono::days(1));
  soci::statement update =
      (connection.session().prepare << "UPDATE designations SET active_to = :last, ended_by_case_id = :by"
                                       " WHERE id = :id AND (active_to IS NULL OR active_to > :last2)",
       soci::use(last), soci::use(by), soci::use(key), soci::use(last));
  update.execute(true);
  return update.get_affected_rows() > 0;
}

void set_capacity(workflow::Database& db, std::int64_t system_leader_id, std::string_view academic_year, double days) {
  if (!is_academic_year(academic_year)) {
    throw workflow::Refused("academic year '" + std::string(academic_year) + "' is not like 2026/27");
  }
  const int halves = half_days(days);
  const long long id = system_leader_id;
  const std::string year(academic_year);
  db.transact([&](soci::session& sql) {
    int reserved = 0;
    sql << "SELECT half_days_reserved FROM capacity WHERE system_leader_id = :id AND academic_year = :y", soci::use(id),
        soci::use(year), soci::into(reserved);
    if (!sql.got_data()) {
      sql << "INSERT INTO capacity (system_leader_id, academic_year, half_days_offered) VALUES (:id, :y, :h)",
          soci::use(id), soci::use(year), soci::use(halves);
      return;
    }
    if (halves < reserved) {
      throw workflow::Refused(workflow::number_text(days) + " days is less than the " +
                              workflow::number_text(reserved / 2.0) + " already reserved in " + year);
    }
    sql << "UPDATE capacity SET half_days_offered = :h WHERE system_leader_id = :id AND academic_year = :y",
        soci::use(halves), soci::use(id), soci::use(year);
  });
}

namespace {

// The (key, all) pair a "WHERE id = :id OR :all = 1" statement binds: one
// row by its id, or every row.
std::pair<long long, int> one_or_all(std::optional<std::int64_t> only) { return {only.value_or(0), only ? 0 : 1}; }

std::vector<Alliance> read_alliances(workflow::Database& db, std::optional<std::int64_t> only) {
  const auto [key, all] = one_or_all(only);
  return db.read([&](soci::session& sql) {
    std::vector<Alliance> out;
    soci::rowset<soci::row> rows = (sql.prepare << "SELECT id, name, lead_school_urn FROM alliances"
                                                   " WHERE id = :id OR :all = 1 ORDER BY id",
                                    soci::use(key), soci::use(all));
    for (const auto& row : rows) {
      out.push_back(Alliance{workflow::row_integer(row, 0),
                             workflow::row_text(row, 1),
                             static_cast<std::int32_t>(workflow::row_integer(row, 2)),
                             {}});
    }
    soci::rowset<soci::row> members = (sql.prepare << "SELECT alliance_id, school_urn FROM alliance_members"
                                                      " WHERE alliance_id = :id OR :all = 1 ORDER BY school_urn",
                                       soci::use(key), soci::use(all));
    for (const auto& row : members) {
      const auto id = workflow::row_integer(row, 0);
      for (auto& a : out) {
        if (a.id == id) a.members.push_back(static_cast<std::int32_t>(workflow::row_integer(row, 1)));
      }
    }
    return out;
  });
}

std::vector<SystemLeader> read_system_leaders(workflow::Database& db, std::optional<std::int64_t> only) {
  const auto [key, all] = one_or_all(only);
  return db.read([&](soci::session& sql) {
    std::vector<SystemLeader> out;
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT id, name, email, home_school_urn, alliance_id FROM system_leaders"
                        " WHERE id = :id OR :all = 1 ORDER BY id",
         soci::use(key), soci::use(all));
    for (const auto& row : rows) {
      SystemLeader leader{workflow::row_integer(row, 0),
                          workflow::row_text(row, 1),
                          workflow::row_text(row, 2),
                          static_cast<std::int32_t>(workflow::row_integer(row, 3)),
                          std::nullopt,
                          {}};
      if (row.get_indicator(4) != soci::i_null) leader.alliance_id = workflow::row_integer(row, 4);
      out.push_back(std::move(leader));
    }
    soci::rowset<soci::row> designations =
        (sql.prepare << "SELECT system_leader_id, designation, specialisms, CAST(active_from AS TEXT),"
                        " CAST(active_to AS TEXT), id, ended_by_case_id FROM designations"
                        " WHERE system_leader_id = :id OR :all = 1 ORDER BY system_leader_id, id",
         soci::use(key), soci::use(all));
    auto it = out.begin();
    for (const auto& row : designations) {
      const auto id = workflow::row_integer(row, 0);
      while (it != out.end() && it->id < id) ++it;
      if (it == out.end()) break;
      if (it->id != id) continue;
      Designation d;
      d.code = workflow::row_text(row, 1);
      d.specialisms = workflow::row_text(row, 2);
      d.active_from = workflow::row_text(row, 3);
      d.active_to = workflow::row_text(row, 4);
      d.id = workflow::row_integer(row, 5);
      if (row.get_indicator(6) != soci::i_null) d.ended_by_case_id = workflow::row_integer(row, 6);
      it->designations.push_back(std::move(d));
    }
    return out;
  });
}

}  // namespace

std::vector<Alliance> alliances(workflow::Database& db) { return read_alliances(db, std::nullopt); }

std::vector<std::pair<std::int64_t, std::string>> alliance_names(workflow::Database& db) {
  return db.read([](soci::session& sql) {
    std::vector<std::pair<std::int64_t, std::string>> out;
    soci::rowset<soci::row> rows = (sql.prepare << "SELECT id, name FROM alliances ORDER BY name, id");
    for (const auto& row : rows) out.emplace_back(workflow::row_integer(row, 0), workflow::row_text(row, 1));
    return out;
  });
}

std::optional<Alliance> find_alliance(workflow::Database& db, std::int64_t id) {
  auto found = read_alliances(db, id);
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::vector<SystemLeader> system_leaders(workflow::Database& db) { return read_system_leaders(db, std::nullopt); }

std::optional<SystemLeader> find_system_leader(workflow::Database& db, std::int64_t id) {
  auto found = read_system_leaders(db, id);
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

Capacity capacity(workflow::Database& db, std::int64_t system_leader_id, std::string_view academic_year) {
  const long long id = system_leader_id;
  const std::string year(academic_year);
  return db.read([&](soci::session& sql) {
    int offered = 0;
    int reserved = 0;
    int consumed = 0;
    sql << "SELECT half_days_offered, half_days_reserved, half_days_consumed FROM capacity"
           " WHERE system_leader_id = :id AND academic_year = :y",
        soci::use(id), soci::use(year), soci::into(offered), soci::into(reserved), soci::into(consumed);
    return Capacity{offered / 2.0, reserved / 2.0, consumed / 2.0};
  });
}

std::vector<LeaderDays> days_by_leader(workflow::Database& db, const std::string& academic_year) {
  const std::string year = academic_year;
  return db.read([&](soci::session& session) {
    std::vector<LeaderDays> out;
    soci::rowset<soci::row> rows =
        (session.prepare
             << "SELECT l.id, l.name, COALESCE(c.half_days_offered, 0), COALESCE(c.half_days_reserved, 0),"
                " COALESCE(c.half_days_consumed, 0) FROM system_leaders l"
                " LEFT JOIN capacity c ON c.system_leader_id = l.id AND c.academic_year = :y"
                " ORDER BY COALESCE(c.half_days_offered, 0) - COALESCE(c.half_days_reserved, 0) DESC, l.name, l.id",
         soci::use(year));
    for (const auto& row : rows) {
      out.push_back(LeaderDays{workflow::row_integer(row, 0), workflow::row_text(row, 1),
                               Capacity{static_cast<double>(workflow::row_integer(row, 2)) / 2.0,
                                        static_cast<double>(workflow::row_integer(row, 3)) / 2.0,
                                        static_cast<double>(workflow::row_integer(row, 4)) / 2.0}});
    }
    return out;
  });
}

namespace {

// The per-event capacity statements, prepared once per connection.
struct CapacityStatements {
  explicit CapacityStatements(soci::session& sql)
      : reserve((sql.prepare << "UPDATE capacity SET half_days_reserved = half_days_reserved + :h"
                                " WHERE system_leader_id = :id AND academic_year = :y"
                                " AND half_days_reserved + :h2 <= half_days_offered RETURNING half_days_reserved",
                 soci::use(halves), soci::use(id), soci::use(year), soci::use(halves), soci::into(returned))),
        release((sql.prepare << "UPDATE capacity SET half_days_reserved = CASE WHEN half_days_reserved > :h"
                                " THEN half_days_reserved - :h2 ELSE 0 END"
                                " WHERE system_leader_id = :id AND academic_year = :y",
                 soci::use(halves), soci::use(halves), soci::use(id), soci::use(year))),
        consume((sql.prepare << "UPDATE capacity SET half_days_consumed = half_days_consumed + :h"
                                " WHERE system_leader_id = :id AND academic_year = :y",
                 soci::use(halves), soci::use(id), soci::use(year))) {}

  int halves = 0;
  long long id = 0;
  std::string year;
  int returned = 0;
  soci::statement reserve;
  soci::statement release;
  soci::statement consume;
};

CapacityStatements& statements(workflow::Database::Connection& connection, std::int64_t system_leader_id,
                               std::string_view academic_year, double days) {
  auto& st = connection.local<CapacityStatements>(
      [](soci::session& sql) { return std::make_unique<CapacityStatements>(sql); });
  st.halves = half_days(days);
  st.id = system_leader_id;
  st.year = std::string(academic_year);
  return st;
}

}  // namespace

bool reserve_capacity(workflow::Database::Connection& connection, std::int64_t system_leader_id,
                      std::string_view academic_year, double days) {
  // The condition sits in the UPDATE itself: PostgreSQL re-checks it on the
  // row as the previous writer left it, so no two acceptances can both fit.
  auto& st = statements(connection, system_leader_id, academic_year, days);
  return workflow::execute_once(st.reserve, connection.backend());
}

void release_capacity(workflow::Database::Connection& connection, std::int64_t system_leader_id,
                      std::string_view academic_year, double days) {
  auto& st = statements(connection, system_leader_id, academic_year, days);
  workflow::execute_once(st.release, connection.backend());
}

void consume_capacity(workflow::Database::Connection& connection, std::int64_t system_leader_id,
                      std::string_view academic_year, double days) {
  auto& st = statements(connection, system_leader_id, academic_year, std::abs(days));
  if (days < 0) st.halves = -st.halves;  // a correction gives logged days back
  workflow::execute_once(st.consume, connection.backend());
}

}  // namespace s2s::cases
