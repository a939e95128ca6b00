#include "cases/deployments.h"

#include <fmt/format.h>
#include <soci/soci.h>
#include <boost/json.hpp>

#include <charconv>
#include <cmath>

#include "cases/matching.h"
#include "cases/providers.h"
#include "cases/schools.h"
#include "workflow/case_store.h"
#include "workflow/date.h"
#include "workflow/engine.h"
#include "workflow/sql_query.h"
#include "workflow/timestamp.h"

namespace s2s::cases {
namespace {

using workflow::CaseSnapshot;
using workflow::Database;
using workflow::EngineError;
using workflow::row_integer;
using workflow::row_text;

// Refuses the event: the engine rolls it back and reports `reason`.
[[noreturn]] void refuse(const CaseSnapshot& c, const std::string& reason) {
  throw EngineError(EngineError::Code::guard_failed, c.reference + ": " + reason, {}, reason);
}

long long leader_of(const boost::json::object& args) { return args.at("system_leader_id").to_number<long long>(); }
double number_arg(const boost::json::object& args, std::string_view key) {
  const auto* value = args.if_contains(key);
  return value != nullptr && value->is_number() ? value->to_number<double>() : 0;
}
std::string text_arg(const boost::json::object& args, std::string_view key) {
  const auto* value = args.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}
int halves(double days) { return static_cast<int>(std::lround(days * 2)); }

void propose(Database::Connection& connection, const CaseSnapshot& c, const boost::json::object& args) {
  if (c.case_kind == nullptr) throw std::logic_error("deployment.propose runs only inside an event");
  MatchRequest request;
  request.kind = c.kind;
  request.provider = &c.case_kind->provider();
  request.school_urn = c.school_urn;
  request.case_id = c.id;
  request.days = number_arg(args, "days");
  request.on = workflow::parse_date(text_arg(args, "on")).value();
  if (const auto* focus = args.if_contains("focus_areas"); focus != nullptr && focus->is_array()) {
    for (const auto& area : focus->get_array()) {
      if (area.is_string()) request.focus_areas.emplace_back(area.get_string());
    }
  }
  const long long leader = leader_of(args);
  Eligibility fit;
  try {
    fit = eligibility(connection, request, leader);
  } catch (const workflow::Refused& e) {
    refuse(c, e.what());
  }
  if (!fit.reasons.empty()) {
    std::string why;
    for (const auto& r : fit.reasons) why += (why.empty() ? "" : "; ") + r.reason;
    refuse(c, fmt::format("system leader {} is not eligible: {}", leader, why));
  }
  const long long case_id = c.id;
  const long long designation = fit.designation_id;
  const std::string on = text_arg(args, "on");
  // The designation it is made under is kept: an SLE deployment is one made
  // under an SLE designation (docs/kpis.md).
  connection.session() << "INSERT INTO deployments (case_id, system_leader_id, status, proposed_on, designation_id)"
                          " VALUES (:c, :l, 'proposed', :on, :g)",
      soci::use(case_id), soci::use(leader), soci::use(on), soci::use(designation);
}

void accept(Database::Connection& connection, const CaseSnapshot& c, const boost::json::object& args) {
  const long long leader = leader_of(args);
  const double days = number_arg(args, "days");
  const std::string year = text_arg(args, "academic_year");
  if (days > 0 && !reserve_capacity(connection, leader, year, days)) {
    refuse(c, fmt::format("system leader {} does not have {} unreserved days in {}", leader, days, year));
  }
  const long long case_id = c.id;
  const int reserved = halves(days);
  const std::string on = text_arg(args, "on");
  // A case proposed before deployments were recorded has no row yet: upsert.
  connection.session() << "INSERT INTO deployments (case_id, system_leader_id, status, proposed_on, accepted_on,"
                          " academic_year, half_days_reserved) VALUES (:c, :l, 'active', :p, :a, :y, :h)"
                          " ON CONFLICT (case_id, system_leader_id) DO UPDATE SET status = 'active',"
                          " accepted_on = excluded.accepted_on, academic_year = excluded.academic_year,"
                          " half_days_reserved = excluded.half_days_reserved",
      soci::use(case_id), soci::use(leader), soci::use(on), soci::use(on), soci::use(year), soci::use(reserved);
}

void decline(Database::Connection& connection, const CaseSnapshot& c, const boost::json::object& args) {
  const long long case_id = c.id;
  const long long leader = leader_of(args);
  const std::string on = text_arg(args, "on");
  connection.session() << "UPDATE deployments SET status = 'declined', ended_on = :on"
                          " WHERE case_id = :c AND system_leader_id = :l AND status = 'proposed'",
      soci::use(on), soci::use(case_id), soci::use(leader);
}

void end(Database::Connection& connection, const CaseSnapshot& c, const boost::json::object& args) {
  const long long case_id = c.id;
  const long long leader = leader_of(args);
  const double release = number_arg(args, "release");
  const std::string year = text_arg(args, "academic_year");
  if (release > 0 && !year.empty()) release_capacity(connection, leader, year, release);
  const std::string status = text_arg(args, "status");
  const std::string on = text_arg(args, "on");
  const int released = halves(release);
  connection.session() << "UPDATE deployments SET status = :s, ended_on = :on,"
                          " half_days_reserved = CASE WHEN half_days_reserved > :h THEN half_days_reserved - :h2"
                          " ELSE 0 END"
                          " WHERE case_id = :c AND system_leader_id = :l AND status IN ('proposed', 'active')",
      soci::use(status), soci::use(on), soci::use(released), soci::use(released), soci::use(case_id), soci::use(leader);
}

void log_day(Database::Connection& connection, const CaseSnapshot& c, const boost::json::object& args) {
  const long long case_id = c.id;
  const long long leader = leader_of(args);
  const int entry = static_cast<int>(number_arg(args, "entry"));
  const std::string day = text_arg(args, "date");
  const int half_days = halves(number_arg(args, "days"));
  const std::string activity = text_arg(args, "activity");
  const std::string funding = text_arg(args, "funding_source");
  soci::indicator funding_ind = funding.empty() ? soci::i_null : soci::i_ok;
  const auto* corrects_value = args.if_contains("corrects");
  const int corrects = corrects_value != nullptr ? corrects_value->to_number<int>() : 0;
  soci::indicator corrects_ind = corrects_value != nullptr ? soci::i_ok : soci::i_null;
  const std::string now = workflow::format_timestamp(std::chrono::system_clock::now());
  connection.session() << "INSERT INTO deployment_days (case_id, entry, system_leader_id, day, half_days, activity,"
                          " funding_source, corrects_entry, recorded_at)"
                          " VALUES (:c, :e, :l, :d, :h, :a, :f, :x, :now)",
      soci::use(case_id), soci::use(entry), soci::use(leader), soci::use(day), soci::use(half_days),
      soci::use(activity), soci::use(funding, funding_ind), soci::use(corrects, corrects_ind), soci::use(now);
  // The totals the KPIs read: this entry's days added, the corrected entry's taken back.
  const auto add_total = [&](long long who, const std::string& on, const std::string& source, int amount) {
    const auto date = workflow::parse_date(on);
    if (!date || amount == 0) return;
    const std::string academic_year = academic_year_of(*date);
    connection.session() << "INSERT INTO deployment_day_totals (case_id, system_leader_id, academic_year,"
                            " funding_source, half_days) VALUES (:c, :l, :y, :f, :h)"
                            " ON CONFLICT (case_id, system_leader_id, academic_year, funding_source)"
                            " DO UPDATE SET half_days = deployment_day_totals.half_days + excluded.half_days",
        soci::use(case_id), soci::use(who), soci::use(academic_year), soci::use(source), soci::use(amount);
  };
  add_total(leader, day, funding, half_days);
  // The deployment's last day of support (docs/performance.md): a later day
  // moves it on; a correction works it out again from the entries in force.
  if (corrects_value == nullptr && half_days > 0) {
    connection.session() << "UPDATE deployments SET last_day = :d WHERE case_id = :c AND system_leader_id = :l"
                            " AND (last_day IS NULL OR last_day < :d2)",
        soci::use(day), soci::use(case_id), soci::use(leader), soci::use(day);
  }
  if (corrects_value != nullptr) {
    const auto work_out_last_day = [&](long long who) {
      connection.session() << "UPDATE deployments SET last_day = (SELECT MAX(d.day) FROM deployment_days d"
                              " WHERE d.case_id = :c AND d.system_leader_id = :l AND d.half_days > 0"
                              " AND NOT EXISTS (SELECT 1 FROM deployment_days x WHERE x.case_id = d.case_id"
                              " AND x.corrects_entry = d.entry)) WHERE case_id = :c2 AND system_leader_id = :l2",
          soci::use(case_id), soci::use(who), soci::use(case_id), soci::use(who);
    };
    long long old_leader = 0;
    std::string old_day;
    int old_half_days = 0;
    std::string old_funding;
    soci::indicator old_funding_ind = soci::i_ok;
    connection.session() << "SELECT system_leader_id, CAST(day AS TEXT), half_days, funding_source"
                            " FROM deployment_days WHERE case_id = :c AND entry = :e",
        soci::use(case_id), soci::use(corrects), soci::into(old_leader), soci::into(old_day), soci::into(old_half_days),
        soci::into(old_funding, old_funding_ind);
    if (connection.session().got_data()) {
      add_total(old_leader, old_day, old_funding_ind == soci::i_null ? std::string() : old_funding, -old_half_days);
      if (old_leader != leader) work_out_last_day(old_leader);
    }
    work_out_last_day(leader);
  }
  const double change = number_arg(args, "change");
  const std::string year = text_arg(args, "academic_year");
  if (change != 0 && !year.empty()) consume_capacity(connection, leader, year, change);
}

void rate(Database::Connection& connection, const CaseSnapshot& c, const boost::json::object& args) {
  const long long case_id = c.id;
  const long long leader = leader_of(args);
  const int grade = static_cast<int>(number_arg(args, "grade"));
  connection.session() << "UPDATE deployments SET rating = :g"
                          " WHERE case_id = :c AND system_leader_id = :l AND status IN ('active', 'ended')",
      soci::use(grade), soci::use(case_id), soci::use(leader);
}

// A designation review names the designation it reviews: one that exists,
// is still held, and belongs to a system leader of the case's school (the
// school that may appeal and must be contacted). Matching then keeps the
// holder from reviewing themself (conflict_same_school).
void review_designation(Database::Connection& connection, const CaseSnapshot& c, const boost::json::object& args) {
  const auto id = args.at("designation_id").to_number<std::int64_t>();
  const auto found = find_designation(connection, id);
  if (!found) refuse(c, "designation_id: there is no designation " + std::to_string(id));
  const auto& d = found->designation;
  const std::string label = d.label() + " of " + found->system_leader_name;
  if (!d.active_to.empty() && d.active_to < workflow::format_date(c.opened_on)) {
    refuse(c, "designation_id: " + label + " ended on " + d.active_to + ": there is nothing to review");
  }
  if (found->home_school_urn != c.school_urn) {
    refuse(c, "designation_id: " + label + " works at school " + std::to_string(found->home_school_urn) +
                  ", not at the school under review (" + std::to_string(c.school_urn) + ")");
  }
}

// A de-designation became final: the reviewed designation ends that day, and
// the leads of the open deployments made under it hear of it.
void end_reviewed_designation(Database::Connection& connection, const CaseSnapshot& c,
                              const boost::json::object& args) {
  const auto id = args.at("designation_id").to_number<std::int64_t>();
  const auto on = workflow::parse_date(text_arg(args, "on")).value();
  const auto found = find_designation(connection, id);
  if (!found) return;  // a review opened before designations were named by id
  (void)end_designation(connection, id, on, c.id);
  const long long key = id;
  struct Open {
    long long case_id = 0;
    std::string reference;
    std::string kind;
    long long urn = 0;
    std::string state;
  };
  std::vector<Open> open;
  {
    soci::rowset<soci::row> rows =
        (connection.session().prepare << "SELECT c.id, c.reference, c.kind, c.school_urn, c.state FROM deployments d"
                                         " JOIN cases c ON c.id = d.case_id WHERE d.designation_id = :g"
                                         " AND d.status IN ('proposed', 'active') ORDER BY c.id",
         soci::use(key));
    for (const auto& r : rows) open.push_back({row_integer(r, 0), row_text(r, 1), row_text(r, 2), row_integer(r, 3),
                                               row_text(r, 4)});
  }
  workflow::CaseStore store(connection);
  const std::string now = workflow::format_timestamp(std::chrono::system_clock::now());
  for (const auto& o : open) {
    const boost::json::object payload{{"case_id", o.case_id},
                                      {"reference", o.reference},
                                      {"kind", o.kind},
                                      {"school_urn", o.urn},
                                      {"event", "designation_ended"},
                                      {"state", o.state},
                                      {"designation", found->designation.label() + " of " + found->system_leader_name},
                                      {"ended_on", text_arg(args, "on")},
                                      {"ended_by", c.reference}};
    store.insert_outbox(o.case_id, "designation_ended", boost::json::serialize(payload), now);
  }
}

// A person's scope as the actor carries it: "KIND:VALUE", with
// ";phase:GROUP,GROUP" when a lead is narrowed to phases.
struct PersonScope {
  std::string_view kind;
  std::string_view value;
  std::vector<std::string> phases;
};

PersonScope parse_scope(std::string_view scope) {
  PersonScope out;
  std::string_view place = scope;
  if (const auto semicolon = scope.find(";phase:"); semicolon != std::string_view::npos) {
    place = scope.substr(0, semicolon);
    out.phases = phase_list(scope.substr(semicolon + 7));
  }
  const auto colon = place.find(':');
  if (colon == std::string_view::npos) {
    out.kind = place;
  } else {
    out.kind = place.substr(0, colon);
    out.value = place.substr(colon + 1);
  }
  return out;
}

}  // namespace

double days_needed(const workflow::CaseKind& kind, const boost::json::object& data) {
  for (const char* key : {"requested_days", "planned_days"}) {
    if (const auto* days = data.if_contains(key); days != nullptr && days->is_number())
      return days->to_number<double>();
  }
  return kind.provider().default_days;
}

void register_deployment_effects(workflow::KindRegistry& kinds) {
  kinds.add_effect("deployment.propose", propose);
  kinds.add_effect("deployment.accept", accept);
  kinds.add_effect("deployment.decline", decline);
  kinds.add_effect("deployment.end", end);
  kinds.add_effect("deployment.log_day", log_day);
  kinds.add_effect("deployment.rate", rate);
  kinds.add_effect("designation.review", review_designation);
  kinds.add_effect("designation.end", end_reviewed_designation);
}

namespace {

// The scope checks every case read and event makes, kept with the
// connection: each planned once, not per call.
struct ScopeStatements {
  explicit ScopeStatements(soci::session& sql)
      : leader((sql.prepare << "SELECT count(*) FROM deployments WHERE case_id = :c AND system_leader_id = :l"
                               " AND status <> 'declined'",
                soci::use(case_id), soci::use(leader_id), soci::into(found))),
        la((sql.prepare << "SELECT count(*) FROM schools WHERE urn = :u AND la_code = :la", soci::use(urn),
            soci::use(number), soci::into(found))),
        region((sql.prepare << "SELECT count(*) FROM schools s JOIN la_mini_regions m ON m.la_code = s.la_code"
                               " WHERE s.urn = :u AND m.mini_region = :r",
                soci::use(urn), soci::use(value), soci::into(found))),
        alliance((sql.prepare << "SELECT count(*) FROM alliances a WHERE a.id = :a"
                                 " AND (a.lead_school_urn = :u OR EXISTS (SELECT 1 FROM alliance_members m"
                                 " WHERE m.alliance_id = a.id AND m.school_urn = :u2))",
                  soci::use(number), soci::use(urn), soci::use(urn2), soci::into(found))),
        phase((sql.prepare << "SELECT phase_group FROM schools WHERE urn = :u", soci::use(urn),
               soci::into(phase_group, phase_ind))) {}

  long long case_id = 0;
  long long leader_id = 0;
  int urn = 0;
  int urn2 = 0;
  std::string value;
  long long number = 0;  // the scope's value as a number (LA code, alliance id)
  int found = 0;
  soci::statement leader;
  soci::statement la;
  soci::statement region;
  soci::statement alliance;
  std::string phase_group;
  soci::indicator phase_ind = soci::i_ok;
  soci::statement phase;

  bool any(soci::statement& statement, workflow::Backend backend) {
    found = 0;
    return workflow::execute_once(statement, backend) && found > 0;
  }
};

}  // namespace

namespace {

// scope_refusal's rules; `known` is the case's school when the caller has
// read it (then the place and phase are taken from it), else null.
std::optional<std::string> refusal(Database::Connection& connection, const workflow::Actor& actor,
                                   const CaseSnapshot& snapshot, const std::optional<School>* known) {
  const auto scope = parse_scope(actor.scope);
  const auto scope_kind = scope.kind;
  const auto scope_value = scope.value;
  // The strategic group reads every case (and sends no event: no kind names it).
  if (actor.role == "admin" || actor.role == "strategic") return std::nullopt;
  if (actor.role == "school") {
    if (scope_kind == "school" && scope_value == std::to_string(snapshot.school_urn)) return std::nullopt;
    return "a school user sees only its own school's cases";
  }
  auto& st =
      connection.local<ScopeStatements>([](soci::session& sql) { return std::make_unique<ScopeStatements>(sql); });
  const auto backend = connection.backend();
  st.urn = snapshot.school_urn;
  st.urn2 = snapshot.school_urn;
  st.value = std::string(scope_value);
  // Numeric scopes as numbers, the same as scope_condition compares them.
  long long number = 0;
  const auto parsed = std::from_chars(st.value.data(), st.value.data() + st.value.size(), number);
  const bool numeric = !st.value.empty() && parsed.ec == std::errc() && parsed.ptr == st.value.data() + st.value.size();
  st.number = number;
  const School* school = known != nullptr && known->has_value() ? &**known : nullptr;
  if (actor.role == "system_leader") {
    if (scope_kind != "system_leader" || !numeric || snapshot.id == 0) {
      return "a system leader sees only the cases they work on";
    }
    st.case_id = snapshot.id;
    st.leader_id = number;
    if (st.any(st.leader, backend)) return std::nullopt;
    return "a system leader sees only the cases they are proposed for or deployed to";
  }
  if (actor.role == "la_officer") {
    const bool in_la = scope_kind == "la" && numeric &&
                       (known != nullptr ? school != nullptr && school->la_code == number : st.any(st.la, backend));
    if (in_la) return std::nullopt;
    return "an LA officer sees only the cases of schools in their local authority";
  }
  if (actor.role == "lead") {
    const bool in_region =
        scope_kind == "mini_region" &&
        (known != nullptr ? school != nullptr && !st.value.empty() && school->mini_region == st.value
                          : st.any(st.region, backend));
    const bool place = in_region || (scope_kind == "alliance" && numeric && st.any(st.alliance, backend));
    if (!place) return "a lead sees only the cases of schools in their mini region or alliance";
    if (scope.phases.empty()) return std::nullopt;
    std::optional<std::string> phase_group;
    if (known != nullptr) {
      if (school != nullptr) phase_group = school->phase_group;
    } else {
      st.phase_ind = soci::i_ok;
      st.phase_group.clear();
      if (workflow::execute_once(st.phase, backend) && st.phase_ind != soci::i_null) phase_group = st.phase_group;
    }
    if (phase_group && std::find(scope.phases.begin(), scope.phases.end(), *phase_group) != scope.phases.end()) {
      return std::nullopt;
    }
    return "a lead narrowed to phases sees only the cases of schools in those phases";
  }
  return "the role '" + actor.role + "' sees no cases";
}

}  // namespace

std::optional<std::string> scope_refusal(Database::Connection& connection, const workflow::Actor& actor,
                                         const CaseSnapshot& snapshot) {
  return refusal(connection, actor, snapshot, nullptr);
}

std::optional<std::string> scope_refusal_given_school(Database::Connection& connection, const workflow::Actor& actor,
                                                      const CaseSnapshot& snapshot,
                                                      const std::optional<School>& school) {
  return refusal(connection, actor, snapshot, &school);
}

ScopeCondition scope_condition(const workflow::Actor& actor) {
  const auto scope = parse_scope(actor.scope);
  const auto scope_kind = scope.kind;
  const std::string value(scope.value);
  // Integers are compared as integers (so indexes serve), after checking the
  // scope holds one: a malformed scope sees nothing rather than an SQL error.
  const auto number = [&]() -> std::optional<std::string> {
    long long n = 0;
    const auto parsed = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || parsed.ec != std::errc() || parsed.ptr != value.data() + value.size()) return std::nullopt;
    return std::to_string(n);
  }();
  const ScopeCondition none{"1 = 0", {}};
  if (actor.role == "admin" || actor.role == "strategic") return {"1 = 1", {}};
  if (actor.role == "school") {
    if (scope_kind != "school" || !number) return none;
    return {"c.school_urn = CAST(? AS INTEGER)", {*number}};
  }
  if (actor.role == "system_leader") {
    if (scope_kind != "system_leader" || !number) return none;
    return {
        "EXISTS (SELECT 1 FROM deployments d WHERE d.case_id = c.id"
        " AND d.system_leader_id = CAST(? AS BIGINT) AND d.status <> 'declined')",
        {*number}};
  }
  if (actor.role == "la_officer") {
    if (scope_kind != "la" || !number) return none;
    return {"s.la_code = CAST(? AS INTEGER)", {*number}};
  }
  if (actor.role != "lead") return none;
  ScopeCondition lead;
  if (scope_kind == "mini_region") {
    lead = {"s.la_code IN (SELECT la_code FROM la_mini_regions WHERE mini_region = ?)", {value}};
  } else if (scope_kind == "alliance" && number) {
    lead = {
        // One IN over a UNION, which the database joins as a set, rather than
        // two INs joined by OR, which it tests case by case.
        "c.school_urn IN (SELECT school_urn FROM alliance_members WHERE alliance_id = CAST(? AS BIGINT)"
        " UNION SELECT lead_school_urn FROM alliances WHERE id = CAST(? AS BIGINT))",
        {*number, *number}};
  } else {
    return none;
  }
  if (!scope.phases.empty()) {
    lead.sql = "(" + lead.sql + " AND s.phase_group IN (";
    for (std::size_t i = 0; i < scope.phases.size(); ++i) {
      lead.sql += i == 0 ? "?" : ", ?";
      lead.values.push_back(scope.phases[i]);
    }
    lead.sql += "))";
  }
  return lead;
}

ScopeCondition school_scope_condition(const workflow::Actor& actor) {
  if (actor.role == "system_leader") return {"1 = 0", {}};
  ScopeCondition scope = scope_condition(actor);
  // The case's school is the school: c.school_urn reads s.urn.
  for (auto at = scope.sql.find("c.school_urn"); at != std::string::npos; at = scope.sql.find("c.school_urn", at)) {
    scope.sql.replace(at, 12, "s.urn");
  }
  return scope;
}

void add_scope_condition(workflow::SqlQuery& sql, const workflow::Actor& actor) {
  const auto scope = scope_condition(actor);
  sql.add(scope.sql, scope.values);
}

std::vector<QuietDeployment> quiet_deployments(Database& db, const workflow::Actor& actor,
                                               std::chrono::year_month_day since, int limit) {
  // Each deployment's last day of support in force, kept as days are logged
  // (log_day), read in the order of the index deployments_quiet: the longest
  // quiet first, stopping at the limit.
  workflow::SqlQuery sql(
      "SELECT c.id, c.reference, s.name, l.name, CAST(p.accepted_on AS TEXT), CAST(p.last_day AS TEXT)"
      " FROM deployments p JOIN cases c ON c.id = p.case_id LEFT JOIN schools s ON s.urn = c.school_urn"
      " JOIN system_leaders l ON l.id = p.system_leader_id"
      " WHERE p.status = 'active' AND p.accepted_on IS NOT NULL AND");
  sql.add(" COALESCE(p.last_day, p.accepted_on) < ? AND ", workflow::format_date(since));
  add_scope_condition(sql, actor);
  // The limit is ours, an integer.
  sql.add(" ORDER BY COALESCE(p.last_day, p.accepted_on), p.case_id, p.system_leader_id LIMIT " +
          std::to_string(limit));
  return db.read([&](soci::session& session) {
    std::vector<QuietDeployment> out;
    sql.each(session, [&](const soci::row& row) {
      out.push_back(QuietDeployment{row_integer(row, 0), row_text(row, 1), row_text(row, 2), row_text(row, 3),
                                    row_text(row, 4), row_text(row, 5)});
    });
    return out;
  });
}

ScopedLeaderDays days_by_leader_in_scope(Database& db, const workflow::Actor& actor, const std::string& academic_year,
                                         int limit) {
  workflow::SqlQuery sql("");
  sql.add(
      "SELECT l.id, l.name, COALESCE(y.half_days_offered, 0), COALESCE(y.half_days_reserved, 0),"
      " COALESCE(y.half_days_consumed, 0) FROM system_leaders l"
      " LEFT JOIN capacity y ON y.system_leader_id = l.id AND y.academic_year = ?"
      " WHERE l.id IN (SELECT p.system_leader_id FROM deployments p JOIN cases c ON c.id = p.case_id"
      " LEFT JOIN schools s ON s.urn = c.school_urn WHERE p.academic_year = ? AND ",
      std::vector<std::string>{academic_year, academic_year});
  add_scope_condition(sql, actor);
  // The scope's conditions name a case's school as c.school_urn and its row as s.
  sql.add(" UNION SELECT h.id FROM system_leaders h JOIN schools s ON s.urn = h.home_school_urn"
          " JOIN (SELECT urn AS school_urn, 0 AS id FROM schools) c ON c.school_urn = s.urn WHERE ");
  add_scope_condition(sql, actor);
  // The limit is ours, an integer: one more row than asked says whether more follow.
  sql.add(") ORDER BY COALESCE(y.half_days_offered, 0) - COALESCE(y.half_days_reserved, 0) DESC, l.name, l.id LIMIT " +
          std::to_string(limit + 1));
  ScopedLeaderDays out;
  auto connection = db.acquire();
  try {
    out.more = sql.read_page(connection.session(), limit, [&](const soci::row& row) {
      out.items.push_back(LeaderDays{row_integer(row, 0), row_text(row, 1),
                                     Capacity{static_cast<double>(row_integer(row, 2)) / 2.0,
                                              static_cast<double>(row_integer(row, 3)) / 2.0,
                                              static_cast<double>(row_integer(row, 4)) / 2.0}});
    });
  } catch (...) {
    connection.rethrow_translated();
  }
  return out;
}

std::vector<LeaderDeployment> deployments_of_leader(Database& db, std::int64_t system_leader_id) {
  const long long id = system_leader_id;
  return db.read([&](soci::session& session) {
    std::vector<LeaderDeployment> out;
    // Days in force: the entries no later entry corrects.
    soci::rowset<soci::row> rows =
        (session.prepare
             << "SELECT c.reference, c.kind, s.name, p.status, CAST(p.proposed_on AS TEXT),"
                " CAST(p.accepted_on AS TEXT), CAST(p.ended_on AS TEXT), p.rating,"
                " (SELECT COALESCE(SUM(d.half_days), 0) FROM deployment_days d WHERE d.case_id = p.case_id"
                "  AND d.system_leader_id = p.system_leader_id AND NOT EXISTS (SELECT 1 FROM deployment_days x"
                "  WHERE x.case_id = d.case_id AND x.corrects_entry = d.entry))"
                " FROM deployments p JOIN cases c ON c.id = p.case_id LEFT JOIN schools s ON s.urn = c.school_urn"
                " WHERE p.system_leader_id = :id ORDER BY p.proposed_on DESC, p.id DESC",
         soci::use(id));
    for (const auto& row : rows) {
      LeaderDeployment d{row_text(row, 0), row_text(row, 1), row_text(row, 2), row_text(row, 3), row_text(row, 4),
                         row_text(row, 5), row_text(row, 6), std::nullopt,
                         static_cast<double>(row_integer(row, 8)) / 2};
      if (row.get_indicator(7) != soci::i_null) d.rating = static_cast<int>(row_integer(row, 7));
      out.push_back(std::move(d));
    }
    return out;
  });
}

std::map<std::string, double> logged_days_of_leader(Database& db, std::int64_t system_leader_id,
                                                    std::chrono::year_month_day from, std::chrono::year_month_day to) {
  const long long id = system_leader_id;
  const std::string first = workflow::format_date(from);
  const std::string last = workflow::format_date(to);
  return db.read([&](soci::session& session) {
    std::map<std::string, double> out;
    soci::rowset<soci::row> rows =
        (session.prepare
             << "SELECT CAST(d.day AS TEXT), SUM(d.half_days) FROM deployment_days d"
                " WHERE d.system_leader_id = :id AND d.day >= :f AND d.day <= :t AND d.half_days > 0"
                " AND NOT EXISTS (SELECT 1 FROM deployment_days x WHERE x.case_id = d.case_id"
                " AND x.corrects_entry = d.entry) GROUP BY d.day ORDER BY d.day",
         soci::use(id), soci::use(first), soci::use(last));
    for (const auto& row : rows) out[row_text(row, 0)] = static_cast<double>(row_integer(row, 1)) / 2;
    return out;
  });
}

namespace {

// Entries are numbered 1, 2, ... per case: entry n is out[n - 1].
void mark_corrections(std::vector<DeploymentDay>& out) {
  for (const auto& d : out) {
    if (d.corrects && *d.corrects >= 1 && static_cast<std::size_t>(*d.corrects) <= out.size()) {
      out[static_cast<std::size_t>(*d.corrects) - 1].corrected_by = d.entry;
    }
  }
}

}  // namespace

std::vector<DeploymentDay> deployment_days(Database& db, std::int64_t case_id) {
  const long long key = case_id;
  std::vector<DeploymentDay> out;
  auto connection = db.acquire();
  try {
    soci::rowset<soci::row> rows =
        (connection.session().prepare << "SELECT entry, system_leader_id, CAST(day AS TEXT), half_days, activity,"
                                         " funding_source, corrects_entry FROM deployment_days WHERE case_id = :c"
                                         " ORDER BY entry",
         soci::use(key));
    for (const auto& row : rows) {
      DeploymentDay d;
      d.entry = static_cast<int>(row_integer(row, 0));
      d.system_leader_id = row_integer(row, 1);
      d.day = row_text(row, 2);
      d.days = static_cast<double>(row_integer(row, 3)) / 2;
      d.activity = row_text(row, 4);
      d.funding_source = row_text(row, 5);
      if (row.get_indicator(6) != soci::i_null) d.corrects = static_cast<int>(row_integer(row, 6));
      out.push_back(std::move(d));
    }
  } catch (...) {
    connection.rethrow_translated();
  }
  mark_corrections(out);
  return out;
}

std::vector<DeploymentDay> recorded_days(const workflow::Case& c) {
  std::vector<DeploymentDay> out;
  const auto* entries = c.data.if_contains("day_entries");
  if (entries == nullptr || !entries->is_array()) return out;
  const auto text = [](const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  for (const auto& e : entries->get_array()) {
    if (!e.is_object()) continue;
    const auto& entry = e.get_object();
    DeploymentDay d;
    d.entry = static_cast<int>(entry_field(e, "entry"));
    d.day = text(entry, "date");
    d.days = number_of(entry.if_contains("days"));
    d.activity = text(entry, "activity");
    if (const auto corrects = entry_field(e, "corrects"); corrects != 0) d.corrects = static_cast<int>(corrects);
    out.push_back(std::move(d));
  }
  mark_corrections(out);
  return out;
}

std::string supporter_columns_sql() {
  return "sl.id, sl.name, sl.email, sl.home_school_urn, sh.name, sg.designation, sg.specialisms, sd.status";
}

std::string supporter_joins_sql(std::string_view case_id) {
  const std::string id(case_id);
  // The latest deployment that was accepted (active, or ended since).
  return " LEFT JOIN deployments sd ON sd.id = (SELECT MAX(x.id) FROM deployments x WHERE x.case_id = " + id +
         " AND x.status IN ('active', 'ended'))"
         " LEFT JOIN system_leaders sl ON sl.id = sd.system_leader_id"
         " LEFT JOIN schools sh ON sh.urn = sl.home_school_urn"
         " LEFT JOIN designations sg ON sg.id = sd.designation_id";
}

std::optional<Supporter> supporter_at(const soci::row& row, std::size_t first) {
  if (row.get_indicator(first) == soci::i_null) return std::nullopt;
  Supporter out;
  out.system_leader_id = row_integer(row, first);
  out.name = row_text(row, first + 1);
  out.email = row_text(row, first + 2);
  out.home_school_urn = static_cast<std::int32_t>(row_integer(row, first + 3));
  out.home_school_name = row_text(row, first + 4);
  Designation d;
  d.code = row_text(row, first + 5);
  d.specialisms = row_text(row, first + 6);
  if (!d.code.empty()) out.designation = d.label();
  out.status = row_text(row, first + 7);
  return out;
}

namespace {

// Leads, admins and the provider the note was written for read internal
// notes: a system leader only when they are the provider `for_provider` names
// (a later provider does not read what was written of an earlier one).
bool reads_internal_notes(const workflow::Actor& actor, const boost::json::value* for_provider) {
  if (actor.is_system() || actor.role == "lead" || actor.role == "admin") return true;
  if (actor.role != "system_leader" || for_provider == nullptr || !for_provider->is_number()) return false;
  const auto scope = parse_scope(actor.scope);
  return scope.kind == "system_leader" &&
         scope.value == std::to_string(for_provider->to_number<long long>());
}

// The events whose `note` is internal unless `shared`.
bool proposes_a_provider(std::string_view event) {
  return event == "propose_provider" || event == "propose_assessor" || event == "propose_reviewer";
}

}  // namespace

void redact_case_data(const workflow::Actor& actor, boost::json::object& data) {
  const auto* provider = data.if_contains("provider_id");
  if (provider == nullptr || provider->is_null()) provider = data.if_contains("deployed_provider_id");
  if (reads_internal_notes(actor, provider)) return;
  const auto* shared = data.if_contains("proposal_note_shared");
  if (shared == nullptr && data.contains("proposed_on")) {
    // Proposed before notes had an audience: the proposal's note may be the
    // case's `note`, so it is kept from everyone outside the audience.
    data.erase("note");
    return;
  }
  if (shared != nullptr && shared->is_bool() && shared->get_bool()) return;
  data.erase("proposal_note");
}

void redact_history_payload(const workflow::Actor& actor, std::string_view event, boost::json::object& payload) {
  if (!proposes_a_provider(event) || reads_internal_notes(actor, payload.if_contains("provider_id"))) return;
  const auto* shared = payload.if_contains("shared");
  if (shared != nullptr && shared->is_bool() && shared->get_bool()) return;
  payload.erase("note");
}

std::vector<Deployment> deployments_of(Database& db, std::int64_t case_id) {
  const long long key = case_id;
  return db.read([&](soci::session& session) {
    std::vector<Deployment> out;
    soci::rowset<soci::row> rows =
        (session.prepare << "SELECT system_leader_id, status, CAST(proposed_on AS TEXT),"
                                         " CAST(accepted_on AS TEXT), CAST(ended_on AS TEXT), academic_year,"
                                         " half_days_reserved, rating FROM deployments WHERE case_id = :c ORDER BY id",
         soci::use(key));
    for (const auto& row : rows) {
      Deployment d{row_integer(row, 0),
                   row_text(row, 1),
                   row_text(row, 2),
                   row_text(row, 3),
                   row_text(row, 4),
                   row_text(row, 5),
                   static_cast<double>(row_integer(row, 6)) / 2,
                   std::nullopt};
      if (row.get_indicator(7) != soci::i_null) d.rating = static_cast<int>(row_integer(row, 7));
      out.push_back(std::move(d));
    }
    return out;
  });
}

}  // namespace s2s::cases
