#include "cases/kpis.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <memory>
#include <set>
#include <thread>

#include "cases/kinds.h"
#include "cases/need.h"
#include "cases/providers.h"
#include "cases/schools.h"
#include "workflow/case_kind.h"
#include "workflow/date.h"
#include "workflow/text.h"

namespace s2s::cases {
namespace {

using workflow::row_integer;
using workflow::row_number;
using workflow::row_text;

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

std::string csv_field(const std::string& text) { return workflow::csv_quote(text); }

// The SQL the report runs. Every value spliced into it is one the program
// made or checked: dates it formatted, an academic year that passed
// is_academic_year, alliance ids and LA codes as integers; nothing a caller
// typed goes in as text.
class ReportSql {
 public:
  ReportSql(workflow::Backend backend, std::string scope_condition, std::string from, std::string end,
            std::string as_of)
      : postgres_(backend == workflow::Backend::postgresql),
        condition_(std::move(scope_condition)),
        from_(quote(from)),
        end_(quote(end)),
        as_of_(quote(as_of)) {}

  static std::string quote(const std::string& checked) { return "'" + checked + "'"; }

  // A text field of a case's data.
  [[nodiscard]] std::string field(const std::string& name) const {
    return postgres_ ? "c.data->>'" + name + "'" : "json_extract(c.data, '$." + name + "')";
  }
  [[nodiscard]] std::string grade() const {
    return postgres_ ? "CAST(h.payload->>'grade' AS NUMERIC)" : "json_extract(h.payload, '$.grade')";
  }
  // Joins a case `c` to its school `s`, keeping only the scope's schools
  // (a case whose school is not on the register is in no scope but "all").
  [[nodiscard]] std::string schools() const {
    return condition_.empty() ? " LEFT JOIN schools s ON s.urn = c.school_urn"
                              : " JOIN schools s ON s.urn = c.school_urn AND " + condition_;
  }
  // 1 when the school `s` is in the scope (it may be a LEFT JOIN's NULL row).
  [[nodiscard]] std::string scoped() const {
    return condition_.empty() ? "1" : "CASE WHEN " + condition_ + " THEN 1 ELSE 0 END";
  }
  [[nodiscard]] const std::string& condition() const { return condition_; }
  [[nodiscard]] const std::string& from() const { return from_; }    // the year's first day
  [[nodiscard]] const std::string& end() const { return end_; }      // the year's last day, or as_of if earlier
  [[nodiscard]] const std::string& as_of() const { return as_of_; }  // the end of which the figures stand at

 private:
  bool postgres_;
  std::string condition_;
  std::string from_;
  std::string end_;
  std::string as_of_;
};

constexpr double kDaysPerTeachingSchool = 30;

// One group of rows: its keys (as text), the case reference when the rows are
// listed one per case, and their count or sum.
struct Tally {
  std::vector<std::string> keys;
  std::string reference;
  double value = 0;
};

// The text of "SELECT keys..., value FROM from_where" grouped by the keys,
// or one row per case (c.reference) when `per_case`.
std::string tally_sql(const std::vector<std::string>& keys, const std::string& value, const std::string& from_where,
                      bool per_case) {
  std::string select = "SELECT ";
  for (const auto& k : keys) select += k + ", ";
  if (per_case) return select + "c.reference, " + value + from_where;
  std::string query = select + "'', CAST(sum(" + value + ") AS DOUBLE PRECISION)" + from_where;
  if (!keys.empty()) {
    query += " GROUP BY ";
    for (std::size_t i = 1; i <= keys.size(); ++i) query += (i > 1 ? ", " : "") + std::to_string(i);
  }
  return query;
}

// The rows of a tally_sql query with `keys` keys.
std::vector<Tally> read_tally(soci::session& sql, const std::string& query, std::size_t keys) {
  std::vector<Tally> out;
  soci::rowset<soci::row> rows = sql.prepare << query;
  for (const auto& r : rows) {
    if (r.get_indicator(keys + 1) == soci::i_null) continue;  // a sum over no rows
    Tally t;
    for (std::size_t i = 0; i < keys; ++i) t.keys.push_back(row_text(r, i));
    t.reference = row_text(r, keys);
    t.value = row_number(r, keys + 1);
    out.push_back(std::move(t));
  }
  return out;
}

// A share: the rows `keep` takes count into k's denominator, those of them
// whose key `hit` is "1" into its numerator.
template <class Keep>
void count_share(Kpi& k, const std::vector<Tally>& rows, std::size_t hit, Keep&& keep) {
  for (const auto& t : rows) {
    if (!keep(t)) continue;
    k.denominator += t.value;
    if (t.keys[hit] == "1") k.numerator += t.value;
  }
}

// The SQL conditions on a school for the scope: where it is (alliance, mini
// region, LA) and, with phases, also its phase group; "" for all schools.
struct ScopeSql {
  std::string place;   // on `s`
  std::string full;    // on `s`: place and phases
  std::string phases;  // on `s`: phases only ("" for every phase)
  std::string place_of_lead;  // on `ls`, a teaching school's lead school: place only
  std::string place_of_day_school;  // on `xs`, the school of a day total's case: place only
};

// The condition of `parts`, joined with AND; "" for none.
std::string all_of(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " AND ") + p;
  return out.empty() ? out : "(" + out + ")";
}

// Where the scope's schools are, checked against the database once: the
// alliance (it exists), the mini region's LA codes, the LA.
struct Place {
  std::optional<long long> alliance;
  std::string alliance_urns;  // "100012, 100340": the alliance's lead school and members
  std::string la_codes;       // "891, 892": the mini region's
  std::optional<int> la;
};

Place find_place(soci::session& sql, const KpiScope& scope) {
  Place place;
  if (scope.alliance) {
    long long found = 0;
    const long long id = *scope.alliance;
    sql << "SELECT count(*) FROM alliances WHERE id = :id", soci::use(id), soci::into(found);
    if (found == 0) throw workflow::InvalidInput("no alliance " + std::to_string(id), "alliance");
    place.alliance = id;
    // Its schools as a list of numbers, as a mini region's LAs are: the
    // database then reads their cases by school through the index rather than
    // testing every case's school against the alliance (docs/performance.md).
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT school_urn FROM alliance_members WHERE alliance_id = :a"
                        " UNION SELECT lead_school_urn FROM alliances WHERE id = :b ORDER BY 1",
         soci::use(id), soci::use(id));
    for (const auto& r : rows) {
      place.alliance_urns += (place.alliance_urns.empty() ? "" : ", ") + std::to_string(row_integer(r, 0));
    }
  }
  if (scope.mini_region) {
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT la_code FROM la_mini_regions WHERE mini_region = :r ORDER BY la_code",
         soci::use(*scope.mini_region));
    for (const auto& r : rows) {
      place.la_codes += (place.la_codes.empty() ? "" : ", ") + std::to_string(row_integer(r, 0));
    }
    if (place.la_codes.empty()) {
      throw workflow::InvalidInput("no mini region '" + *scope.mini_region + "'", "mini_region");
    }
  }
  place.la = scope.la;
  return place;
}

// The SQL condition that a school `s` (an alias) is in the place; "" for anywhere.
std::string place_condition(const Place& place, const std::string& s) {
  std::vector<std::string> parts;
  if (place.alliance) parts.push_back(s + ".urn IN (" + place.alliance_urns + ")");
  if (!place.la_codes.empty()) parts.push_back(s + ".la_code IN (" + place.la_codes + ")");
  if (place.la) parts.push_back(s + ".la_code = " + std::to_string(*place.la));
  return all_of(parts);
}

ScopeSql scope_conditions(soci::session& sql, const KpiScope& scope) {
  ScopeSql out;
  const Place place = find_place(sql, scope);
  out.place = place_condition(place, "s");
  out.place_of_lead = place_condition(place, "ls");
  out.place_of_day_school = place_condition(place, "xs");
  if (!scope.phases.empty()) {
    std::string list;
    for (const auto& phase : scope.phases) {
      if (!is_phase_group(phase))
        throw workflow::InvalidInput("no phase '" + phase + "' (" + phase_groups_text() + ")", "phases");
      list += (list.empty() ? "'" : ", '") + phase + "'";  // checked against the fixed list above
    }
    out.phases = "s.phase_group IN (" + list + ")";
  }
  std::vector<std::string> parts;
  if (!out.place.empty()) parts.push_back(out.place);
  if (!out.phases.empty()) parts.push_back(out.phases);
  out.full = all_of(parts);
  return out;
}

// A query a report reads once: by one of the snapshot's connections, when the
// report's queries run side by side (Counting::queries), or else on first use.
class Query {
 public:
  Query() = default;
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  virtual ~Query() = default;
  virtual void load(soci::session& sql) = 0;
  // Its SQL: two reports made in one snapshot that would run the same text
  // (the quarterly report's two columns read the same year's days) read it once.
  [[nodiscard]] virtual const std::string& text() const = 0;
  // Takes the rows `same` reads instead of reading them again; false when
  // `same` reads rows of another kind.
  virtual bool share(Query& same) = 0;
};

template <class T>
class Rows final : public Query {
 public:
  Rows(std::function<std::string()> text, std::function<T(soci::session&, const std::string&)> read)
      : make_text_(std::move(text)), read_(std::move(read)) {}
  void load(soci::session& sql) override {
    if (!*value_) *value_ = read_(sql, text());
  }
  const T& get(soci::session& sql) {
    load(sql);
    return **value_;
  }
  // Made on first use, on the report's own thread: Counting::queries asks
  // for every text before the queries are shared out.
  [[nodiscard]] const std::string& text() const override {
    if (!text_) text_ = make_text_();
    return *text_;
  }
  bool share(Query& same) override {
    auto* rows = dynamic_cast<Rows<T>*>(&same);
    if (rows == nullptr) return false;
    value_ = rows->value_;
    return true;
  }

 private:
  std::function<std::string()> make_text_;
  std::function<T(soci::session&, const std::string&)> read_;
  mutable std::optional<std::string> text_;
  std::shared_ptr<std::optional<T>> value_ = std::make_shared<std::optional<T>>();
};

// Reads the tally_sql rows of a query with `keys` keys.
auto tallies(std::size_t keys) {
  return [keys](soci::session& sql, const std::string& query) { return read_tally(sql, query, keys); };
}

// A row of the engagement map's query: a mini region, whether its schools
// had a case in the year and are in an alliance, and how many there are.
struct EngagementCount {
  std::string mini_region;
  bool engaged = false;
  bool member = false;
  int schools = 0;
};

// A day's days, for the months (YYYY-MM-DD, half days).
using DaySum = std::pair<std::string, double>;

// What a report's KPIs are counted from: its dates, its scope's SQL, and the
// rows several KPIs share (the year's days, the accepted deployments, the
// ratings, the settled deadlines), each read once, when first asked for.
class Counting {
 public:
  struct TeachingSchool {
    std::int64_t id = 0;
    std::string name;  // "Birch Teaching School Alliance (Birch Primary)"
  };

  Counting(workflow::Database::Connection& connection, const workflow::Calendar& calendar, const KpiScope& scope,
           std::chrono::year_month_day today, KpiReport& report, int first_year)
      : sql(connection.session()),
        calendar(calendar),
        scope(scope),
        report(report),
        first_year(first_year),
        as_of(scope.as_of.value_or(today)),
        // Nothing can be logged ahead of the day it is logged on, so up to
        // today the kept yearly totals are exact; an earlier day takes off
        // the entries dated after it.
        now(std::chrono::sys_days(as_of) >= std::chrono::sys_days(today)),
        refs(scope.with_references),
        where(scope_conditions(sql, scope)),
        q(connection.backend(), where.full, report.from, std::min(report.to, report.as_of), report.as_of),
        rules(need_rules(connection)),
        need(need_sql(rules)) {
    report.need_criteria = need_criteria_text(rules);
  }

  soci::session& sql;
  const workflow::Calendar& calendar;
  const KpiScope& scope;
  KpiReport& report;
  const int first_year;
  const std::chrono::year_month_day as_of;
  const bool now;
  const bool refs;
  const ScopeSql where;
  const ReportSql q;
  // Schools in need under the criteria in force (docs/need.md): a school not
  // on the register (NULL) is not in need.
  const std::vector<NeedRule> rules;
  const NeedSql need;

  // The report's queries, each to run once on any connection of its
  // snapshot; every KPI is then counted from their rows. Reads the
  // teaching schools first, on the report's own connection: the days need
  // them. Each query's text is made here, before the queries are shared out.
  std::vector<Query*> queries() {
    (void)teaching_schools();
    // The longest first, so that the connections finish together.
    std::vector<Query*> out;
    if (scope.with_breakdowns) out.push_back(&month_entries_);
    out.insert(out.end(), {&overdue_, &days_total_});
    if (!now) out.push_back(&days_after_);
    out.insert(out.end(), {&accepted_, &rated_, &settled_, &states_, &referred_, &referred_before_});
    if (scope.with_breakdowns) out.insert(out.end(), {&engagement_, &month_corrections_});
    if (scope.with_ahead) out.insert(out.end(), {&planned_, &outstanding_});
    for (const Query* query : out) (void)query->text();
    return out;
  }

  // The references of the rows `keep` takes, sorted, once each.
  template <class Keep>
  static std::vector<std::string> sorted_refs(const std::vector<Tally>& rows, Keep&& keep) {
    std::set<std::string> out;
    for (const auto& t : rows) {
      if (!t.reference.empty() && keep(t)) out.insert(t.reference);
    }
    return std::vector<std::string>(out.begin(), out.end());
  }
  static bool all_rows(const Tally&) { return true; }
  static auto key_is(std::size_t i, const char* value) {
    return [i, value](const Tally& t) { return t.keys[i] == value; };
  }

  // The last day the report counts: the year's last, or the report's day if earlier (YYYY-MM-DD).
  [[nodiscard]] const std::string& end() const { return std::min(report.to, report.as_of); }

  // The scope's teaching schools: the alliance asked for, else the alliances
  // whose lead school is in the scope's place.
  const std::vector<TeachingSchool>& teaching_schools() {
    if (teaching_schools_) return *teaching_schools_;
    teaching_schools_.emplace();
    const std::string query =
        "SELECT a.id, a.name, ls.name FROM alliances a JOIN schools ls ON ls.urn = a.lead_school_urn" +
        (scope.alliance ? " WHERE a.id = " + std::to_string(*scope.alliance)
                        : where.place_of_lead.empty() ? std::string() : " WHERE " + where.place_of_lead) +
        " ORDER BY a.name, a.id";
    soci::rowset<soci::row> rows = sql.prepare << query;
    for (const auto& r : rows) {
      teaching_schools_->push_back({row_integer(r, 0), row_text(r, 1) + " (" + row_text(r, 2) + ")"});
    }
    return *teaching_schools_;
  }

  // The year's days in force up to the report's date. keys: in need, the
  // case's school in scope, the teaching school the day counts for ("0":
  // none of the scope's), kind, funding source. A teaching school's days
  // are those its system leaders gave, to schools anywhere of the scope's phases.
  const std::vector<Tally>& days() {
    if (now) return days_total_.get(sql);
    if (!days_net_) days_net_ = net_days(days_total_.get(sql), days_after_.get(sql));
    return *days_net_;
  }

  // A teaching school's days to schools outside the scope count, but those
  // cases are not the caller's to see: only the scope's own are listed.
  [[nodiscard]] bool listable(const Tally& day) const { return where.full.empty() || day.keys[1] == "1"; }

  // The cases rated in the year, by their last rating. keys: rated 1 or 2,
  // an SLE deployment (made under an SLE designation, chosen when the provider
  // was proposed, that was active from acceptance to its end or the report's
  // date), the month it was given in (YYYY-MM).
  const std::vector<Tally>& rated() { return rated_.get(sql); }

  // Support requests opened in the year to the report's date, and in the
  // whole year before. keys: the school, a self-referral.
  // Read over the whole year with the day each was opened, so that a report
  // as of an earlier day made beside this year's shares the query (see
  // kpi_reports); the days after the report's are left out here.
  const std::vector<Tally>& referred() {
    if (!referred_in_) {
      referred_in_.emplace();
      for (const auto& t : referred_.get(sql)) {
        if (t.keys[2] <= end()) referred_in_->push_back(Tally{{t.keys[0], t.keys[1]}, t.reference, t.value});
      }
    }
    return *referred_in_;
  }
  const std::vector<Tally>& referred_before() { return referred_before_.get(sql); }

  // Deployments accepted in the year (the case's match). keys: withdrawn
  // since, opened on, accepted on.
  // Read over the whole year with the day each was withdrawn, as referred().
  const std::vector<Tally>& accepted() {
    if (!accepted_in_) {
      accepted_in_.emplace();
      for (const auto& t : accepted_.get(sql)) {
        if (t.keys[2] > end()) continue;
        const bool withdrawn = !t.keys[0].empty() && t.keys[0] <= report.as_of;
        accepted_in_->push_back(Tally{{withdrawn ? "1" : "0", t.keys[1], t.keys[2]}, t.reference, t.value});
      }
    }
    return *accepted_in_;
  }

  // The working days from referral to match of each accepted deployment.
  const std::vector<int>& waits() {
    if (waits_) return *waits_;
    waits_.emplace();
    std::map<std::pair<std::string, std::string>, int> known;  // the calendar counts each pair of days once
    for (const auto& t : accepted()) {
      auto [it, added] = known.try_emplace(std::pair{t.keys[1], t.keys[2]}, -1);
      if (added) {
        const auto opened = workflow::parse_date(t.keys[1]);
        const auto match = workflow::parse_date(t.keys[2]);
        if (opened && match) it->second = calendar.working_days_between(*opened, *match);
      }
      if (it->second >= 0) waits_->insert(waits_->end(), static_cast<std::size_t>(t.value), it->second);
    }
    return *waits_;
  }

  // The report and contact deadlines that count: met or late by the
  // report's date, or passed unmet (overdue, or settled or cancelled only
  // after it). keys: contact or report, met in time.
  // Read as every such deadline due in the year with its status and days,
  // as referred(); those that count by the report's date are kept here.
  const std::vector<Tally>& settled() {
    if (!settled_in_) {
      settled_in_.emplace();
      const std::string& on = report.as_of;
      for (const auto& t : settled_.get(sql)) {
        const std::string& status = t.keys[1];
        const std::string& settled_on = t.keys[2];
        const std::string& due_on = t.keys[3];
        const bool settled_by_then = !settled_on.empty() && settled_on <= on;
        const bool counts = ((status == "met" || status == "late") && settled_by_then) ||
                            (due_on < on && !settled_by_then);
        if (!counts) continue;
        const bool met = status == "met" && settled_by_then;
        settled_in_->push_back(Tally{{t.keys[0], met ? "1" : "0"}, t.reference, t.value});
      }
    }
    return *settled_in_;
  }

  // The scope's cases opened by the report's date, by kind and their state on it.
  const std::vector<Tally>& states() { return states_.get(sql); }

  // Deadlines passed by the report's date and not met, late or cancelled by
  // then: listed (with_overdue_items, in OverdueItem's order, working days
  // late not yet counted), else only counted (one Tally; one per deadline with references).
  struct Overdue {
    std::vector<OverdueItem> items;
    std::vector<Tally> counted;
  };
  const Overdue& overdue() { return overdue_.get(sql); }

  const std::vector<EngagementCount>& engagement() { return engagement_.get(sql); }

  // What the forecast reads beside the report (KpiAhead).
  KpiAhead ahead() {
    KpiAhead out;
    for (const auto& t : planned_.get(sql)) out.planned[std::stoll(t.keys[0])] = t.value / 2.0;
    for (const auto& t : outstanding_.get(sql)) {
      out.ratings_outstanding += static_cast<int>(t.value);
      if (t.keys[0] == "1") out.ratings_closing += static_cast<int>(t.value);
    }
    return out;
  }

  // The days given to the scope's schools by day: every entry dated in the
  // year, and (to take off) those a later entry corrected.
  const std::vector<DaySum>& month_entries() { return month_entries_.get(sql); }
  const std::vector<DaySum>& month_corrections() { return month_corrections_.get(sql); }

 private:
  // The days' keys and the rows they are read from (see days()).
  struct DaysSql {
    std::vector<std::string> keys;
    std::string joins;      // the case, its school, its need and the system leader, after a day table `t`
    std::string kept_rows;  // " AND ...": the scope's days and its teaching schools'
    std::string teaching;   // the scope's teaching schools' alliance ids, "12, 120"; "" for none
  };
  [[nodiscard]] DaysSql days_sql() const {
    std::string teaching;
    for (const auto& t : *teaching_schools_) teaching += (teaching.empty() ? "" : ", ") + std::to_string(t.id);
    const std::string counts_for = teaching.empty() ? std::string("0")
                                                    : "CASE WHEN l.alliance_id IN (" + teaching + ")" +
                                                          (where.phases.empty() ? "" : " AND " + where.phases) +
                                                          " THEN CAST(l.alliance_id AS TEXT) ELSE '0' END";
    DaysSql out;
    out.kept_rows = where.full.empty() && teaching.empty()
                        ? std::string()
                        : " AND (" + (where.full.empty() ? std::string("1 = 1") : where.full) +
                              (teaching.empty() ? ""
                                                : " OR (l.alliance_id IN (" + teaching + ")" +
                                                      (where.phases.empty() ? "" : " AND " + where.phases) + ")") +
                              ")";
    out.keys = {"CASE WHEN " + need.position + " > 0 THEN 1 ELSE 0 END", q.scoped(), counts_for, "c.kind",
                "COALESCE(t.funding_source, '')"};
    out.teaching = std::move(teaching);
    out.joins = " JOIN cases c ON c.id = t.case_id LEFT JOIN schools s ON s.urn = c.school_urn" + need.join +
                " LEFT JOIN system_leaders l ON l.id = t.system_leader_id";
    return out;
  }

  // The day totals days_sql's kept rows can come from, as `t`: for a place,
  // its schools' cases' totals and its teaching schools' system leaders'
  // (each set read through an index, kept_rows then deciding each row as
  // before). Kept rows that are an OR across the case's school and the
  // system leader would otherwise have the database join every case in
  // England before looking at either: an alliance's totals took 56 to 64 ms
  // that way, 3 to 5 ms this way (docs/performance.md).
  [[nodiscard]] std::string day_totals_of_place(const DaysSql& d) const {
    if (where.place_of_day_school.empty()) return "deployment_day_totals t";
    return "(SELECT x.* FROM deployment_day_totals x JOIN cases xc ON xc.id = x.case_id"
           " JOIN schools xs ON xs.urn = xc.school_urn WHERE " +
           where.place_of_day_school +
           (d.teaching.empty() ? std::string()
                               : " UNION SELECT x.* FROM deployment_day_totals x WHERE x.system_leader_id IN"
                                 " (SELECT xl.id FROM system_leaders xl WHERE xl.alliance_id IN (" +
                                     d.teaching + "))") +
           ") t";
  }

  // The year's days in force are kept per case, system leader and funding
  // source (deployment_day_totals).
  [[nodiscard]] std::string days_total_sql() const {
    const DaysSql d = days_sql();
    return tally_sql(d.keys, "t.half_days",
                     " FROM " + day_totals_of_place(d) + d.joins +
                         " WHERE t.academic_year = " + ReportSql::quote(scope.academic_year) + " AND t.half_days <> 0" +
                         d.kept_rows,
                     refs);
  }

  // The year's entries in force dated after the report's day: taken off the
  // year's totals, they leave its days up to that day (few, for a recent day).
  [[nodiscard]] std::string days_after_sql() const {
    const DaysSql d = days_sql();
    return tally_sql(d.keys, "t.half_days",
                     " FROM deployment_days t" + d.joins + " WHERE t.day > " + q.as_of() +
                         " AND t.day <= " + ReportSql::quote(report.to) +
                         " AND t.half_days <> 0 AND NOT EXISTS (SELECT 1 FROM deployment_days x"
                         " WHERE x.case_id = t.case_id AND x.corrects_entry = t.entry)" +
                         d.kept_rows,
                     refs);
  }

  static std::vector<Tally> net_days(const std::vector<Tally>& total, const std::vector<Tally>& after) {
    std::map<std::pair<std::vector<std::string>, std::string>, double> net;
    for (const auto& t : total) net[{t.keys, t.reference}] += t.value;
    for (const auto& t : after) net[{t.keys, t.reference}] -= t.value;
    std::vector<Tally> out;
    for (auto& [key, value] : net) {
      if (std::fabs(value) > 1e-9) out.push_back(Tally{key.first, key.second, value});
    }
    return out;
  }

  [[nodiscard]] std::string rated_sql() const {
    const std::string sle_deployment =
        "CASE WHEN EXISTS (SELECT 1 FROM deployments d JOIN designations g ON g.id = d.designation_id"
        " WHERE d.case_id = c.id AND d.accepted_on IS NOT NULL AND d.status IN ('active', 'ended')"
        " AND g.designation = 'SLE' AND g.active_from <= d.accepted_on"
        " AND (g.active_to IS NULL OR g.active_to >= COALESCE(d.ended_on, " +
        q.end() + "))) THEN 1 ELSE 0 END";
    return tally_sql({"CASE WHEN " + q.grade() + " BETWEEN 1 AND 2 THEN 1 ELSE 0 END", sle_deployment,
                      "substr(CAST(h.occurred_on AS TEXT), 1, 7)"},
                     "1",
                     // Each case's last rating in the year: the year's ratings read once,
                     // numbered newest first per case (a second look-up of the
                     // ratings for a later one read them twice: 100 ms for England
                     // against 45).
                     " FROM (SELECT h.*, row_number() OVER (PARTITION BY h.case_id ORDER BY h.sequence DESC) AS nth"
                     " FROM case_history h WHERE h.event = 'submit_rating' AND h.occurred_on BETWEEN " +
                         q.from() + " AND " + q.end() + ") h JOIN cases c ON c.id = h.case_id" + q.schools() +
                         " WHERE h.nth = 1",
                     refs);
  }

  // Support requests opened between two quoted dates. keys: the school, a
  // self-referral, the day it was opened.
  [[nodiscard]] std::string referred_sql(const std::string& from, const std::string& to) const {
    return tally_sql({"CAST(c.school_urn AS TEXT)", "CASE WHEN " + q.field("source") + " = 'self' THEN 1 ELSE 0 END",
                      "CAST(c.opened_on AS TEXT)"},
                     "1",
                     " FROM cases c" + q.schools() + " WHERE c.kind = 'support_request' AND c.opened_on BETWEEN " +
                         from + " AND " + to,
                     refs);
  }

  // keys: the day it was withdrawn ("" while not), opened on, accepted on.
  [[nodiscard]] std::string accepted_sql() const {
    return tally_sql({"CASE WHEN d.status = 'withdrawn' THEN CAST(d.ended_on AS TEXT) ELSE '' END",
                      "CAST(c.opened_on AS TEXT)", "CAST(d.accepted_on AS TEXT)"},
                     "1",
                     " FROM deployments d JOIN cases c ON c.id = d.case_id" + q.schools() +
                         " WHERE d.accepted_on BETWEEN " + q.from() + " AND " + ReportSql::quote(report.to),
                     refs);
  }

  // keys: contact or report, status, settled on ("" while not), due on.
  [[nodiscard]] std::string settled_sql() const {
    return tally_sql({"CASE WHEN dl.purpose = 'designation_review.contact' THEN 'contact' ELSE 'report' END",
                      "dl.status", "COALESCE(CAST(dl.settled_on AS TEXT), '')", "CAST(dl.due_on AS TEXT)"},
                     "1",
                     " FROM deadlines dl JOIN cases c ON c.id = dl.case_id" + q.schools() +
                         " WHERE dl.purpose IN ('designation_review.contact', 'risk_assessment.report', "
                         "'pupil_premium.report') AND dl.due_on BETWEEN " +
                         q.from() + " AND " + ReportSql::quote(report.to),
                     refs);
  }

  // A case's state on an earlier date is its state now unless it moved
  // since the day before (then its history says).
  [[nodiscard]] std::string states_sql() const {
    const auto day_before = workflow::format_date(std::chrono::sys_days(as_of) - std::chrono::days(1));
    return tally_sql({"c.kind", now ? std::string("c.state")
                                    : "CASE WHEN c.updated_at < " + ReportSql::quote(day_before) +
                                          " THEN c.state ELSE COALESCE((SELECT h.to_state FROM case_history h WHERE "
                                          "h.case_id = c.id AND h.occurred_on <= " +
                                          q.as_of() + " ORDER BY h.sequence DESC LIMIT 1), c.state) END"},
                     "1", " FROM cases c" + q.schools() + " WHERE c.opened_on <= " + q.as_of(), refs);
  }

  // Deadlines passed by the report's date and not met, late or cancelled by
  // then: listed (with_overdue_items), else counted.
  [[nodiscard]] std::string overdue_sql() const {
    // Up to today nothing is settled after the report's date, so the
    // deadlines passed are those never settled (deadlines_unsettled).
    const std::string unmet =
        now ? " AND dl.settled_on IS NULL" : " AND (dl.settled_on IS NULL OR dl.settled_on > " + q.as_of() + ")";
    const std::string passed = " FROM deadlines dl JOIN cases c ON c.id = dl.case_id" + q.schools() +
                               " WHERE dl.due_on < " + q.as_of() + unmet;
    if (!scope.with_overdue_items) return tally_sql({}, "1", passed, refs);
    return "SELECT c.reference, c.kind, c.school_urn, s.name, dl.purpose, CAST(dl.due_on AS TEXT)" + passed +
           " ORDER BY dl.due_on, c.reference, dl.purpose";
  }

  Overdue read_overdue(soci::session& s, const std::string& query) const {
    Overdue out;
    if (!scope.with_overdue_items) {
      out.counted = read_tally(s, query, 0);
      return out;
    }
    soci::rowset<soci::row> rows = s.prepare << query;
    for (const auto& r : rows) {
      out.items.push_back(OverdueItem{row_text(r, 0), row_text(r, 1), static_cast<int>(row_integer(r, 2)),
                                      row_text(r, 3), row_text(r, 4), row_text(r, 5), 0});
    }
    return out;
  }

  // Over every school, the year's cases' schools as one set (read through
  // cases_opened); over an area's, a search of each school's own cases.
  [[nodiscard]] std::string engagement_sql() const {
    const std::string opened = q.from() + " AND " + q.end();
    const std::string engaged =
        q.condition().empty()
            ? "s.urn IN (SELECT c.school_urn FROM cases c WHERE c.opened_on BETWEEN " + opened + ")"
            : "EXISTS (SELECT 1 FROM cases c WHERE c.school_urn = s.urn AND c.opened_on BETWEEN " + opened + ")";
    return "SELECT COALESCE(m.mini_region, ''), CASE WHEN " + engaged +
           " THEN 1 ELSE 0 END,"
           " CASE WHEN s.urn IN (SELECT school_urn FROM alliance_members)"
           " OR s.urn IN (SELECT lead_school_urn FROM alliances) THEN 1 ELSE 0 END, count(*)"
           " FROM schools s LEFT JOIN la_mini_regions m ON m.la_code = s.la_code" +
           (q.condition().empty() ? "" : " WHERE " + q.condition()) + " GROUP BY 1, 2, 3";
  }

  static std::vector<EngagementCount> read_engagement(soci::session& s, const std::string& query) {
    soci::rowset<soci::row> rows = s.prepare << query;
    std::vector<EngagementCount> out;
    for (const auto& r : rows) {
      out.push_back({row_text(r, 0), row_integer(r, 1) != 0, row_integer(r, 2) != 0,
                     static_cast<int>(row_integer(r, 3))});
    }
    return out;
  }

  // Every entry of the year, and those a later entry corrected (each by its
  // own day): their difference is the entries in force, without testing
  // each of the year's entries for a correction (corrections are few).
  // Summed by day in the database (a date groups faster than text).
  [[nodiscard]] std::string month_days_sql(bool corrected) const {
    const std::string scoped = q.condition().empty() ? std::string() : " JOIN cases c ON c.id = t.case_id" + q.schools();
    const std::string in_year = " t.day BETWEEN " + q.from() + " AND " + q.end() + " AND t.half_days <> 0";
    const std::string from_where =
        corrected ? " FROM deployment_days x JOIN deployment_days t ON t.case_id = x.case_id AND t.entry = "
                    "x.corrects_entry" +
                        scoped + " WHERE x.corrects_entry IS NOT NULL AND" + in_year
                  : " FROM deployment_days t" + scoped + " WHERE" + in_year;
    return "SELECT CAST(d AS TEXT), CAST(v AS DOUBLE PRECISION) FROM (SELECT t.day AS d, sum(t.half_days) AS v" +
           from_where + " GROUP BY t.day) g";
  }

  static std::vector<DaySum> read_month_days(soci::session& s, const std::string& query) {
    soci::rowset<soci::row> rows = s.prepare << query;
    std::vector<DaySum> out;
    for (const auto& r : rows) out.emplace_back(row_text(r, 0), row_number(r, 1));
    return out;
  }

  // The days each teaching school has reserved for schools in need and not
  // yet logged (half days), to schools anywhere of the scope's phases.
  [[nodiscard]] std::string planned_sql() const {
    std::string ids;
    for (const auto& t : *teaching_schools_) ids += (ids.empty() ? "" : ", ") + std::to_string(t.id);
    if (ids.empty()) ids = "NULL";  // no teaching school: no rows
    const std::string logged =
        "COALESCE((SELECT sum(t.half_days) FROM deployment_day_totals t WHERE t.case_id = d.case_id AND"
        " t.system_leader_id = d.system_leader_id AND t.academic_year = d.academic_year), 0)";
    return tally_sql({"CAST(l.alliance_id AS TEXT)"},
                     "CASE WHEN d.half_days_reserved > " + logged + " THEN d.half_days_reserved - " + logged +
                         " ELSE 0 END",
                     " FROM deployments d JOIN system_leaders l ON l.id = d.system_leader_id"
                     " JOIN cases c ON c.id = d.case_id LEFT JOIN schools s ON s.urn = c.school_urn" +
                         need.join + " WHERE d.status = 'active' AND d.academic_year = " +
                         ReportSql::quote(scope.academic_year) + " AND c.kind = 'support_request' AND " +
                         need.position + " > 0 AND l.alliance_id IN (" + ids + ")" +
                         (where.phases.empty() ? "" : " AND " + where.phases),
                     false);
  }

  // The ratings the scope's cases were asked for and have not given. keys:
  // due within kRatingsClosingWithin working days.
  [[nodiscard]] std::string outstanding_sql() const {
    const std::string soon = workflow::format_date(calendar.add_working_days(as_of, kRatingsClosingWithin));
    return tally_sql({"CASE WHEN dl.due_on <= " + ReportSql::quote(soon) + " THEN 1 ELSE 0 END"}, "1",
                     " FROM deadlines dl JOIN cases c ON c.id = dl.case_id" + q.schools() +
                         " WHERE dl.purpose = 'support_request.rating' AND dl.settled_on IS NULL",
                     false);
  }

  std::optional<std::vector<TeachingSchool>> teaching_schools_;
  std::optional<std::vector<int>> waits_;
  std::optional<std::vector<Tally>> days_net_;
  std::optional<std::vector<Tally>> referred_in_;
  std::optional<std::vector<Tally>> accepted_in_;
  std::optional<std::vector<Tally>> settled_in_;
  Rows<std::vector<Tally>> days_total_{[this] { return days_total_sql(); }, tallies(5)};
  Rows<std::vector<Tally>> days_after_{[this] { return days_after_sql(); }, tallies(5)};
  Rows<std::vector<Tally>> rated_{[this] { return rated_sql(); }, tallies(3)};
  Rows<std::vector<Tally>> referred_{[this] { return referred_sql(q.from(), ReportSql::quote(report.to)); },
                                     tallies(3)};
  Rows<std::vector<Tally>> referred_before_{[this] {
                                              return referred_sql(fmt::format("'{:04}-09-01'", first_year - 1),
                                                                  fmt::format("'{:04}-08-31'", first_year));
                                            },
                                            tallies(3)};
  Rows<std::vector<Tally>> accepted_{[this] { return accepted_sql(); }, tallies(3)};
  Rows<std::vector<Tally>> settled_{[this] { return settled_sql(); }, tallies(4)};
  Rows<std::vector<Tally>> states_{[this] { return states_sql(); }, tallies(2)};
  Rows<Overdue> overdue_{[this] { return overdue_sql(); },
                         [this](soci::session& s, const std::string& query) { return read_overdue(s, query); }};
  Rows<std::vector<EngagementCount>> engagement_{[this] { return engagement_sql(); }, read_engagement};
  Rows<std::vector<DaySum>> month_entries_{[this] { return month_days_sql(false); }, read_month_days};
  Rows<std::vector<DaySum>> month_corrections_{[this] { return month_days_sql(true); }, read_month_days};
  Rows<std::vector<Tally>> planned_{[this] { return planned_sql(); }, tallies(1)};
  Rows<std::vector<Tally>> outstanding_{[this] { return outstanding_sql(); }, tallies(1)};
};

// A KPI counted per teaching school: each one's part (against `each`, when
// the plan sets a target per teaching school), and the total against `each`
// times the number of teaching schools. The status is the worst of the
// total's and every teaching school's, so that a total met never hides a
// teaching school below its own target.
template <class Counts>
void per_teaching_school(Counting& c, Kpi& k, Counts&& counts, std::optional<double> each) {
  const auto& days = c.days();
  const auto n = static_cast<double>(c.teaching_schools().size());
  for (const auto& ts : c.teaching_schools()) {
    const std::string id = std::to_string(ts.id);
    KpiPart part;
    part.alliance_id = ts.id;
    part.name = ts.name;
    const auto mine = [&](const Tally& t) { return t.keys[2] == id && counts(t); };
    for (const auto& t : days) part.actual += mine(t) ? t.value / 2.0 : 0;
    part.target = each ? "at least " + figure_text(*each) : "";
    part.status = each ? rag(part.actual, *each) : "none";
    part.references = Counting::sorted_refs(days, [&](const Tally& t) { return mine(t) && c.listable(t); });
    k.numerator += part.actual;
    k.parts.push_back(std::move(part));
  }
  // The denominator is the total's target (30 x the teaching schools), so
  // that numerator over denominator is a share of it, never an average.
  k.denominator = each ? *each * n : 0;
  if (n > 0) k.actual = k.numerator;
  k.status = each ? rag(k.actual, *each * n) : "none";
  static constexpr std::array<const char*, 4> kWorst{"none", "green", "amber", "red"};
  const auto rank = [](const std::string& status) {
    return std::find(kWorst.begin(), kWorst.end(), status) - kWorst.begin();
  };
  for (const auto& part : k.parts) {
    if (each && rank(part.status) > rank(k.status)) k.status = part.status;
  }
  k.references =
      Counting::sorted_refs(days, [&](const Tally& t) { return t.keys[2] != "0" && counts(t) && c.listable(t); });
}

void count_days_in_need(Counting& c, Kpi& k) {
  const auto n = static_cast<double>(c.teaching_schools().size());
  if (n != 1) {
    k.target = fmt::format("at least 30 per teaching school ({} in all for {})",
                           figure_text(kDaysPerTeachingSchool * n), figure_text(n));
  }
  per_teaching_school(
      c, k, [](const Tally& t) { return t.keys[0] == "1" && t.keys[3] == "support_request"; },
      kDaysPerTeachingSchool);
}

void count_risk_assessment_days(Counting& c, Kpi& k) {
  per_teaching_school(c, k, [](const Tally& t) { return t.keys[3] == "risk_assessment"; }, std::nullopt);
}

void count_pupil_premium_review_days(Counting& c, Kpi& k) {
  per_teaching_school(c, k, [](const Tally& t) { return t.keys[3] == "pupil_premium_review"; }, std::nullopt);
}

void count_rated_good(Counting& c, Kpi& k) {
  count_share(k, c.rated(), 0, Counting::all_rows);
  if (k.denominator > 0) k.actual = percent(k.numerator, k.denominator);
  k.status = rag(k.actual, 90);
  k.references = Counting::sorted_refs(c.rated(), Counting::all_rows);
}

void count_sle_positive(Counting& c, Kpi& k) {
  count_share(k, c.rated(), 0, Counting::key_is(1, "1"));
  if (k.denominator > 0) k.actual = percent(k.numerator, k.denominator);
  k.status = rag(k.actual, 95, true);
  k.references = Counting::sorted_refs(c.rated(), Counting::key_is(1, "1"));
}

void count_self_referrals(Counting& c, Kpi& k) {
  const auto distinct_schools = [](const std::vector<Tally>& rows, bool self_only) {
    std::set<std::string> out;
    for (const auto& t : rows) {
      if (!self_only || t.keys[1] == "1") out.insert(t.keys[0]);
    }
    return static_cast<double>(out.size());
  };
  const auto& opened = c.referred();
  k.numerator = distinct_schools(opened, true);
  k.denominator = distinct_schools(opened, false);
  k.actual = k.numerator;
  k.previous = distinct_schools(c.referred_before(), true);
  k.status = "none";
  k.references = Counting::sorted_refs(opened, Counting::key_is(1, "1"));
}

void count_attrition(Counting& c, Kpi& k) {
  count_share(k, c.accepted(), 0, Counting::all_rows);
  if (k.denominator > 0) k.actual = percent(k.numerator, k.denominator);
  k.status = "none";
  k.references = Counting::sorted_refs(c.accepted(), Counting::key_is(0, "1"));
}

void count_on_time(Counting& c, Kpi& k, const char* which) {
  count_share(k, c.settled(), 1, Counting::key_is(0, which));
  if (k.denominator > 0) k.actual = percent(k.numerator, k.denominator);
  k.status = rag(k.actual, 100);
  k.references = Counting::sorted_refs(c.settled(), Counting::key_is(0, which));
}

void count_contacted_in_time(Counting& c, Kpi& k) { count_on_time(c, k, "contact"); }
void count_reports_on_time(Counting& c, Kpi& k) { count_on_time(c, k, "report"); }

void count_referral_to_match(Counting& c, Kpi& k, double quant) {
  const auto& waits = c.waits();
  k.denominator = static_cast<double>(waits.size());
  if (!waits.empty()) {
    k.actual = quantile(waits, quant);
    k.numerator = static_cast<double>(waits.size());  // the cases it is taken over
  }
  k.status = "none";
  k.references = Counting::sorted_refs(c.accepted(), Counting::all_rows);
}

void count_referral_to_match_median(Counting& c, Kpi& k) { count_referral_to_match(c, k, 0.5); }
void count_referral_to_match_p90(Counting& c, Kpi& k) { count_referral_to_match(c, k, 0.9); }

// Open cases, and the report's open cases by phase.
void count_open_cases(Counting& c, Kpi& k) {
  const auto& states = c.states();
  const auto kinds = all_kinds();
  const auto open = [&](const Tally& t) -> std::optional<workflow::Phase> {
    const auto* kind = kinds->find(t.keys[0]);
    const auto phase = kind != nullptr ? kind->phase_of(t.keys[1]) : std::nullopt;
    if (phase && workflow::is_terminal(*phase)) return std::nullopt;
    return phase;
  };
  for (const auto& t : states) {
    const auto phase = open(t);
    if (!phase) continue;
    c.report.open_by_phase[std::string(workflow::to_string(*phase))] += static_cast<int>(t.value);
    k.numerator += t.value;
  }
  k.actual = k.numerator;
  k.status = "none";
  k.references = Counting::sorted_refs(states, [&](const Tally& t) { return open(t).has_value(); });
}

// Overdue deadlines, and (when asked for) the report's list of them.
void count_overdue(Counting& c, Kpi& k) {
  const auto& overdue = c.overdue();
  if (!c.scope.with_overdue_items) {
    for (const auto& t : overdue.counted) k.numerator += t.value;
    k.references = Counting::sorted_refs(overdue.counted, Counting::all_rows);
  } else {
    k.numerator = static_cast<double>(overdue.items.size());
    std::set<std::string> references;
    for (const auto& item : overdue.items) {
      if (c.refs) references.insert(item.reference);
    }
    k.references.assign(references.begin(), references.end());
    std::map<std::string, int> late_by;  // per due day: many deadlines share one
    for (auto item : overdue.items) {
      auto [known, added] = late_by.try_emplace(item.due_on, 0);
      if (added) {
        if (const auto due = workflow::parse_date(item.due_on)) {
          known->second = c.calendar.working_days_between(*due, c.as_of);
        }
      }
      item.working_days_late = known->second;
      c.report.overdue.push_back(std::move(item));
    }
  }
  k.actual = k.numerator;
  k.status = k.numerator == 0 ? "green" : "red";
}

// One KPI of the plans: what it is, and how it is counted.
struct KpiDefinition {
  const char* id;
  const char* name;
  const char* definition;
  const char* target;  // the count may make it precise (30 x the teaching schools)
  const char* unit;
  void (*count)(Counting&, Kpi&);
};

// The KPIs of the two action plans (docs/kpis.md), in the order reports show them.
constexpr KpiDefinition kKpis[] = {
    {"deployment_days_in_need", "Deployment days to schools in need, per teaching school",
     "Days of bespoke support (support requests; corrections applied) logged in the academic year on cases of "
     "schools in need, by each teaching school's system leaders (to schools anywhere), each against its 30; the "
     "figure is the total against 30 times the number of teaching schools, and its status is the worst of the "
     "total's and each teaching school's. The teaching schools are the alliance asked for, else the alliances whose "
     "lead school is in the scope. Schools in need, in the LTT plan's words (footnote iii): \"schools who meet the "
     "Strategic School Improvement Fund eligibility criteria and/or those that are graded 'Requires Improvement' by "
     "Ofsted and are located in challenging areas of the country ... 'Category 5 & 6' Areas\": a school "
     "SSIF-eligible, or graded requires improvement AND in a Category 5/6 area (a school graded requires "
     "improvement elsewhere, or a good school in such an area, is not in need). That is the default for graded "
     "judgements; a school whose latest inspection gave a report card is judged by the report card criteria, and "
     "the criteria in force are listed with the report.",
     "at least 30", "days", count_days_in_need},
    {"risk_assessment_days", "Risk assessment days, per teaching school",
     "Days logged in the academic year (corrections applied) on risk assessments by each teaching school's system "
     "leaders, beside the deployment days (which count support requests only).",
     "", "days", count_risk_assessment_days},
    {"pupil_premium_review_days", "Pupil premium review days, per teaching school",
     "Days logged in the academic year (corrections applied) on pupil premium reviews by each teaching school's "
     "system leaders, beside the deployment days (which count support requests only).",
     "", "days", count_pupil_premium_review_days},
    {"rated_good_or_better", "Support rated good or better",
     "Of the cases whose school rated the support in the academic year (its last rating counts), the share rated 1 "
     "(outstanding) or 2 (good).",
     "at least 90%", "percent", count_rated_good},
    {"sle_positive_feedback", "SLE deployments with positive feedback",
     "Of the rated cases (as above) whose deployment was made under an SLE designation active on its dates (the "
     "designation is chosen when the provider is proposed), the share rated 1 or 2.",
     "above 95%", "percent", count_sle_positive},
    {"self_referrals", "Schools that self-refer",
     "Distinct schools that referred themselves for school-to-school support (support requests whose source is "
     "self; a school user's own referral is always one) in the academic year, beside the previous academic year's "
     "figure (the whole year); the denominator is the distinct schools referred in the year by anyone.",
     "should rise", "schools", count_self_referrals},
    {"attrition", "Attrition",
     "Of the deployments accepted in the academic year, the share whose case was withdrawn after acceptance.",
     "should fall", "percent", count_attrition},
    {"dedesignated_contacted_in_time", "De-designated schools contacted within 10 working days",
     "Of the designation reviews whose contact deadline falls due in the academic year and has been met or has "
     "passed, the share contacted by the deadline (a contact on its last day counts).",
     "100%", "percent", count_contacted_in_time},
    {"reports_on_time", "Risk assessment and pupil premium review reports on time",
     "Of the report deadlines of risk assessments and pupil premium reviews that fall due in the academic year and "
     "have been met or have passed, the share met in time.",
     "100%", "percent", count_reports_on_time},
    {"referral_to_match_median", "Working days from referral to match (median)",
     "Working days from a case's opening to its provider's acceptance, over the cases matched in the academic year "
     "(nearest-rank percentile).",
     "should fall", "working days", count_referral_to_match_median},
    {"referral_to_match_p90", "Working days from referral to match (90th percentile)",
     "Working days from a case's opening to its provider's acceptance, over the cases matched in the academic year "
     "(nearest-rank percentile).",
     "should fall", "working days", count_referral_to_match_p90},
    {"open_cases", "Open cases",
     "Cases of the scope opened and not yet closed, declined or withdrawn, on the report's date.", "", "count",
     count_open_cases},
    {"overdue_deadlines", "Overdue deadlines",
     "Deadlines of the scope's cases whose due day had passed and which were not yet met, on the report's date.",
     "0", "count", count_overdue},
};

// Days and spend by funding source: the days given to the scope's schools.
void count_funding(Counting& c) {
  std::map<std::string, double> by_source;
  for (const auto& t : c.days()) {
    if (t.keys[1] == "1") by_source[t.keys[4]] += t.value / 2.0;
  }
  for (const auto& [source, amount] : by_source) {
    if (amount == 0) continue;
    // No day rate, no spend: an unknown, not a zero.
    c.report.funding.push_back(FundingRow{
        source, amount, c.scope.day_rate > 0 ? std::optional<double>(amount * c.scope.day_rate) : std::nullopt});
  }
}

// The engagement map: schools per mini region with and without a case or an alliance.
void count_engagement(Counting& c) {
  std::map<std::string, EngagementRow> regions;
  for (const auto& counted : c.engagement()) {
    EngagementRow& row = regions[counted.mini_region];
    row.mini_region = counted.mini_region;
    const int n = counted.schools;
    row.schools += n;
    row.with_case += counted.engaged ? n : 0;
    row.in_alliance += counted.member ? n : 0;
    row.with_neither += !counted.engaged && !counted.member ? n : 0;
  }
  for (auto& [region, row] : regions) c.report.engagement.push_back(row);
}

// The months of the year up to the report's date, with the days given on
// them to the scope's schools and the ratings given in them. The days are the
// entries in force now dated in the month, as the funding rows count them.
void count_months(Counting& c) {
  const auto first = std::chrono::year_month(std::chrono::year(c.first_year), std::chrono::September);
  const auto last_day = workflow::parse_date(std::min(c.report.to, c.report.as_of));
  const auto last = std::chrono::year_month(last_day->year(), last_day->month());
  std::map<std::string, MonthRow> months;
  for (auto m = first; m <= last; m += std::chrono::months(1)) {
    const auto name = fmt::format("{:04}-{:02}", static_cast<int>(m.year()), static_cast<unsigned>(m.month()));
    months[name].month = name;
  }
  // Every entry of the month less those a later entry corrected, summed by
  // day in the database and by month here.
  const auto add_by_month = [&](const std::vector<DaySum>& days, double sign) {
    for (const auto& [day, half_days] : days) {
      if (const auto m = months.find(day.substr(0, 7)); m != months.end()) m->second.days += sign * half_days / 2.0;
    }
  };
  add_by_month(c.month_entries(), 1);
  add_by_month(c.month_corrections(), -1);
  for (const auto& t : c.rated()) {
    if (const auto m = months.find(t.keys[2]); m != months.end()) {
      m->second.ratings += static_cast<int>(t.value);
      if (t.keys[0] == "1") m->second.rated_good += static_cast<int>(t.value);
    }
  }
  for (auto& [name, row] : months) c.report.months.push_back(row);
}

// The referral-to-match KPIs' cases in bands of working days waited.
void count_waits(Counting& c) {
  c.report.referral_to_match = {{0, 5, 0}, {6, 10, 0}, {11, 20, 0}, {21, 40, 0}, {41, std::nullopt, 0}};
  for (const int wait : c.waits()) {
    for (auto& band : c.report.referral_to_match) {
      if (wait >= band.from && (!band.to || wait <= *band.to)) {
        ++band.cases;
        break;
      }
    }
  }
}

// One report on a connection whose snapshot is already open: its scope
// checked, then its queries (Counting::queries), then the counting.
class ReportRun {
 public:
  ReportRun(workflow::Database::Connection& connection, const workflow::Calendar& calendar, const KpiScope& scope,
            std::chrono::year_month_day today) {
    if (!is_academic_year(scope.academic_year)) {
      throw workflow::InvalidInput("academic year must look like 2026/27, got '" + scope.academic_year + "'",
                                   "academic_year");
    }
    const int first_year = std::stoi(scope.academic_year.substr(0, 4));
    if (first_year < 1900) {
      throw workflow::InvalidInput("academic year " + scope.academic_year + " is before 1900/01", "academic_year");
    }
    report_.scope = scope;
    report_.from = fmt::format("{:04}-09-01", first_year);
    report_.to = fmt::format("{:04}-08-31", first_year + 1);
    if (!scope.as_of && workflow::format_date(today) < report_.from) {
      throw workflow::InvalidInput(
          "academic year " + scope.academic_year + " has not started: it begins on " + report_.from, "academic_year");
    }
    const auto as_of = scope.as_of.value_or(today);
    if (std::chrono::sys_days(as_of) > std::chrono::sys_days(today)) {
      throw workflow::InvalidInput("as_of " + workflow::format_date(as_of) + " is after today", "as_of");
    }
    report_.as_of = workflow::format_date(as_of);
    if (scope.with_ahead && std::chrono::sys_days(as_of) != std::chrono::sys_days(today)) {
      throw workflow::InvalidInput("what lies ahead is read for a report standing at today, not at " + report_.as_of,
                                   "as_of");
    }
    if (report_.as_of < report_.from) {
      throw workflow::InvalidInput(
          "as_of " + report_.as_of + " is before the academic year " + scope.academic_year + " starts on " + report_.from,
          "as_of");
    }
    counting_ = std::make_unique<Counting>(connection, calendar, report_.scope, today, report_, first_year);
  }

  [[nodiscard]] std::vector<Query*> queries() { return counting_->queries(); }

  KpiReport count() {
    for (const auto& definition : kKpis) {
      Kpi k = kpi(definition.id, definition.name, definition.definition, definition.target, definition.unit);
      definition.count(*counting_, k);
      report_.kpis.push_back(std::move(k));
    }
    if (report_.scope.with_breakdowns) {
      count_funding(*counting_);
      count_engagement(*counting_);
      count_months(*counting_);
      count_waits(*counting_);
    }
    if (report_.scope.with_ahead) report_.ahead = counting_->ahead();
    counting_.reset();
    return std::move(report_);
  }

 private:
  KpiReport report_;
  std::unique_ptr<Counting> counting_;
};

}  // namespace

std::size_t report_spread() { return std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4); }

std::vector<KpiReport> kpi_reports(workflow::Database& db, const workflow::Calendar& calendar,
                                   const std::vector<KpiScope>& scopes, std::chrono::year_month_day today) {
  auto connection = db.acquire();
  std::vector<KpiReport> reports;
  try {
    // One snapshot for every report, so that their figures agree while cases move on.
    connection.begin_snapshot();
    // The report's queries are costed high enough to be compiled, which
    // costs more (tens of milliseconds each) than it saves here. Nor does a
    // query get parallel workers: the report already keeps a connection per
    // core busy (report_spread), and a worker is a new process that first
    // maps every shared buffer it reads, which on a large shared_buffers
    // costs more than the worker saves (docs/performance.md).
    const std::string setup = connection.backend() == workflow::Backend::postgresql
                                  ? "SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0"
                                  : "";
    if (!setup.empty()) connection.exec_script(setup);
    std::vector<std::unique_ptr<ReportRun>> runs;
    std::vector<std::function<void(soci::session&)>> queries;
    std::map<std::string, Query*> first_with_text;  // a query two reports share is read once
    for (const auto& scope : scopes) {
      runs.push_back(std::make_unique<ReportRun>(connection, calendar, scope, today));
      for (Query* query : runs.back()->queries()) {
        const auto [first, added] = first_with_text.try_emplace(query->text(), query);
        if (!added && query->share(*first->second)) continue;
        queries.emplace_back([query](soci::session& s) { query->load(s); });
      }
    }
    // On PostgreSQL, side by side on connections that share the snapshot.
    workflow::run_in_snapshot(db, connection, queries, report_spread(), setup);
    for (auto& run : runs) reports.push_back(run->count());
    connection.rollback();  // nothing was written
  } catch (...) {
    connection.rethrow_translated();
  }
  return reports;
}

KpiReport kpi_report(workflow::Database& db, const workflow::Calendar& calendar, const KpiScope& scope,
                     std::chrono::year_month_day today) {
  return std::move(kpi_reports(db, calendar, {scope}, today).front());
}

const Kpi* find_kpi(const KpiReport& report, std::string_view id) {
  for (const auto& k : report.kpis) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

std::string figure_text(double value) {
  if (std::fabs(value - std::round(value)) < 1e-9) return fmt::format("{}", static_cast<long long>(std::round(value)));
  // Halves round away from zero, as people round (6.25 -> 6.3), not to even.
  return fmt::format("{:.1f}", std::round(value * 10) / 10);
}

std::string funding_label(const std::string& funding_source) {
  return funding_source.empty() ? "unspecified" : funding_source;
}

std::string kpi_csv(const KpiReport& report) {
  std::string out = "\xEF\xBB\xBF";
  out += "academic_year,from,to,as_of,kpi,name,target,actual,numerator,denominator,previous,unit,status,cases\r\n";
  const auto row = [&](const std::string& id, const std::string& name, const std::string& target,
                       const std::string& actual, const std::string& numerator, const std::string& denominator,
                       const std::string& previous, const std::string& unit, const std::string& status,
                       const std::vector<std::string>& references) {
    std::string refs;
    for (const auto& r : references) refs += (refs.empty() ? "" : " ") + r;
    out += csv_field(report.scope.academic_year) + "," + report.from + "," + report.to + "," + report.as_of + "," +
           csv_field(id) + "," + csv_field(name) + "," + csv_field(target) + "," + actual + "," + numerator + "," +
           denominator + "," + previous + "," + csv_field(unit) + "," + status + "," + csv_field(refs) + "\r\n";
  };
  for (const auto& k : report.kpis) {
    row(k.id, k.name, k.target, k.actual ? figure_text(*k.actual) : "", figure_text(k.numerator),
        figure_text(k.denominator), k.previous ? figure_text(*k.previous) : "", k.unit, k.status, k.references);
  }
  for (const auto& k : report.kpis) {
    for (const auto& part : k.parts) {
      row(k.id + ".teaching_school", part.name, part.target, figure_text(part.actual), "",
          "", "", k.unit, part.status, part.references);
    }
  }
  return out;
}

std::string kpi_csv_filename(const KpiReport& report) {
  std::string year = report.scope.academic_year;
  std::replace(year.begin(), year.end(), '/', '-');
  return "kpis-" + year + ".csv";
}

void keep_report_scope_to(const User& user, KpiScope& scope) {
  const auto refuse = [&](const std::string& what) {
    throw workflow::Error(workflow::ErrorCategory::forbidden, "your scope is " + actor_scope(user) + ": " + what);
  };
  if (user.role == "lead" && user.scope_kind == "alliance") {
    if (scope.mini_region || scope.la) refuse("a lead of an alliance reports on that alliance");
    if (scope.alliance && std::to_string(*scope.alliance) != user.scope_value) refuse("not that alliance");
    scope.alliance = std::stoll(user.scope_value);
  } else if (user.role == "lead" && user.scope_kind == "mini_region") {
    if (scope.alliance || scope.la) refuse("a lead of a mini region reports on that mini region");
    if (scope.mini_region && *scope.mini_region != user.scope_value) refuse("not that mini region");
    scope.mini_region = user.scope_value;
  } else if (user.role == "la_officer") {
    if (scope.alliance || scope.mini_region) refuse("an LA officer reports on their LA");
    if (scope.la && std::to_string(*scope.la) != user.scope_value) refuse("not that LA");
    scope.la = std::stoi(user.scope_value);
  } else if (user.role != "strategic" && user.role != "admin") {
    refuse("a " + user.role + " sees no reports");
  }
  // A lead narrowed to phases reports on the schools of those phases.
  if (user.role == "lead" && !user.scope_phases.empty()) scope.phases = phase_list(user.scope_phases);
}

}  // namespace s2s::cases
