#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cases/providers.h"
#include "cases/schools.h"
#include "workflow/case_kind.h"
#include "workflow/database.h"

// Deployments: the system leaders proposed for, deployed to, or declined by a
// case, and the days logged on it. The case kinds change them through effects
// (registered here) inside the event's transaction, so the tables always
// agree with the case history.
namespace s2s::workflow {
class SqlQuery;
struct Case;
}  // namespace s2s::workflow

namespace s2s::cases {

// The days a case needs from its provider: a support request's requested_days,
// else planned_days, else the kind's default (workflow::ProviderSpec::default_days:
// a risk assessment 2, a pupil premium review 1, a designation review none).
[[nodiscard]] double days_needed(const workflow::CaseKind& kind, const boost::json::object& data);

// The effects deployment.propose (eligibility checked, refusing with every
// reason), deployment.accept (capacity reserved), deployment.decline,
// deployment.end, deployment.log_day (capacity consumed, or given back by a
// correction) and deployment.rate; designation.review (the reviewed
// designation exists) and designation.end (a final de-designation ends it and
// tells the leads of the open deployments made under it).
void register_deployment_effects(workflow::KindRegistry& kinds);

// Whether a case lies within a person's scope (docs/roles.md): nullopt
// when it does, else why not. A lead: the school is in their mini region or
// alliance (and, when narrowed, in their phase groups); an LA officer: in their
// LA; a school: its own; a system leader: proposed for or deployed to the case;
// an admin or the strategic group: every case.
[[nodiscard]] std::optional<std::string> scope_refusal(workflow::Database::Connection& connection,
                                                       const workflow::Actor& actor,
                                                       const workflow::CaseSnapshot& snapshot);
// The same, with the case's school already read (nullopt: not on the
// register): its LA, mini region and phase group decide a lead's or an LA
// officer's scope without asking the database again.
[[nodiscard]] std::optional<std::string> scope_refusal_given_school(workflow::Database::Connection& connection,
                                                                    const workflow::Actor& actor,
                                                                    const workflow::CaseSnapshot& snapshot,
                                                                    const std::optional<School>& school);

// The same rules as scope_refusal as an SQL condition, for lists: `sql`
// refers to the case as `c` (cases) and its school as `s` (schools, joined on
// c.school_urn) and holds one '?' per entry of `values`, in order.
struct ScopeCondition {
  std::string sql;                  // "TRUE" for an admin, "1 = 0" for a role that sees nothing
  std::vector<std::string> values;  // bound as text, in order
};
[[nodiscard]] ScopeCondition scope_condition(const workflow::Actor& actor);
// The same rules over schools alone, `s` (schools): the schools whose cases
// the actor sees by place (a lead's mini region or alliance and phases, an LA
// officer's LA, a school's own, every school for admins and the strategic
// group); none for a system leader, whose scope is the cases they work on.
[[nodiscard]] ScopeCondition school_scope_condition(const workflow::Actor& actor);
// Appends scope_condition(actor) to a list's query (workflow/sql_query.h),
// its values bound.
void add_scope_condition(workflow::SqlQuery& sql, const workflow::Actor& actor);

struct DeploymentDay {
  int entry = 0;  // numbered per case
  std::int64_t system_leader_id = 0;
  std::string day;  // YYYY-MM-DD
  double days = 0;
  std::string activity;
  std::string funding_source;
  std::optional<int> corrects;      // the entry this one corrects
  std::optional<int> corrected_by;  // set when a later entry corrects this one: no longer in force
};

// A JSON number (integer or not) as a double; 0 for anything else.
inline double number_of(const boost::json::value* value) {
  if (value == nullptr) return 0;
  if (value->is_double()) return value->get_double();
  if (value->is_int64()) return static_cast<double>(value->get_int64());
  if (value->is_uint64()) return static_cast<double>(value->get_uint64());
  return 0;
}

// A day entry's integer field (cases/kind_support.h): its number, the one it
// corrects; 0 when absent.
inline std::int64_t entry_field(const boost::json::value& entry, std::string_view key) {
  const auto* value = entry.as_object().if_contains(key);
  return value != nullptr && value->is_int64() ? value->get_int64() : 0;
}

// Every day entry of a case, in order, corrected ones included.
[[nodiscard]] std::vector<DeploymentDay> deployment_days(workflow::Database& db, std::int64_t case_id);
// The same entries as the case itself records them (its data's day_entries,
// written in the same transaction as the rows above), with no read: entry,
// day, days, activity, corrects and corrected_by; the provider and the
// funding source are the rows' alone.
[[nodiscard]] std::vector<DeploymentDay> recorded_days(const workflow::Case& c);

struct Deployment {
  std::int64_t system_leader_id = 0;
  std::string status;  // proposed, declined, active, ended, withdrawn
  std::string proposed_on;
  std::string accepted_on;  // empty until accepted
  std::string ended_on;
  std::string academic_year;
  double days_reserved = 0;
  std::optional<int> rating;
};

[[nodiscard]] std::vector<Deployment> deployments_of(workflow::Database& db, std::int64_t case_id);

// Who is supporting a case: its deployed system leader, with the designation
// the deployment was made under and their home school, and how to reach them.
struct Supporter {
  std::int64_t system_leader_id = 0;
  std::string name;
  std::string email;
  std::string designation;  // "SLE (maths)"; empty when the deployment predates designations being kept
  std::int32_t home_school_urn = 0;
  std::string home_school_name;
  std::string status;  // active or ended
};
// Who supports a case, for reads that join it to the case's own row (its
// page and JSON, cases/case_list.h): the latest deployment a provider
// accepted. Its 8 columns, the LEFT JOINs that find it from the SQL
// expression `case_id`, and the supporter read back from column `first` on:
// nullopt until a provider has accepted.
[[nodiscard]] std::string supporter_columns_sql();
[[nodiscard]] std::string supporter_joins_sql(std::string_view case_id);
[[nodiscard]] std::optional<Supporter> supporter_at(const soci::row& row, std::size_t first);

// Notes have an audience (docs/roles.md): a lead's note on proposing a
// provider is internal to leads, admins and the provider unless the lead
// marks it shared. These remove what `actor` may not read, in place: from a
// case's data, and from one history entry's payload.
void redact_case_data(const workflow::Actor& actor, boost::json::object& data);
void redact_history_payload(const workflow::Actor& actor, std::string_view event, boost::json::object& payload);

// An active deployment whose last logged day (or, with none logged, its
// acceptance) is before a given day: a lead's dashboard lists them.
struct QuietDeployment {
  std::int64_t case_id = 0;
  std::string reference;
  std::string school;         // "" when the school is not on the register
  std::string system_leader;  // the deployed system leader's name
  std::string accepted_on;    // YYYY-MM-DD
  std::string last_day;       // YYYY-MM-DD; "" when no day is logged
};

// The active deployments of the cases within `actor`'s scope (scope_condition's
// rules) with no day logged on or after `since`, quietest first, `limit` at
// most. Reads on its own connection; thread-safe.
[[nodiscard]] std::vector<QuietDeployment> quiet_deployments(workflow::Database& db, const workflow::Actor& actor,
                                                             std::chrono::year_month_day since, int limit);

// The system leaders who serve `actor`'s scope and their days in
// `academic_year`, most free first, then by name, `limit` at most: those whose
// home school lies in the scope, and those deployed this year on a case
// within it (scope_condition's rules; a strategic or admin user: every one).
struct ScopedLeaderDays {
  std::vector<LeaderDays> items;
  bool more = false;  // there are others beyond `limit`
};
[[nodiscard]] ScopedLeaderDays days_by_leader_in_scope(workflow::Database& db, const workflow::Actor& actor,
                                                       const std::string& academic_year, int limit);

// A system leader's deployment as their page in the directory lists it.
struct LeaderDeployment {
  std::string reference;
  std::string kind;
  std::string school;       // "" when the school is not on the register
  std::string status;       // proposed, declined, active, ended, withdrawn
  std::string proposed_on;  // YYYY-MM-DD
  std::string accepted_on;  // "" until accepted
  std::string ended_on;     // "" while it runs
  std::optional<int> rating;
  double days_logged = 0;  // in force
};

// Every deployment of the system leader, newest first. Reads on its own connection.
[[nodiscard]] std::vector<LeaderDeployment> deployments_of_leader(workflow::Database& db,
                                                                  std::int64_t system_leader_id);

// The days the system leader logged in force (corrections applied) from
// `from` to `to` inclusive, by day: "YYYY-MM-DD" -> days (0.5, 1, ...).
[[nodiscard]] std::map<std::string, double> logged_days_of_leader(workflow::Database& db,
                                                                  std::int64_t system_leader_id,
                                                                  std::chrono::year_month_day from,
                                                                  std::chrono::year_month_day to);

}  // namespace s2s::cases
