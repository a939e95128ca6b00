#include "cases/kpis.h"

#include <soci/soci.h>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <unordered_map>

#include "cases/providers.h"
#include "workflow/case_kind.h"
#include "workflow/date.h"

namespace s2s::cases {
namespace {

using workflow::row_integer;
using workflow::row_number;
using workflow::row_text;

struct SchoolRow {
  int la = 0;
  std::string mini_region;
  bool in_need = false;  // SSIF-eligible, graded 3 or 4, or in a Category 5/6 area
  std::set<long long> alliances;
};

struct CaseRow {
  long long id = 0;
  std::string kind;
  std::string reference;
  int urn = 0;
  std::string phase;
  std::string opened_on;
  std::string source;      // data.source
  std::string matched_on;  // data.matched_on
  long long provider = 0;  // data.deployed_provider_id
  bool scoped = false;     // its school is in the report's scope
  bool need = false;       // its school is in need
};

bool within(const std::string& day, const std::string& from, const std::string& to) {
  return !day.empty() && day >= from && day <= to;
}

Kpi kpi(std::string id, std::string name, std::string definition, std::string target, std::string unit) {
  Kpi k;
  k.id = std::move(id);
  k.name = std::move(name);
  k.definition = std::move(definition);
  k.target = std::move(target);
  k.unit = std::move(unit);
  return k;
}

double percent(double numerator, double denominator) { return denominator > 0 ? 100.0 * numerator / denominator : 0; }

// Green when the target is met, amber within a tenth of it, red below.
std::string rag(const std::optional<double>& actual, double target, bool strictly_above = false) {
  if (!actual) return "none";
  const bool met = strictly_above ? *actual > target : *actual >= target - 1e-9;
  if (met) return "green";
  return *actual >= 0.9 * target ? "amber" : "red";
}

double quantile(std::vector<int> values, double q) {
  std::sort(values.begin(), values.end());
  // Nearest rank: the smallest value with at least q of the values at or below it.
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
  return values[std::max<std::size_t>(rank, 1) - 1];
}

std::vector<std::string> sorted(std::set<std::string> refs) { return {refs.begin(), refs.end()}; }

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string number_text(double value) {
  if (std::fabs(value - std::round(value)) < 1e-9) return std::to_string(static_cast<long long>(std::round(value)));
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", value);
  return buffer;
}

}  // namespace

KpiReport kpi_report(workflow::Database& db, const workflow::Calendar& calendar, const KpiScope& scope,
                     std::chrono::year_month_day today) {
  if (!is_academic_year(scope.academic_year)) {
    throw ProviderError("academic year must look like 2026/27, got '" + scope.academic_year + "'");
  }
  const int first_year = std::stoi(scope.academic_year.substr(0, 4));
  KpiReport report;
  report.scope = scope;
  report.from = std::to_string(first_year) + "-09-01";
  report.to = std::to_string(first_year + 1) + "-08-31";
  const std::string& from = report.from;
  const std::string& to = report.to;

  auto connection = db.acquire();
  std::unordered_map<int, SchoolRow> schools;
  std::map<long long, long long> leader_alliance;  // system leader -> alliance
  std::set<long long> sle_leaders;
  std::set<long long> alliances;
  std::map<long long, int> alliance_lead;  // alliance -> lead school
  std::vector<CaseRow> cases;
  try {
    soci::session& sql = connection.session();
    {
      soci::rowset<soci::row> rows =
          (sql.prepare << "SELECT s.urn, s.la_code, m.mini_region, s.ofsted_grade,"
                          " CASE WHEN s.ssif_eligible THEN 1 ELSE 0 END, CASE WHEN s.category_5_6 THEN 1 ELSE 0 END"
                          " FROM schools s LEFT JOIN la_mini_regions m ON m.la_code = s.la_code");
      for (const auto& r : rows) {
        const long long grade = row_integer(r, 3);
        schools[static_cast<int>(row_integer(r, 0))] =
            SchoolRow{static_cast<int>(row_integer(r, 1)),
                      row_text(r, 2),
                      row_integer(r, 4) != 0 || row_integer(r, 5) != 0 || grade == 3 || grade == 4,
                      {}};
      }
    }
    {
      soci::rowset<soci::row> rows = (sql.prepare << "SELECT id, lead_school_urn FROM alliances");
      for (const auto& r : rows) {
        alliances.insert(row_integer(r, 0));
        alliance_lead[row_integer(r, 0)] = static_cast<int>(row_integer(r, 1));
        if (auto it = schools.find(static_cast<int>(row_integer(r, 1))); it != schools.end()) {
          it->second.alliances.insert(row_integer(r, 0));
        }
      }
      soci::rowset<soci::row> members = (sql.prepare << "SELECT alliance_id, school_urn FROM alliance_members");
      for (const auto& r : members) {
        if (auto it = schools.find(static_cast<int>(row_integer(r, 1))); it != schools.end()) {
          it->second.alliances.insert(row_integer(r, 0));
        }
      }
    }
    if (scope.alliance && !alliances.contains(*scope.alliance)) {
      throw ProviderError("no alliance " + std::to_string(*scope.alliance));
    }
    {
      soci::rowset<soci::row> rows = (sql.prepare << "SELECT id, alliance_id FROM system_leaders");
      for (const auto& r : rows) {
        if (r.get_indicator(1) != soci::i_null) leader_alliance[row_integer(r, 0)] = row_integer(r, 1);
      }
      soci::rowset<soci::row> sle = (sql.prepare << "SELECT DISTINCT system_leader_id FROM designations"
                                                    " WHERE designation = 'SLE'");
      for (const auto& r : sle) sle_leaders.insert(row_integer(r, 0));
    }
    {
      // Only the data fields the KPIs read, extracted by the database.
      const bool postgres = connection.backend() == workflow::Backend::postgresql;
      const std::string field = postgres ? "c.data->>'" : "json_extract(c.data, '$.";
      const std::string close = postgres ? "'" : "')";
      // Typed, row by row (a rowset of soci::row converts every field dynamically).
      CaseRow c;
      long long id = 0;
      int urn = 0;
      std::string provider_text;
      soci::indicator source_ind = soci::i_ok;
      soci::indicator matched_ind = soci::i_ok;
      soci::indicator provider_ind = soci::i_ok;
      soci::statement st =
          (sql.prepare << "SELECT c.id, c.kind, c.reference, c.school_urn, c.phase, CAST(c.opened_on AS TEXT), " +
                              field + "source" + close + ", " + field + "matched_on" + close + ", CAST(" + field +
                              "deployed_provider_id" + close + " AS TEXT) FROM cases c ORDER BY c.id",
           soci::into(id), soci::into(c.kind), soci::into(c.reference), soci::into(urn), soci::into(c.phase),
           soci::into(c.opened_on), soci::into(c.source, source_ind), soci::into(c.matched_on, matched_ind),
           soci::into(provider_text, provider_ind));
      st.execute();
      while (st.fetch()) {
        CaseRow row = c;
        row.id = id;
        row.urn = urn;
        if (source_ind == soci::i_null) row.source.clear();
        if (matched_ind == soci::i_null) row.matched_on.clear();
        row.provider = 0;
        if (provider_ind != soci::i_null) {
          std::from_chars(provider_text.data(), provider_text.data() + provider_text.size(), row.provider);
        }
        cases.push_back(std::move(row));
      }
    }
  } catch (const ProviderError&) {
    throw;
  } catch (...) {
    connection.rethrow_translated();
  }

  const auto in_scope = [&](int urn) {
    const auto it = schools.find(urn);
    if (it == schools.end()) return !scope.alliance && !scope.mini_region && !scope.la;
    if (scope.alliance && !it->second.alliances.contains(*scope.alliance)) return false;
    if (scope.mini_region && it->second.mini_region != *scope.mini_region) return false;
    if (scope.la && it->second.la != *scope.la) return false;
    return true;
  };
  const auto in_need = [&](int urn) {
    const auto it = schools.find(urn);
    return it != schools.end() && it->second.in_need;
  };
  std::unordered_map<long long, const CaseRow*> by_id;
  by_id.reserve(cases.size());
  for (auto& c : cases) {
    c.scoped = in_scope(c.urn);
    c.need = in_need(c.urn);
    by_id[c.id] = &c;
  }

  // Logged days in force: entries not replaced by a later correction, in the year.
  struct DayRow {
    long long case_id = 0;
    long long leader = 0;
    double days = 0;
    std::string funding;
  };
  std::vector<DayRow> days;
  struct RatingRow {
    long long case_id = 0;
    int grade = 0;
  };
  std::map<long long, RatingRow> ratings;  // the last rating given in the year, per case
  struct DeadlineRow {
    long long case_id = 0;
    std::string purpose;
    std::string due_on;
    std::string status;
  };
  std::vector<DeadlineRow> deadlines;
  struct AcceptedRow {
    long long case_id = 0;
    std::string status;
  };
  std::vector<AcceptedRow> accepted;
  try {
    soci::session& sql = connection.session();
    // The year's days in force per case, system leader and funding source,
    // kept by every logged day (deployment_day_totals).
    long long case_id = 0;
    long long leader = 0;
    std::string funding;
    int half_days = 0;
    soci::statement totals =
        (sql.prepare << "SELECT case_id, system_leader_id, funding_source, half_days FROM deployment_day_totals"
                        " WHERE academic_year = :y AND half_days <> 0",
         soci::use(scope.academic_year), soci::into(case_id), soci::into(leader), soci::into(funding),
         soci::into(half_days));
    totals.execute();
    while (totals.fetch()) days.push_back(DayRow{case_id, leader, half_days / 2.0, funding});
    soci::rowset<soci::row> rated =
        (sql.prepare << "SELECT case_id, sequence, CAST(occurred_on AS TEXT), CAST(payload AS TEXT) FROM case_history"
                        " WHERE event = 'submit_rating' AND occurred_on BETWEEN :f AND :t ORDER BY case_id, sequence",
         soci::use(from), soci::use(to));
    for (const auto& r : rated) {
      if (!within(row_text(r, 2), from, to)) continue;
      const auto payload = boost::json::parse(row_text(r, 3)).as_object();
      const auto* grade = payload.if_contains("grade");
      if (grade == nullptr || !grade->is_number()) continue;
      ratings[row_integer(r, 0)] = RatingRow{row_integer(r, 0), static_cast<int>(grade->to_number<double>())};
    }
    soci::rowset<soci::row> due =
        (sql.prepare << "SELECT case_id, purpose, CAST(due_on AS TEXT), status FROM deadlines"
                        " WHERE (purpose IN ('designation_review.contact', 'risk_assessment.report',"
                        " 'pupil_premium.report') AND due_on BETWEEN :f AND :t) OR status = 'overdue'",
         soci::use(from), soci::use(to));
    for (const auto& r : due)
      deadlines.push_back(DeadlineRow{row_integer(r, 0), row_text(r, 1), row_text(r, 2), row_text(r, 3)});
    soci::rowset<soci::row> deployments =
        (sql.prepare << "SELECT case_id, status, CAST(accepted_on AS TEXT) FROM deployments"
                        " WHERE accepted_on BETWEEN :f AND :t",
         soci::use(from), soci::use(to));
    for (const auto& r : deployments) {
      if (within(row_text(r, 2), from, to)) accepted.push_back(AcceptedRow{row_integer(r, 0), row_text(r, 1)});
    }
  } catch (...) {
    connection.rethrow_translated();
  }
  const auto case_in_scope = [&](long long id) {
    const auto it = by_id.find(id);
    return it != by_id.end() && it->second->scoped;
  };
  const auto reference = [&](long long id) { return by_id.at(id)->reference; };

  // 1. Deployment days to schools in need, per teaching school (alliance).
  {
    Kpi k = kpi("deployment_days_in_need", "Deployment days to schools in need, per teaching school",
                "Days logged (corrections applied) in the academic year on cases of schools in need (SSIF-eligible, "
                "graded requires improvement or inadequate, or in a Category 5/6 area), divided by the teaching "
                "schools: with an alliance, the days its system leaders gave (to schools anywhere); otherwise the days "
                "given to the scope's schools over the alliances whose lead school is in the scope.",
                "at least 30", "days");
    std::set<std::string> refs;
    for (const auto& d : days) {
      const CaseRow& c = *by_id.at(d.case_id);
      if (!c.need) continue;
      if (scope.alliance) {
        const auto it = leader_alliance.find(d.leader);
        if (it == leader_alliance.end() || it->second != *scope.alliance) continue;
      } else if (!c.scoped) {
        continue;
      }
      k.numerator += d.days;
      if (scope.with_references) refs.insert(c.reference);
    }
    if (scope.alliance) {
      k.denominator = 1;
    } else {
      for (const auto& [alliance, lead] : alliance_lead) k.denominator += in_scope(lead) ? 1 : 0;
    }
    if (k.denominator > 0) k.actual = k.numerator / k.denominator;
    k.status = rag(k.actual, 30);
    k.references = sorted(refs);
    report.kpis.push_back(std::move(k));
  }
  // 2. Support rated good or better by the supported school; 3. SLE deployments so rated.
  {
    Kpi good = kpi("rated_good_or_better", "Support rated good or better",
                   "Of the cases whose school rated the support in the academic year (its last rating counts), "
                   "the share rated 1 (outstanding) or 2 (good).",
                   "at least 90%", "percent");
    Kpi sle = kpi("sle_positive_feedback", "SLE deployments with positive feedback",
                  "Of the rated cases (as above) whose deployed system leader holds an SLE designation, the share "
                  "rated 1 or 2.",
                  "above 95%", "percent");
    std::set<std::string> good_refs;
    std::set<std::string> sle_refs;
    for (const auto& [id, r] : ratings) {
      if (!case_in_scope(id)) continue;
      const CaseRow& c = *by_id.at(id);
      const bool positive = r.grade >= 1 && r.grade <= 2;
      good.denominator += 1;
      good.numerator += positive ? 1 : 0;
      if (scope.with_references) good_refs.insert(c.reference);
      if (c.provider != 0 && sle_leaders.contains(c.provider)) {
        sle.denominator += 1;
        sle.numerator += positive ? 1 : 0;
        if (scope.with_references) sle_refs.insert(c.reference);
      }
    }
    for (auto* k : {&good, &sle}) {
      if (k->denominator > 0) k->actual = percent(k->numerator, k->denominator);
    }
    good.status = rag(good.actual, 90);
    sle.status = rag(sle.actual, 95, true);
    good.references = sorted(good_refs);
    sle.references = sorted(sle_refs);
    report.kpis.push_back(std::move(good));
    report.kpis.push_back(std::move(sle));
  }
  // 4. Self-referrals.
  {
    Kpi k = kpi("self_referrals", "Self-referrals",
                "Cases opened in the academic year that the school referred itself (source self); the denominator is "
                "every case opened in the year.",
                "should rise", "count");
    std::set<std::string> refs;
    for (const auto& c : cases) {
      if (!c.scoped || !within(c.opened_on, from, to)) continue;
      k.denominator += 1;
      if (c.source == "self") {
        k.numerator += 1;
        if (scope.with_references) refs.insert(c.reference);
      }
    }
    k.actual = k.numerator;
    k.status = "none";
    k.references = sorted(refs);
    report.kpis.push_back(std::move(k));
  }
  // 5. Attrition.
  {
    Kpi k =
        kpi("attrition", "Attrition",
            "Of the deployments accepted in the academic year, the share whose case was withdrawn after acceptance.",
            "should fall", "percent");
    std::set<std::string> refs;
    for (const auto& a : accepted) {
      if (!case_in_scope(a.case_id)) continue;
      k.denominator += 1;
      if (a.status == "withdrawn") {
        k.numerator += 1;
        if (scope.with_references) refs.insert(reference(a.case_id));
      }
    }
    if (k.denominator > 0) k.actual = percent(k.numerator, k.denominator);
    k.status = "none";
    k.references = sorted(refs);
    report.kpis.push_back(std::move(k));
  }
  // 6. De-designated schools contacted in time; 7. reports on time.
  const auto on_time = [&](Kpi k, std::initializer_list<const char*> purposes) {
    std::set<std::string> refs;
    for (const auto& d : deadlines) {
      if (std::none_of(purposes.begin(), purposes.end(), [&](const char* p) { return d.purpose == p; })) continue;
      if (!case_in_scope(d.case_id) || !within(d.due_on, from, to)) continue;
      if (d.status != "met" && d.status != "late" && d.status != "overdue") continue;  // open or cancelled
      k.denominator += 1;
      k.numerator += d.status == "met" ? 1 : 0;
      if (scope.with_references) refs.insert(reference(d.case_id));
    }
    if (k.denominator > 0) k.actual = percent(k.numerator, k.denominator);
    k.status = rag(k.actual, 100);
    k.references = sorted(refs);
    report.kpis.push_back(std::move(k));
  };
  on_time(kpi("dedesignated_contacted_in_time", "De-designated schools contacted within 10 working days",
              "Of the designation reviews whose contact deadline fell due in the academic year and is settled "
              "or overdue, the share contacted by the deadline (a contact on its last day counts).",
              "100%", "percent"),
          {"designation_review.contact"});
  on_time(kpi("reports_on_time", "Risk assessment and pupil premium review reports on time",
              "Of the report deadlines of risk assessments and pupil premium reviews that fell due in the "
              "academic year and are settled or overdue, the share met.",
              "100%", "percent"),
          {"risk_assessment.report", "pupil_premium.report"});
  // 8. Working days from referral to match.
  {
    std::vector<int> waits;
    std::set<std::string> refs;
    for (const auto& c : cases) {
      const std::string& matched = c.matched_on;
      if (!c.scoped || !within(matched, from, to)) continue;
      const auto opened = workflow::parse_date(c.opened_on);
      const auto match = workflow::parse_date(matched);
      if (!opened || !match) continue;
      waits.push_back(calendar.working_days_between(*opened, *match));
      if (scope.with_references) refs.insert(c.reference);
    }
    for (const auto& [id, name, q] :
         {std::tuple{"referral_to_match_median",
                     "Working days from referral to match "
                     "(median)",
                     0.5},
          std::tuple{"referral_to_match_p90", "Working days from referral to match (90th percentile)", 0.9}}) {
      Kpi k = kpi(id, name,
                  "Working days from a case's opening to its provider's acceptance, over the cases matched in the "
                  "academic year (nearest-rank percentile).",
                  "should fall", "working days");
      k.denominator = static_cast<double>(waits.size());
      if (!waits.empty()) {
        k.actual = quantile(waits, q);
        k.numerator = static_cast<double>(waits.size());  // the cases it is taken over
      }
      k.status = "none";
      k.references = sorted(refs);
      report.kpis.push_back(std::move(k));
    }
  }
  // 9. Open cases by phase (today); 10. overdue deadlines (today).
  {
    Kpi k = kpi("open_cases", "Open cases", "Cases of the scope not yet closed, declined or withdrawn, today.", "",
                "count");
    std::set<std::string> refs;
    for (const auto& c : cases) {
      const auto phase = workflow::phase_from_string(c.phase);
      if (!c.scoped || (phase && workflow::is_terminal(*phase))) continue;
      ++report.open_by_phase[c.phase];
      k.numerator += 1;
      if (scope.with_references) refs.insert(c.reference);
    }
    k.actual = k.numerator;
    k.status = "none";
    k.references = sorted(refs);
    report.kpis.push_back(std::move(k));
    Kpi o = kpi("overdue_deadlines", "Overdue deadlines", "Deadlines of the scope's cases passed and not met, today.",
                "0", "count");
    std::set<std::string> overdue_refs;
    for (const auto& d : deadlines) {
      if (d.status != "overdue" || !case_in_scope(d.case_id)) continue;
      o.numerator += 1;
      if (scope.with_references) overdue_refs.insert(reference(d.case_id));
    }
    o.actual = o.numerator;
    o.status = o.numerator == 0 ? "green" : "red";
    o.references = sorted(overdue_refs);
    report.kpis.push_back(std::move(o));
  }
  (void)today;
  // Days and spend by funding source.
  {
    std::map<std::string, double> by_source;
    for (const auto& d : days) {
      if (case_in_scope(d.case_id)) by_source[d.funding] += d.days;
    }
    for (const auto& [source, amount] : by_source) {
      if (amount != 0) report.funding.push_back(FundingRow{source, amount, amount * scope.day_rate});
    }
  }
  // The engagement map: schools per mini region with and without a case or an alliance.
  {
    std::set<int> with_case;
    for (const auto& c : cases) {
      if (within(c.opened_on, from, to)) with_case.insert(c.urn);
    }
    std::map<std::string, EngagementRow> rows;
    for (const auto& [urn, s] : schools) {
      if (!in_scope(urn)) continue;
      EngagementRow& row = rows[s.mini_region];
      row.mini_region = s.mini_region;
      ++row.schools;
      const bool engaged = with_case.contains(urn);
      const bool member = !s.alliances.empty();
      row.with_case += engaged ? 1 : 0;
      row.in_alliance += member ? 1 : 0;
      row.with_neither += !engaged && !member ? 1 : 0;
    }
    for (auto& [region, row] : rows) report.engagement.push_back(row);
  }
  return report;
}

std::string kpi_csv(const KpiReport& report) {
  std::string out = "\xEF\xBB\xBF";
  out += "academic_year,from,to,kpi,name,target,actual,numerator,denominator,unit,status,cases\r\n";
  for (const auto& k : report.kpis) {
    std::string refs;
    for (const auto& r : k.references) refs += (refs.empty() ? "" : " ") + r;
    out += csv_field(report.scope.academic_year) + "," + report.from + "," + report.to + "," + csv_field(k.id) + "," +
           csv_field(k.name) + "," + csv_field(k.target) + "," + (k.actual ? number_text(*k.actual) : "") + "," +
           number_text(k.numerator) + "," + number_text(k.denominator) + "," + csv_field(k.unit) + "," + k.status +
           "," + csv_field(refs) + "\r\n";
  }
  return out;
}

}  // namespace s2s::cases
