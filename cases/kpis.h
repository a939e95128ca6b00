#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cases/users.h"
#include "workflow/calendar.h"
#include "workflow/database.h"

// The action plans' KPIs (docs/kpis.md) for an academic year, over the
// schools of an alliance, a mini region or an LA (or all), each traceable to
// the cases behind it. Everything is read from the recorded history: case
// data, deployments, logged days (corrections applied), ratings and deadlines.
namespace s2s::cases {

struct KpiScope {
  std::string academic_year;               // "2026/27": 1 September 2026 to 31 August 2027
  std::optional<std::int64_t> alliance;    // schools that are its members or its lead school
  std::optional<std::string> mini_region;  // schools in the mini region's LAs
  std::optional<int> la;                   // schools in the LA
  // Narrows the schools to these phase groups (see kPhaseGroups in
  // cases/schools.h), as a lead's scope may be: empty for every phase.
  std::vector<std::string> phases;
  double day_rate = 0;                     // spend per deployment day (0: not costed)
  bool with_references = true;             // list the cases behind each KPI (false: figures only, faster)
  bool with_overdue_items = true;          // list the overdue deadlines (KpiReport::overdue)
  // Count the tables beside the KPIs: funding, engagement, months and waits
  // (false: the KPIs and the open cases by phase only, which is all the
  // quarterly report's earlier column shows, and faster).
  bool with_breakdowns = true;
  // Also read what the forecast of this year needs (KpiReport::ahead), in
  // the report's snapshot and beside its queries. Only for a report standing
  // at today.
  bool with_ahead = false;
  // The report as it stood at the end of this day: only what happened by then
  // counts (days worked, ratings given, deadlines settled, cases opened,
  // matched and closed), as known now. Default: today.
  std::optional<std::chrono::year_month_day> as_of;
};

// One teaching school's part of a KPI counted per teaching school.
struct KpiPart {
  std::int64_t alliance_id = 0;  // the teaching school alliance
  std::string name;              // "Birch Teaching School Alliance (Birch Primary)"
  double actual = 0;
  std::string target;                   // "at least 30"; "" where the plans set none per teaching school
  std::string status;                   // against the per-teaching-school target; "none" without one
  std::vector<std::string> references;  // the cases behind it, sorted
};

struct Kpi {
  std::string id;                // deployment_days_in_need, rated_good, ...
  std::string name;              // "Deployment days to schools in need, per teaching school"
  std::string definition;        // how it is counted, in a sentence or two
  std::string target;            // "at least 30", "at least 90%", "above 95%", "100%", "should rise", ...
  std::string unit;              // days, percent, count, working days
  std::optional<double> actual;  // none when there is nothing to count (no ratings yet)
  double numerator = 0;
  double denominator = 0;
  std::string status;                   // green, amber, red; "none" without a numeric target or actual
  std::vector<std::string> references;  // the cases behind it, sorted
  std::optional<double> previous;       // the previous academic year's figure, where the plan compares years
  std::vector<KpiPart> parts;           // per teaching school, where the plan counts per teaching school
};

struct FundingRow {
  std::string funding_source;  // "" for days logged without one (shown as "unspecified")
  double days = 0;
  std::optional<double> spend;  // days x the day rate; none when the report has no day rate
};

// How reports name a funding source: "unspecified" for days logged without one.
[[nodiscard]] std::string funding_label(const std::string& funding_source);

struct EngagementRow {
  std::string mini_region;
  int schools = 0;
  int with_case = 0;    // a case of any kind opened in the year
  int in_alliance = 0;  // a member or lead school of an alliance
  int with_neither = 0;
};

// One month of the academic year, up to the report's date: the days given
// to the scope's schools (all kinds; corrections applied) on days of that
// month, and the ratings the scope's cases got in it (each case's last of
// the year). Over the months they add up to the days by funding source and
// to the rated KPI's denominator and numerator.
struct MonthRow {
  std::string month;  // YYYY-MM
  double days = 0;
  int ratings = 0;
  int rated_good = 0;  // rated 1 (outstanding) or 2 (good)
};

// The cases matched in the year by how many working days their referral
// waited for the match: a band of the referral-to-match KPIs' cases.
struct WaitBand {
  int from = 0;                    // working days, inclusive
  std::optional<int> to;           // inclusive; none for the last band ("more than")
  int cases = 0;
};

// A deadline passed and not met at the report's date.
struct OverdueItem {
  std::string reference;
  std::string kind;
  int school_urn = 0;
  std::string school;  // its name, "" when the school is not on the register
  std::string purpose;
  std::string due_on;         // YYYY-MM-DD
  int working_days_late = 0;  // working days from the due day to the report's date
};

// Working days within which an outstanding rating's window closes "soon".
inline constexpr int kRatingsClosingWithin = 10;

// What the forecast (cases/forecast.h) reads beside the report: the days each
// teaching school's system leaders have reserved for schools in need of the
// scope's phases and not yet logged (a deployment's reservation stands whole
// while its days are logged), and the ratings the scope's cases were asked
// for and have not yet given.
struct KpiAhead {
  std::map<std::int64_t, double> planned;  // days, by teaching school (alliance id)
  int ratings_outstanding = 0;
  int ratings_closing = 0;  // of them, due within kRatingsClosingWithin working days
};

struct KpiReport {
  KpiScope scope;
  std::string from;   // the academic year's first day, YYYY-MM-DD
  std::string to;     // its last
  std::string as_of;  // the day the figures stand at, YYYY-MM-DD
  std::vector<Kpi> kpis;
  std::map<std::string, int> open_by_phase;  // open cases of the scope by phase, on the report's day
  std::vector<FundingRow> funding;
  std::vector<EngagementRow> engagement;
  std::vector<MonthRow> months;             // September to the report's month
  std::vector<WaitBand> referral_to_match;  // 0-5, 6-10, 11-20, 21-40, more than 40 working days
  std::vector<OverdueItem> overdue;  // with_overdue_items only; oldest first
  // The criteria in force that made a school in need (docs/need.md), in
  // words, one a rule, in the order they are tried.
  std::vector<std::string> need_criteria;
  std::optional<KpiAhead> ahead;  // with_ahead only
};

// Every figure is counted by the database over the scope's schools, in one
// snapshot (PostgreSQL: a repeatable-read, read-only transaction).
// Throws workflow::InvalidInput (naming the field) for an academic year that is not
// "YYYY/YY" with consecutive years, is before 1900/01 or (without as_of) has
// not begun; an alliance or mini region that does not exist; or an as_of
// after today or before the academic year starts.
// How many connections a report's queries are shared out over on
// PostgreSQL (workflow::run_in_snapshot): one for each core, as each query
// keeps one busy; four at most.
[[nodiscard]] std::size_t report_spread();

[[nodiscard]] KpiReport kpi_report(workflow::Database& db, const workflow::Calendar& calendar, const KpiScope& scope,
                                   std::chrono::year_month_day today);
// Several reports read in the same snapshot, so that figures compared side
// by side (this quarter and the last) come from one state of the database.
[[nodiscard]] std::vector<KpiReport> kpi_reports(workflow::Database& db, const workflow::Calendar& calendar,
                                                 const std::vector<KpiScope>& scopes,
                                                 std::chrono::year_month_day today);

// Keeps a report's scope to what `user` may see: a lead of an alliance or
// mini region reports on theirs (narrowed to their phases), an LA officer on
// their LA; strategic and admin on any. Fills in the user's own scope when
// none is asked for; throws workflow::Error (forbidden) naming the user's
// scope for one outside it.
void keep_report_scope_to(const User& user, KpiScope& scope);

// The report's KPI with this id; nullptr when it has none.
[[nodiscard]] const Kpi* find_kpi(const KpiReport& report, std::string_view id);

// A figure as reports print it: "3", "2.5", "66.7" (one decimal at most).
[[nodiscard]] std::string figure_text(double value);

// The report as CSV that opens cleanly in Excel: UTF-8 with a BOM, one header
// row, ISO dates, CRLF line ends; one row per KPI, then one per teaching
// school of the KPIs counted per teaching school (kpi "ID.teaching_school").
[[nodiscard]] std::string kpi_csv(const KpiReport& report);
// The CSV's file name: "kpis-2026-27.csv".
[[nodiscard]] std::string kpi_csv_filename(const KpiReport& report);

}  // namespace s2s::cases
