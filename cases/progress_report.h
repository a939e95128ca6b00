#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "cases/forecast.h"
#include "cases/kpis.h"
#include "workflow/calendar.h"
#include "workflow/database.h"

// The quarterly progress report an alliance (or a mini region, an LA) takes
// to the strategic group: the KPIs for the academic year to the quarter's
// end beside the same figures at the previous quarter's end, open cases by
// phase, days and spend by funding source, and the deadlines overdue, as
// Markdown or as an HTML page.
namespace s2s::cases {

// Quarters of the academic year: Q1 September to November, Q2 December to
// February, Q3 March to May, Q4 June to August.
struct Quarter {
  std::string academic_year;  // 2026/27
  int number = 1;             // 1 to 4
  std::chrono::year_month_day first;
  std::chrono::year_month_day last;

  [[nodiscard]] std::string name() const;  // "2026/27 Q1"
  [[nodiscard]] std::string id() const;    // "2026/27-Q1", as the API and CLI take it
};

[[nodiscard]] Quarter quarter_of(std::chrono::year_month_day day);
[[nodiscard]] Quarter previous_quarter(const Quarter& quarter);
// "2026/27-Q1", from 2000/01; nullopt for anything else.
[[nodiscard]] std::optional<Quarter> parse_quarter(std::string_view text);
// What parse_quarter takes, for messages that refuse something else.
inline constexpr std::string_view kQuarterForm =
    "2026/27-Q1 (Q1 September to November, Q2 December to February, Q3 March to May, Q4 June to August)";

struct ProgressReport {
  std::string scope_name;  // "Birch Teaching School Alliance", "Nottinghamshire", "Derby (LA 831)", "Every school"
  Quarter quarter;
  Quarter previous;
  bool to_date = false;  // the quarter is not over: figures stand at today
  std::string made_on;   // YYYY-MM-DD
  KpiReport current;     // the year to the quarter's end (or today), with the overdue items
  KpiReport earlier;     // the previous quarter's year to its end
  // While the quarter is not over: will each teaching school make its 30
  // days by 31 August, and the year its 90% rated good (docs/need.md).
  std::optional<Forecast> forecast;
};

// Throws workflow::InvalidInput for a quarter that has not started, or a scope
// kpi_report refuses.
[[nodiscard]] ProgressReport progress_report(workflow::Database& db, const workflow::Calendar& calendar, KpiScope scope,
                                             const Quarter& quarter, std::chrono::year_month_day today);

// The report as Markdown (GitHub flavour: pipe tables); every text from the
// database is escaped, so names show as written and no HTML in them runs.
[[nodiscard]] std::string progress_markdown(const ProgressReport& report);
// A whole HTML page (UTF-8, styles inline, nothing fetched), every text escaped.
[[nodiscard]] std::string progress_html(const ProgressReport& report);

}  // namespace s2s::cases
