#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cases/ofsted_read.h"
#include "workflow/case_kind.h"
#include "workflow/database.h"

// Need as it is judged today (docs/need.md): schools' report cards and
// graded judgements, the criteria that make a school in need (data an
// admin may change, need_rules), and the need register of a person's scope:
// every school in need, why, its last inspection and the support it has had.
namespace s2s::cases {

// One criterion (migration 0018 describes the columns).
struct NeedRule {
  std::int64_t id = 0;
  int position = 0;   // the first rule a school meets says why it is in need
  std::string basis;  // register, graded, report_card
  std::optional<std::string> flag;  // register: ssif_eligible, category_5_6
  std::optional<int> grade_from;    // graded: 1-4; report_card: 1-5
  std::optional<int> grade_to;
  std::optional<std::string> area;  // report_card: the evaluation area, none for any
  bool safeguarding_not_met = false;
  bool and_category_5_6 = false;
  std::string because;  // "meets the SSIF eligibility criteria"
};

[[nodiscard]] std::vector<NeedRule> need_rules(workflow::Database::Connection& connection);
[[nodiscard]] std::vector<NeedRule> need_rules(workflow::Database& db);
[[nodiscard]] std::vector<InspectionArea> inspection_areas(workflow::Database::Connection& connection);

// At most this many criteria.
inline constexpr std::size_t kMaxNeedRules = 30;

// Adds a criterion (`rule`'s id and position are ignored) as the
// `position`-th, those from there on moving down one; last when none is
// given. Throws workflow::InvalidInput naming the field for a rule that
// cannot be read (a basis, flag or area unknown; grades outside 1-4 for a
// graded judgement or 1-5 for a report card, or from after to; words missing
// or longer than 200 characters; a position outside 1 to the rules' number
// plus one) or one too many; nothing is changed. Returns the rule as stored.
[[nodiscard]] NeedRule add_need_rule(workflow::Database& db, NeedRule rule, std::optional<int> position);
// Removes a criterion; throws workflow::NotFound for no such rule.
void remove_need_rule(workflow::Database& db, std::int64_t id);

// The criteria as SQL over a school `s` joined (by `join`) to its latest
// report card `rc`: `position` is the position of the first rule the school
// meets, 0 when it meets none. Values spliced in are the rules' own, which the
// database's checks and need_rules have checked (numbers, an area's name of
// a-z, 0-9 and _, one of two flags).
struct NeedSql {
  std::string join;      // " LEFT JOIN report_cards rc ON rc.urn = s.urn AND rc.latest = 1"
  std::string position;  // "CASE WHEN ... THEN 1 ... ELSE 0 END"
};
[[nodiscard]] NeedSql need_sql(const std::vector<NeedRule>& rules);
// The same criteria as one correlated subquery over a school `s`, whatever
// the rules (they are read from need_rules as it runs): the `because` of the
// first rule the school meets, NULL when it meets none. For reading a school
// or a page of them in the statement that reads them; need_sql is for sets.
[[nodiscard]] const std::string& need_because_sql();

// The criteria in force in words, one a rule, in order: "safeguarding not met at its latest inspection".
[[nodiscard]] std::vector<std::string> need_criteria_text(const std::vector<NeedRule>& rules);

// A school's latest report card.
struct ReportCard {
  std::string inspected_on;  // YYYY-MM-DD
  std::optional<std::string> published_on;
  std::optional<bool> safeguarding_met;
  struct Grade {
    std::string area;
    std::string name;  // "Leadership and governance"
    int grade = 0;     // 1 exceptional .. 5 urgent improvement
  };
  std::vector<Grade> grades;  // in the areas' order
};
[[nodiscard]] std::optional<ReportCard> latest_report_card(workflow::Database& db, std::int32_t urn);

// Why the school is in need under the criteria in force (the rule's
// because), or nullopt when it is not; nullopt for a URN not on the register.
[[nodiscard]] std::optional<std::string> need_of(workflow::Database& db, std::int32_t urn);

struct OfstedImportReport {
  TextEncoding encoding = TextEncoding::utf8;
  std::size_t rows = 0;
  std::size_t cards_added = 0;      // a report card new to s2s
  std::size_t cards_changed = 0;    // the same inspection, its grades or dates corrected
  std::size_t cards_unchanged = 0;  // already held as the file has it
  std::size_t graded_updated = 0;   // a school's last graded judgement replaced by a later one
  std::size_t skipped = 0;          // bad rows and schools not on the register; each in `problems`
  std::vector<std::string> problems;
};

// Imports Ofsted's inspection outcomes file (read_ofsted) in one
// transaction: each school's report card (added, or replaced when the same
// inspection's row has changed), the newest marked latest, and its graded
// judgement where the file's is later than the one held. A school not on
// the register is a problem, its row skipped. Importing the same file again
// changes nothing. Throws OfstedFormatError (nothing written) for a file that
// cannot be read.
[[nodiscard]] OfstedImportReport import_ofsted(workflow::Database& db, std::string_view bytes, const std::string& now);

// The support a school in need has had, as the register shows it.
enum class Support {
  none,                 // no support request that reached deployment, and none open
  supported_before,     // days given in an earlier academic year, none this year
  referred,             // a support request open in referral or matching
  in_progress,          // a support request open in deployment or evaluation
  supported_this_year,  // days given this academic year, none open
};
[[nodiscard]] std::string_view to_string(Support support);  // "supported this year"

struct NeedRow {
  std::int32_t urn = 0;
  std::string name;
  std::string la_name;
  std::string mini_region;
  std::string phase;
  int position = 0;  // the rule's: smaller is greater need
  std::string because;
  std::string last_inspection;  // "report card, 3 December 2025: urgent improvement in achievement; safeguarding met"
  Support support = Support::none;
  std::string case_reference;  // the support request that says so (the latest), "" for none
};

struct MiniRegionReach {
  std::string mini_region;  // "" for schools in no mini region
  int in_need = 0;
  int reached = 0;  // referred, in progress or supported this year
};

struct NeedRegister {
  std::string academic_year;
  std::vector<std::string> criteria;  // need_criteria_text of the rules in force
  std::vector<NeedRow> rows;          // no support first, then by greatest need, then name
  std::vector<MiniRegionReach> reach;  // by mini region
};

// Every school in need within the actor's scope (a lead's mini region or
// alliance and phases, an LA officer's LA, everything for the strategic group
// and admins; nothing for other roles), with its support in the academic
// year of `today`.
[[nodiscard]] NeedRegister need_register(workflow::Database& db, const workflow::Actor& actor,
                                         std::chrono::year_month_day today);
// The register as CSV that opens cleanly in Excel (UTF-8 BOM, CRLF).
[[nodiscard]] std::string need_register_csv(const NeedRegister& reg);
// The CSV's file name: "schools-in-need-2026-27.csv".
[[nodiscard]] std::string need_register_csv_filename(const NeedRegister& reg);

}  // namespace s2s::cases
