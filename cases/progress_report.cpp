#include "cases/progress_report.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>

#include "cases/kinds.h"
#include "cases/providers.h"
#include "workflow/case_kind.h"
#include "workflow/date.h"
#include "workflow/text.h"

namespace s2s::cases {
namespace {

using workflow::long_date;

using namespace std::chrono;

// The report as a neutral document, written out as Markdown or HTML.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::size_t numbers_from = 99;          // columns from here on are right-aligned figures
  std::optional<std::size_t> rag_column;  // shown in its colour in HTML
};

struct Section {
  std::string heading;
  std::vector<std::string> paragraphs;
  std::optional<Table> table;  // none, or no rows: `empty` says so
  std::string empty;
};

struct Document {
  std::string title;
  std::vector<std::string> intro;
  std::vector<Section> sections;
};

// "£12,500" (whole pounds; pence shown only when there are any).
std::string pounds(double amount) {
  const auto whole = static_cast<long long>(std::floor(amount + 1e-9));
  std::string digits = std::to_string(whole);
  for (auto at = static_cast<long long>(digits.size()) - 3; at > 0; at -= 3)
    digits.insert(static_cast<std::size_t>(at), ",");
  const auto pence = static_cast<int>(std::lround((amount - static_cast<double>(whole)) * 100));
  return "£" + digits + (pence > 0 ? fmt::format(".{:02}", pence) : "");
}

std::string value_text(const Kpi& k) {
  if (!k.actual) return "-";
  return figure_text(*k.actual) + (k.unit == "percent" ? "%" : "");
}

std::string change_text(const std::optional<double>& now, const std::optional<double>& before,
                        const std::string& unit) {
  if (!now || !before) return "";
  const double change = *now - *before;
  if (std::fabs(change) < 1e-9) return "no change";
  return (change > 0 ? "+" : "-") + figure_text(std::fabs(change)) + (unit == "percent" ? " pts" : "");
}

std::string scope_name(workflow::Database& db, const KpiScope& scope) {
  if (scope.alliance) {
    const auto alliance = find_alliance(db, *scope.alliance);
    if (!alliance) throw workflow::InvalidInput("no alliance " + std::to_string(*scope.alliance), "alliance");
    return alliance->name;
  }
  if (scope.mini_region) return *scope.mini_region;
  if (scope.la) {
    std::string name;
    auto connection = db.acquire();
    try {
      const int code = *scope.la;
      connection.session() << "SELECT la_name FROM schools WHERE la_code = :c ORDER BY urn LIMIT 1", soci::use(code),
          soci::into(name);
    } catch (...) {
      connection.rethrow_translated();
    }
    return (name.empty() ? std::string() : name + " ") + "(LA " + std::to_string(*scope.la) + ")";
  }
  return "Every school";
}

Document document(const ProgressReport& r) {
  const std::string now_label = r.quarter.name();
  const std::string before_label = r.previous.name();
  Document doc;
  doc.title = "Quarterly progress report: " + r.scope_name;
  doc.intro.push_back(
      fmt::format("{}, {} to {}{}.", now_label, long_date(r.quarter.first), long_date(r.quarter.last),
                  r.to_date ? ": the quarter is not over, so the figures stand at " + long_date(r.current.as_of) : ""));
  doc.intro.push_back(fmt::format(
      "Each figure is for the academic year to the day shown: {} to {} ({}), beside {} to {} ({}). Made on {}.",
      now_label, long_date(r.current.as_of), r.current.scope.academic_year, before_label, long_date(r.earlier.as_of),
      r.earlier.scope.academic_year, long_date(r.made_on)));
  if (!r.current.need_criteria.empty()) {
    std::string criteria;
    for (const auto& c : r.current.need_criteria) criteria += (criteria.empty() ? "" : "; ") + c;
    doc.intro.push_back("Schools in need, under the criteria in force (the first a school meets says why): " +
                        criteria + ".");
  }

  Section kpis{"KPIs", {}, Table{}, ""};
  kpis.table->header = {"KPI", "Target", before_label, now_label, "Change", "Status"};
  kpis.table->numbers_from = 2;
  kpis.table->rag_column = 5;
  for (const auto& k : r.current.kpis) {
    const Kpi* before = find_kpi(r.earlier, k.id);
    std::string status = k.status;
    if (before != nullptr && before->status != k.status && before->status != "none") {
      status += " (was " + before->status + ")";
    }
    kpis.table->rows.push_back({k.name, k.target.empty() ? "-" : k.target, before ? value_text(*before) : "-",
                                value_text(k), change_text(k.actual, before ? before->actual : std::nullopt, k.unit),
                                status});
  }
  doc.sections.push_back(std::move(kpis));

  // Each teaching school against its own 30 days, so that a total met never
  // hides the one below target.
  if (const Kpi* days = find_kpi(r.current, "deployment_days_in_need"); days != nullptr && !days->parts.empty()) {
    const Kpi* before = find_kpi(r.earlier, "deployment_days_in_need");
    Section per_school{"Deployment days to schools in need, per teaching school",
                       {"Each teaching school's days of bespoke support to schools in need, against its 30."},
                       Table{},
                       ""};
    per_school.table->header = {"Teaching school", before_label, now_label, "Change", "Status"};
    per_school.table->numbers_from = 1;
    per_school.table->rag_column = 4;
    for (const auto& part : days->parts) {
      std::optional<double> then;
      if (before != nullptr) {
        for (const auto& p : before->parts) {
          if (p.alliance_id == part.alliance_id) then = p.actual;
        }
      }
      per_school.table->rows.push_back({part.name, then ? figure_text(*then) : "-", figure_text(part.actual),
                                        change_text(part.actual, then, "days"), part.status});
    }
    doc.sections.push_back(std::move(per_school));
  }

  if (r.forecast) {
    const Forecast& f = *r.forecast;
    Section ahead{"Will we make it by 31 August?",
                  {fmt::format("{} working days are left. Each teaching school's days to schools in need so far, the "
                               "days planned for them and not yet given, and the days a week it must give from now.",
                               f.working_days_left)},
                  Table{},
                  "No teaching school is in this scope."};
    ahead.table->header = {"Teaching school", "Forecast", "Given", "Planned", "Needed a week"};
    ahead.table->numbers_from = 2;
    ahead.table->rag_column = 1;
    for (const auto& t : f.teaching_schools) {
      const std::string rag = t.outlook == Outlook::on_course ? "green" : t.outlook == Outlook::at_risk ? "amber" : "red";
      ahead.table->rows.push_back({t.name, rag + " (" + std::string(to_string(t.outlook)) + "): " + t.reason,
                                   figure_text(t.logged), figure_text(t.planned),
                                   t.needed == 0 ? "-" : figure_text(t.rate_needed)});
    }
    ahead.paragraphs.push_back("Support rated good or better (target 90%): " + std::string(to_string(f.ratings.outlook)) +
                               ". " + f.ratings.reason);
    doc.sections.push_back(std::move(ahead));
  }

  Section phases{"Open cases by phase", {}, Table{}, "No case is open."};
  phases.table->header = {"Phase", before_label, now_label, "Change"};
  phases.table->numbers_from = 1;
  for (const auto open : {workflow::Phase::referral, workflow::Phase::matching, workflow::Phase::deployment,
                          workflow::Phase::evaluation}) {
    const std::string phase(workflow::to_string(open));
    const auto count = [&](const KpiReport& report) {
      const auto it = report.open_by_phase.find(phase);
      return it == report.open_by_phase.end() ? 0 : it->second;
    };
    const int now = count(r.current);
    const int before = count(r.earlier);
    if (now == 0 && before == 0) continue;
    phases.table->rows.push_back(
        {phase, std::to_string(before), std::to_string(now), change_text(double(now), double(before), "count")});
  }
  doc.sections.push_back(std::move(phases));

  const bool costed = r.current.scope.day_rate > 0;
  Section funding{"Days and spend by funding source",
                  {fmt::format("Deployment days logged in {} to {} (corrections applied){}.",
                               r.current.scope.academic_year, long_date(r.current.as_of),
                               costed ? ", costed at " + pounds(r.current.scope.day_rate) + " a day" : "")},
                  Table{},
                  "No days logged yet this year."};
  funding.table->header = {"Funding source", "Days"};
  if (costed) funding.table->header.push_back("Spend");
  funding.table->numbers_from = 1;
  for (const auto& f : r.current.funding) {
    std::vector<std::string> row{funding_label(f.funding_source), figure_text(f.days)};
    if (costed) row.push_back(f.spend ? pounds(*f.spend) : "-");
    funding.table->rows.push_back(std::move(row));
  }
  doc.sections.push_back(std::move(funding));

  Section overdue{"Overdue items at " + long_date(r.current.as_of),
                  {"Deadlines passed and not met, oldest first."},
                  Table{},
                  "No deadline is overdue."};
  overdue.table->header = {"Case", "School", "Deadline", "Due", "Working days late"};
  overdue.table->numbers_from = 4;
  const auto kinds = all_kinds();
  for (const auto& item : r.current.overdue) {
    std::string deadline = workflow::purpose_title(item.purpose);
    if (const auto* kind = kinds->find(item.kind)) {
      if (const auto* spec = kind->find_deadline(item.purpose)) deadline += ": " + std::string(spec->description);
    }
    overdue.table->rows.push_back(
        {item.reference, (item.school.empty() ? "URN " : item.school + ", URN ") + std::to_string(item.school_urn),
         deadline, item.due_on, std::to_string(item.working_days_late)});
  }
  doc.sections.push_back(std::move(overdue));
  return doc;
}

// Text from the database set in Markdown as the words it is: one line, the
// characters Markdown acts on backslash-escaped (a pipe would end a table
// cell), and HTML's as entities, which every renderer shows as the
// characters themselves and none runs.
std::string md_text(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
    } else if (std::string_view("\\|*_`[]#").find(c) != std::string_view::npos) {
      out += '\\';
      out += c;
    } else if (c == '&' || c == '<' || c == '>') {
      out += workflow::html_escape(std::string_view(&c, 1));
    } else {
      out += c;
    }
  }
  return out;
}

std::string rag_class(const std::string& status) {
  for (const char* rag : {"green", "amber", "red"}) {
    if (status.rfind(rag, 0) == 0) return rag;
  }
  return "none";
}

}  // namespace

std::string Quarter::name() const { return academic_year + " Q" + std::to_string(number); }

std::string Quarter::id() const { return academic_year + "-Q" + std::to_string(number); }

Quarter quarter_of(year_month_day day) {
  const std::string year = academic_year_of(day);
  const int start = std::stoi(year.substr(0, 4));
  // Months since the academic year began: September is 0.
  const int month = static_cast<int>(static_cast<unsigned>(day.month()));
  const int since = (month + 12 - 9) % 12;
  Quarter q;
  q.academic_year = year;
  q.number = since / 3 + 1;
  const year_month first_month = year_month{std::chrono::year{start}, September} + months{since / 3 * 3};
  q.first = year_month_day{first_month / 1};
  q.last = year_month_day{(first_month + months{2}) / last};
  return q;
}

Quarter previous_quarter(const Quarter& quarter) {
  return quarter_of(year_month_day{sys_days{quarter.first} - days{1}});
}

std::optional<Quarter> parse_quarter(std::string_view text) {
  if (text.size() != 10 || text.substr(7, 2) != "-Q" || text[9] < '1' || text[9] > '4') return std::nullopt;
  if (!is_academic_year(text.substr(0, 7))) return std::nullopt;
  const int start = std::stoi(std::string(text.substr(0, 4)));
  if (start < 2000) return std::nullopt;
  const int number = text[9] - '0';
  const year_month first_month = year_month{std::chrono::year{start}, September} + months{(number - 1) * 3};
  return quarter_of(year_month_day{first_month / 1});
}

ProgressReport progress_report(workflow::Database& db, const workflow::Calendar& calendar, KpiScope scope,
                               const Quarter& quarter, year_month_day today) {
  if (sys_days{quarter.first} > sys_days{today}) {
    throw workflow::InvalidInput(
        "quarter " + quarter.name() + " has not started: it begins on " + workflow::format_date(quarter.first),
        "quarter");
  }
  ProgressReport report;
  report.scope_name = scope_name(db, scope);
  if (!scope.phases.empty()) {
    std::string phases;
    for (const auto& p : scope.phases) phases += (phases.empty() ? "" : ", ") + p;
    report.scope_name += " (" + phases + " schools)";
  }
  report.quarter = quarter;
  report.previous = previous_quarter(quarter);
  report.to_date = sys_days{quarter.last} > sys_days{today};
  report.made_on = workflow::format_date(today);

  KpiScope now = scope;
  now.academic_year = quarter.academic_year;
  now.as_of = report.to_date ? today : quarter.last;
  now.with_references = false;
  now.with_overdue_items = true;
  // This year's report to date carries the forecast, read in the same snapshot.
  now.with_ahead = report.to_date && now.academic_year == academic_year_of(today);
  KpiScope before = scope;
  before.academic_year = report.previous.academic_year;
  before.as_of = report.previous.last;
  before.with_references = false;
  before.with_overdue_items = false;
  before.with_breakdowns = false;  // the earlier column shows the KPIs and open cases only
  auto reports = kpi_reports(db, calendar, {now, before}, today);  // one snapshot: the change is real
  report.current = std::move(reports[0]);
  report.earlier = std::move(reports[1]);
  if (report.current.ahead) report.forecast = forecast(calendar, report.current, today);
  return report;
}

std::string progress_markdown(const ProgressReport& report) {
  const Document doc = document(report);
  std::string out = "# " + md_text(doc.title) + "\n\n";
  for (const auto& p : doc.intro) out += md_text(p) + "\n\n";
  for (const auto& section : doc.sections) {
    out += "## " + md_text(section.heading) + "\n\n";
    for (const auto& p : section.paragraphs) out += md_text(p) + "\n\n";
    if (!section.table || section.table->rows.empty()) {
      out += md_text(section.empty) + "\n\n";
      continue;
    }
    const Table& t = *section.table;
    std::string rule = "|";
    out += "|";
    for (std::size_t i = 0; i < t.header.size(); ++i) {
      out += " " + md_text(t.header[i]) + " |";
      rule += i >= t.numbers_from && t.rag_column != i ? " ---: |" : " --- |";
    }
    out += "\n" + rule + "\n";
    for (const auto& row : t.rows) {
      out += "|";
      for (const auto& cell : row) out += " " + md_text(cell) + " |";
      out += "\n";
    }
    out += "\n";
  }
  return out;
}

std::string progress_html(const ProgressReport& report) {
  using workflow::html_escape;
  const Document doc = document(report);
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + html_escape(doc.title) +
      "</title>\n<style>\n"
      "body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; padding: 0 1em; color: #1b1b1b; "
      "}\n"
      "table { border-collapse: collapse; margin: 0 0 1.5em; width: 100%; }\n"
      "th, td { border-bottom: 1px solid #ccc; padding: 0.35em 0.6em; text-align: left; vertical-align: top; }\n"
      "td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }\n"
      ".green { color: #00703c; } .amber { color: #b35c00; } .red { color: #d4351c; } .none { color: #505a5f; }\n"
      "td.green, td.amber, td.red { font-weight: bold; }\n"
      "</style>\n</head>\n<body>\n<h1>" +
      html_escape(doc.title) + "</h1>\n";
  for (const auto& p : doc.intro) out += "<p>" + html_escape(p) + "</p>\n";
  for (const auto& section : doc.sections) {
    out += "<h2>" + html_escape(section.heading) + "</h2>\n";
    for (const auto& p : section.paragraphs) out += "<p>" + html_escape(p) + "</p>\n";
    if (!section.table || section.table->rows.empty()) {
      out += "<p>" + html_escape(section.empty) + "</p>\n";
      continue;
    }
    const Table& t = *section.table;
    out += "<table>\n<thead><tr>";
    for (std::size_t i = 0; i < t.header.size(); ++i) {
      out += std::string(i >= t.numbers_from && t.rag_column != i ? "<th class=\"n\">" : "<th>") +
             html_escape(t.header[i]) + "</th>";
    }
    out += "</tr></thead>\n<tbody>\n";
    for (const auto& row : t.rows) {
      out += "<tr>";
      for (std::size_t i = 0; i < row.size(); ++i) {
        std::string css;
        if (t.rag_column == i) {
          css = rag_class(row[i]);
        } else if (i >= t.numbers_from) {
          css = "n";
        }
        out += (css.empty() ? "<td>" : "<td class=\"" + css + "\">") + html_escape(row[i]) + "</td>";
      }
      out += "</tr>\n";
    }
    out += "</tbody>\n</table>\n";
  }
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace s2s::cases
