#include "cli/command_list.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include "cases/kpis.h"
#include "cases/progress_report.h"
#include "cases/providers.h"
#include "workflow/database.h"
#include "workflow/date.h"
#include "workflow/engine.h"
#include "workflow/errors.h"

namespace s2s::cli {
namespace reports_commands {

// --alliance, --mini-region, --la and --day-rate, shared by the reports.
cases::KpiScope report_scope(const Settings& settings) {
  cases::KpiScope scope;
  if (settings.get("alliance")) scope.alliance = settings.integer("alliance", 1, 1LL << 40);
  scope.mini_region = settings.get("mini-region");
  if (settings.get("la")) scope.la = static_cast<int>(settings.integer("la", 1, 9999));
  if (settings.get("day-rate")) scope.day_rate = static_cast<double>(settings.integer("day-rate", 0, 100000));
  return scope;
}

int run_report_kpis(const Settings& settings) {
  auto db = open_migrated(settings);
  auto engine = make_engine(settings, db);
  cases::KpiScope scope = report_scope(settings);
  scope.academic_year = settings.get("academic-year").value_or(cases::academic_year_of(engine->today()));
  scope.with_overdue_items = false;
  if (const auto as_of = settings.get("as-of")) {
    scope.as_of = workflow::parse_date(*as_of);
    if (!scope.as_of) throw UsageError("--as-of must be a date (YYYY-MM-DD), got '" + *as_of + "'");
  }
  const auto report = cases::kpi_report(*db, engine->calendar(), scope, engine->today());
  const auto explain = settings.get("explain");
  if (explain) {
    for (const auto& k : report.kpis) {
      if (k.id != *explain) continue;
      std::cout << k.name << " (" << k.id << ")\n" << k.definition << "\n";
      for (const auto& r : k.references) std::cout << "  " << r << '\n';
      return 0;
    }
    throw UsageError("--explain: no KPI '" + *explain + "'");
  }
  if (settings.enabled("csv")) {
    std::cout << cases::kpi_csv(report);
    return 0;
  }
  std::string where = scope.alliance      ? "alliance " + std::to_string(*scope.alliance)
                      : scope.mini_region ? *scope.mini_region
                      : scope.la          ? "LA " + std::to_string(*scope.la)
                                          : "every school";
  std::cout << "KPIs for " << where << ", academic year " << scope.academic_year << " (" << report.from << " to "
            << report.to << "), as of " << report.as_of << "\n\n";
  std::cout << fmt::format("{:<58} {:>10} {:>12} {:>14}  {}\n", "KPI", "actual", "target", "of", "status");
  for (const auto& k : report.kpis) {
    const std::string actual =
        k.actual ? cases::figure_text(*k.actual) + (k.unit == "percent" ? "%" : "") : std::string("-");
    // A KPI counted per teaching school is a total: each one's own figure follows it.
    const std::string of = !k.parts.empty() || k.denominator <= 0
                               ? std::string()
                               : cases::figure_text(k.numerator) + "/" + cases::figure_text(k.denominator);
    std::cout << fmt::format("{:<58} {:>10} {:>12} {:>14}  {}\n", k.name.substr(0, 58), actual, k.target, of, k.status);
    for (const auto& part : k.parts) {
      std::cout << fmt::format("  {:<56} {:>10} {:>12} {:>14}  {}\n", part.name.substr(0, 56),
                               cases::figure_text(part.actual), part.target, "",
                               part.status);
    }
    if (k.previous) {
      std::cout << fmt::format("  {:<56} {:>10}\n", "the academic year before", cases::figure_text(*k.previous));
    }
  }
  std::cout << "\nopen cases by phase:";
  for (const auto& [phase, n] : report.open_by_phase) std::cout << "  " << phase << " " << n;
  std::cout << "\ndays by funding source:";
  for (const auto& f : report.funding) {
    std::cout << "  " << cases::funding_label(f.funding_source) << " " << cases::figure_text(f.days);
  }
  std::cout << "\n";
  return 0;
}

int run_report_quarterly(const Settings& settings) {
  auto db = open_migrated(settings);
  auto engine = make_engine(settings, db);
  const cases::KpiScope scope = report_scope(settings);
  std::optional<cases::Quarter> quarter = cases::quarter_of(engine->today());
  if (const auto text = settings.get("quarter")) {
    quarter = cases::parse_quarter(*text);
    if (!quarter) {
      throw UsageError("--quarter must look like " + std::string(cases::kQuarterForm) + ", got '" + *text + "'");
    }
  }
  const auto report = cases::progress_report(*db, engine->calendar(), scope, *quarter, engine->today());
  const std::string text = settings.enabled("html") ? cases::progress_html(report) : cases::progress_markdown(report);
  const auto output = settings.get("output");
  if (!output) {
    std::cout << text;
    return 0;
  }
  // Written beside the file and renamed over it: a reader never sees half a
  // report, and a failed write leaves nothing behind.
  const std::filesystem::path path(*output);
  const std::filesystem::path partial = path.string() + ".partial";
  std::error_code error;
  std::filesystem::remove(partial, error);  // a leftover (or a link planted there) is not written through
  const auto fail = [&](const std::string& why) {
    std::filesystem::remove(partial, error);
    throw workflow::IoError("--output: cannot write " + path.string() + ": " + why);
  };
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    if (!out) fail(std::strerror(errno));
    out << text;
    out.close();
    if (!out) fail(std::strerror(errno));
  }
  std::filesystem::rename(partial, path, error);
  if (error) fail(error.message());
  std::cout << quarter->name() << " report written to " << path.string() << '\n';
  return 0;
}

}  // namespace reports_commands

}  // namespace s2s::cli
