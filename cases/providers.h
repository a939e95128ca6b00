#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "workflow/database.h"
#include "workflow/errors.h"

// Providers and their capacity: alliances, system leaders with designations,
// and the days each offers per academic year. What cannot be written as
// asked (an unknown school, a bad value) throws workflow::Refused, nothing written.
namespace s2s::cases {


// "2026/27" for dates from 1 September 2026 to 31 August 2027.
[[nodiscard]] std::string academic_year_of(std::chrono::year_month_day day);
// Whether `text` is an academic year: "YYYY/YY" with consecutive years.
[[nodiscard]] bool is_academic_year(std::string_view text);

[[nodiscard]] std::int64_t create_alliance(workflow::Database& db, std::string_view name, int lead_school_urn);
void add_alliance_member(workflow::Database& db, std::int64_t alliance_id, int school_urn);
// Takes a school out of an alliance; Refused when it is not a member.
void remove_alliance_member(workflow::Database& db, std::int64_t alliance_id, int school_urn);
[[nodiscard]] std::int64_t create_system_leader(workflow::Database& db, std::string_view name, std::string_view email,
                                                int home_school_urn, std::optional<std::int64_t> alliance_id);
// designation: NLE, LLE, SLE, NLG, LLG, or PPR (accredited pupil premium reviewer).
// Returns the new designation's id.
std::int64_t add_designation(workflow::Database& db, std::int64_t system_leader_id, std::string_view designation,
                             std::string_view specialisms, std::chrono::year_month_day active_from,
                             std::optional<std::chrono::year_month_day> active_to);

// Sets the last day a designation is held (none: it is open-ended again).
// Refused, nothing written: no such designation, an end before its start,
// or a designation a designation review ended (that end stands).
void set_designation_end(workflow::Database& db, std::int64_t designation_id,
                         std::optional<std::chrono::year_month_day> active_to);

struct Alliance {
  std::int64_t id = 0;
  std::string name;
  std::int32_t lead_school_urn = 0;
  std::vector<std::int32_t> members;  // member schools by URN
};

// Every alliance (members included), by id; or one.
[[nodiscard]] std::vector<Alliance> alliances(workflow::Database& db);
// Every alliance's id and name, by name, without its members: what a choice
// of alliance lists (England has 700 of them, with 14,000 members).
[[nodiscard]] std::vector<std::pair<std::int64_t, std::string>> alliance_names(workflow::Database& db);
[[nodiscard]] std::optional<Alliance> find_alliance(workflow::Database& db, std::int64_t id);

struct Designation {
  std::string code;         // NLE, LLE, SLE, NLG, LLG, PPR
  std::string specialisms;  // comma-separated
  std::string active_from;  // YYYY-MM-DD
  std::string active_to;    // YYYY-MM-DD, the last day it is held; empty: open-ended
  std::int64_t id = 0;
  std::optional<std::int64_t> ended_by_case_id;  // the designation review whose de-designation ended it

  // "SLE (maths, SEND)".
  [[nodiscard]] std::string label() const { return specialisms.empty() ? code : code + " (" + specialisms + ")"; }
};

// A designation with whose it is.
struct DesignationOf {
  Designation designation;
  std::int64_t system_leader_id = 0;
  std::string system_leader_name;
  std::int32_t home_school_urn = 0;  // the holder's
};

// The designation with this id, on the caller's connection (inside its transaction); nullopt when there is none.
[[nodiscard]] std::optional<DesignationOf> find_designation(workflow::Database::Connection& connection,
                                                            std::int64_t id);

// Ends a designation because a designation review's de-designation became
// final on `on`: from that day it is no longer held (its last day is the day
// before), and `case_id` is kept as what ended it. A designation that already
// ended earlier keeps its earlier end. Inside the caller's transaction.
// Returns whether it changed.
bool end_designation(workflow::Database::Connection& connection, std::int64_t id, std::chrono::year_month_day on,
                     std::int64_t case_id);

struct SystemLeader {
  std::int64_t id = 0;
  std::string name;
  std::string email;
  std::int32_t home_school_urn = 0;
  std::optional<std::int64_t> alliance_id;
  std::vector<Designation> designations;
};

// Every system leader with their designations, by id; or one.
[[nodiscard]] std::vector<SystemLeader> system_leaders(workflow::Database& db);
[[nodiscard]] std::optional<SystemLeader> find_system_leader(workflow::Database& db, std::int64_t id);

struct Capacity {
  double offered = 0;
  double reserved = 0;  // by accepted deployments, logged or not
  double consumed = 0;  // logged
  [[nodiscard]] double unreserved() const { return offered - reserved; }
};

// A system leader's days in an academic year, with their name.
struct LeaderDays {
  std::int64_t system_leader_id = 0;
  std::string name;
  Capacity days;
};

// Every system leader's days in `academic_year` (none offered: all zero),
// most free first, then by name: a lead's dashboard shows them all, since
// matching draws on all of them. One query.
[[nodiscard]] std::vector<LeaderDays> days_by_leader(workflow::Database& db, const std::string& academic_year);

// Days are whole or half: anything else is refused (workflow::Refused).
// Sets the days a system leader offers in an academic year; never below what is reserved.
void set_capacity(workflow::Database& db, std::int64_t system_leader_id, std::string_view academic_year, double days);
[[nodiscard]] Capacity capacity(workflow::Database& db, std::int64_t system_leader_id, std::string_view academic_year);

// Inside the caller's transaction, through statements kept with the
// connection. reserve_capacity is one conditional UPDATE:
// concurrent acceptances can never reserve more than is offered. Returns false
// (nothing changed) when too few unreserved days remain.
[[nodiscard]] bool reserve_capacity(workflow::Database::Connection& connection, std::int64_t system_leader_id,
                                    std::string_view academic_year, double days);
void release_capacity(workflow::Database::Connection& connection, std::int64_t system_leader_id,
                      std::string_view academic_year, double days);
// Negative days give consumed days back (a logged day corrected down).
void consume_capacity(workflow::Database::Connection& connection, std::int64_t system_leader_id,
                      std::string_view academic_year, double days);

}  // namespace s2s::cases
