#include "cases/matching.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <unordered_map>

#include "cases/deployments.h"
#include "cases/providers.h"
#include "cases/schools.h"
#include "workflow/date.h"
#include "workflow/text.h"

namespace s2s::cases {
namespace {

using workflow::join;

using workflow::row_integer;
using workflow::row_number;
using workflow::row_text;

// Soft criteria and the points a perfect fit earns: 100 in all.
constexpr double kPhaseWeight = 20;
constexpr double kSpecialismWeight = 25;
constexpr double kLocalityWeight = 15;
constexpr double kCapacityWeight = 15;
constexpr double kRatingsWeight = 15;
constexpr double kLoadWeight = 10;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return std::string(text);
}

std::vector<std::string> split_specialisms(std::string_view text) {
  std::vector<std::string> out;
  for (const auto item : workflow::split_list(text)) out.push_back(trim(item));
  return out;
}

std::string days_text(double days) { return fmt::format("{:g}", days); }

struct Designation {
  std::int64_t id = 0;
  std::string code;  // NLE, LLE, SLE, NLG, LLG, PPR
  std::vector<std::string> specialisms;
  std::string active_from;
  std::string active_to;  // empty: open-ended

  [[nodiscard]] bool active_on(const std::string& day) const {
    return active_from <= day && (active_to.empty() || day <= active_to);
  }
  [[nodiscard]] std::string label() const {
    return specialisms.empty() ? code : code + " (" + join(specialisms, ", ") + ")";
  }
};

struct Leader {
  std::int64_t id = 0;
  std::string name;
  std::int32_t home_urn = 0;
  School home;
  int half_days_offered = 0;
  int half_days_reserved = 0;
  bool has_capacity_row = false;
  std::vector<Designation> designations;
  int current_load = 0;  // proposed or active deployments
  int ratings = 0;
  int rating_sum = 0;
  std::string on_this_case;  // its deployment status on the requested case, if any
  std::string on_this_case_since;
};

School load_school(workflow::Database::Connection& connection, std::int32_t urn) {
  auto found = find_schools(connection, {urn});
  if (found.empty())
    throw workflow::Refused("school " + std::to_string(urn) + " is not in the register (import GIAS first)");
  return std::move(found.begin()->second);
}

// Every system leader (or just `only`) with what matching weighs.
std::vector<Leader> load_leaders(workflow::Database::Connection& connection, const MatchRequest& request,
                                 const std::string& year, std::optional<std::int64_t> only) {
  soci::session& sql = connection.session();
  const long long only_id = only.value_or(0);
  const long long case_id = request.case_id;
  const std::string filter = only ? " WHERE l.id = :only" : "";
  std::vector<Leader> leaders;
  std::unordered_map<std::int64_t, std::size_t> index;
  {
    const std::string query = fmt::format(
        "SELECT l.id, l.name, l.home_school_urn, c.half_days_offered, c.half_days_reserved FROM system_leaders l"
        " LEFT JOIN capacity c ON c.system_leader_id = l.id AND c.academic_year = :year{} ORDER BY l.id",
        filter);
    soci::rowset<soci::row> rows =
        only ? (sql.prepare << query, soci::use(year), soci::use(only_id)) : (sql.prepare << query, soci::use(year));
    for (const auto& row : rows) {
      Leader l;
      l.id = row_integer(row, 0);
      l.name = row_text(row, 1);
      l.home_urn = static_cast<std::int32_t>(row_integer(row, 2));
      l.has_capacity_row = row.get_indicator(3) != soci::i_null;
      l.half_days_offered = static_cast<int>(row_integer(row, 3));
      l.half_days_reserved = static_cast<int>(row_integer(row, 4));
      index.emplace(l.id, leaders.size());
      leaders.push_back(std::move(l));
    }
  }
  if (leaders.empty()) return leaders;
  std::set<std::int32_t> home_urns;
  for (const auto& l : leaders) home_urns.insert(l.home_urn);
  auto homes = find_schools(connection, home_urns);
  for (auto& l : leaders) l.home = homes[l.home_urn];
  const auto each = [&](const std::string& query, bool with_case, auto&& fn) {
    const std::string where =
        only ? (with_case ? " AND system_leader_id = :only" : " WHERE system_leader_id = :only") : std::string();
    const std::string text = fmt::vformat(query, fmt::make_format_args(where));
    auto rows = [&]() -> soci::rowset<soci::row> {
      if (with_case && only) return (sql.prepare << text, soci::use(case_id), soci::use(only_id));
      if (with_case) return (sql.prepare << text, soci::use(case_id));
      if (only) return (sql.prepare << text, soci::use(only_id));
      return (sql.prepare << text);
    }();
    for (const auto& row : rows) {
      const auto found = index.find(row_integer(row, 0));
      if (found != index.end()) fn(leaders[found->second], row);
    }
  };
  each(
      "SELECT system_leader_id, designation, specialisms, CAST(active_from AS TEXT),"
      " CAST(active_to AS TEXT), id FROM designations{} ORDER BY id",
      false, [](Leader& l, const soci::row& row) {
        l.designations.push_back(Designation{row_integer(row, 5), row_text(row, 1), split_specialisms(row_text(row, 2)),
                                             row_text(row, 3), row_text(row, 4)});
      });
  each(
      "SELECT system_leader_id, SUM(CASE WHEN status IN ('proposed', 'active') THEN 1 ELSE 0 END),"
      " COUNT(rating), SUM(COALESCE(rating, 0)) FROM deployments{} GROUP BY system_leader_id",
      false, [](Leader& l, const soci::row& row) {
        l.current_load = static_cast<int>(row_integer(row, 1));
        l.ratings = static_cast<int>(row_integer(row, 2));
        l.rating_sum = static_cast<int>(row_integer(row, 3));
      });
  if (request.case_id != 0) {
    each(
        "SELECT system_leader_id, status, CAST(COALESCE(ended_on, proposed_on) AS TEXT) FROM deployments"
        " WHERE case_id = :case_id{}",
        true, [](Leader& l, const soci::row& row) {
          l.on_this_case = row_text(row, 1);
          l.on_this_case_since = row_text(row, 2);
        });
  }
  return leaders;
}

// Which designations serve the request, and how to say so when none does.
// `also`, when set, is a second designation the provider must hold, active,
// beside the fitting one (a pupil premium reviewer is an NLE or LLE too).
struct DesignationRule {
  std::string needed;  // "an NLE or LLE designation"
  std::function<bool(const Designation&)> fits;
  std::string also_needed;
  std::function<bool(const Designation&)> also;
};

bool has_focus(const std::vector<std::string>& focus, std::string_view area) {
  return std::any_of(focus.begin(), focus.end(), [&](const std::string& f) { return lower(f) == area; });
}

// Whether a designation covers a focus area (compared without case).
bool covers(const Designation& d, const std::string& area) {
  const std::string wanted = lower(area);
  if (wanted == "leadership" && (d.code == "NLE" || d.code == "LLE")) return true;
  if (wanted == "governance" && (d.code == "NLG" || d.code == "LLG")) return true;
  return std::any_of(d.specialisms.begin(), d.specialisms.end(),
                     [&](const std::string& s) { return lower(s) == wanted; });
}

// The items of a comma-separated list, as strings.
std::vector<std::string> items_of(std::string_view list) {
  std::vector<std::string> out;
  for (const auto item : workflow::split_list(list)) out.emplace_back(item);
  return out;
}

// "an NLE or LLE designation", "an SLE designation".
std::string designations_text(const std::vector<std::string>& codes) {
  if (codes.empty()) return "";
  std::string out;
  for (std::size_t i = 0; i < codes.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == codes.size() ? " or " : ", ") + codes[i];
  }
  return workflow::with_article(out + " designation");
}

// The kind's provider rule (workflow::ProviderSpec) for this request: which
// designations fit, given its focus areas, and how to say so when none does.
DesignationRule rule_for(const MatchRequest& request, const std::vector<std::string>& focus) {
  if (request.provider == nullptr) {
    throw std::logic_error("a match request for a " + request.kind + " names no provider rule");
  }
  const workflow::ProviderSpec& spec = *request.provider;
  const bool governance = has_focus(focus, "governance");
  std::vector<std::string> always;
  std::vector<std::string> for_governance;
  std::vector<std::string> for_focus;
  for (const auto& token : items_of(spec.fits)) {
    const auto colon = token.find(':');
    const std::string code = token.substr(0, colon);
    const std::string when = colon == std::string::npos ? "" : token.substr(colon + 1);
    (when == "governance" ? for_governance : when == "focus" ? for_focus : always).push_back(code);
  }
  std::string needed(spec.needed);
  if (needed.empty()) {
    needed = designations_text(always);
    if (governance && !for_governance.empty()) {
      needed += ", " + designations_text(for_governance) + " (governance)";
    }
    if (!focus.empty() && !for_focus.empty())
      needed += ", or " + designations_text(for_focus) + " in " + join(focus, ", ");
  }
  DesignationRule rule;
  rule.needed = needed;
  rule.fits = [always, for_governance, for_focus, governance, focus](const Designation& d) {
    const auto in = [&](const std::vector<std::string>& codes) {
      return std::find(codes.begin(), codes.end(), d.code) != codes.end();
    };
    if (in(always)) return true;
    if (in(for_governance)) return governance;
    if (in(for_focus)) {
      return std::any_of(focus.begin(), focus.end(), [&](const std::string& a) { return covers(d, a); });
    }
    return false;
  };
  if (!spec.also.empty()) {
    const auto also = items_of(spec.also);
    rule.also_needed = spec.also_needed.empty() ? designations_text(also) : std::string(spec.also_needed);
    rule.also = [also](const Designation& d) { return std::find(also.begin(), also.end(), d.code) != also.end(); };
  }
  return rule;
}

// Primary-like, secondary-like or neither, for phase fit.
int phase_group(const std::string& phase) {
  const std::string p = lower(phase);
  if (p == "primary" || p == "middle deemed primary" || p == "nursery") return 1;
  if (p == "secondary" || p == "middle deemed secondary" || p == "16 plus") return 2;
  return 0;
}

Criterion phase_fit(const School& school, const Leader& l) {
  Criterion c{"phase", kPhaseWeight, 0, ""};
  if (lower(l.home.phase) == lower(school.phase)) {
    c.points = kPhaseWeight;
    c.reason = "same phase (" + school.phase + ")";
  } else if (phase_group(l.home.phase) != 0 && phase_group(l.home.phase) == phase_group(school.phase)) {
    c.points = kPhaseWeight * 0.75;
    c.reason = "related phase (" + l.home.phase + " for " + school.phase + ")";
  } else if (lower(l.home.phase) == "all-through" || lower(school.phase) == "all-through") {
    c.points = kPhaseWeight * 0.5;
    c.reason = "all-through (" + l.home.phase + " for " + school.phase + ")";
  } else {
    c.reason = "different phase (" + l.home.phase + " for " + school.phase + ")";
  }
  return c;
}

Criterion specialism_fit(const std::vector<std::string>& focus, const std::vector<const Designation*>& active) {
  Criterion c{"specialism", kSpecialismWeight, kSpecialismWeight, "no focus areas asked for"};
  if (focus.empty()) return c;
  std::vector<std::string> covered;
  for (const auto& area : focus) {
    if (std::any_of(active.begin(), active.end(), [&](const Designation* d) { return covers(*d, area); })) {
      covered.push_back(area);
    }
  }
  c.points = kSpecialismWeight * static_cast<double>(covered.size()) / static_cast<double>(focus.size());
  c.reason = covered.empty() ? "covers none of " + join(focus, ", ")
                             : fmt::format("covers {} of {}", join(covered, ", "), join(focus, ", "));
  return c;
}

Criterion locality_fit(const School& school, const Leader& l) {
  Criterion c{"locality", kLocalityWeight, 0, ""};
  if (l.home.la_code == school.la_code) {
    c.points = kLocalityWeight;
    c.reason = "same local authority (" + school.la_name + ")";
  } else if (!school.mini_region.empty() && l.home.mini_region == school.mini_region) {
    c.points = kLocalityWeight * 0.6;
    c.reason = "same mini region (" + school.mini_region + ")";
  } else {
    c.reason =
        "from " + l.home.la_name + ", outside " + (school.mini_region.empty() ? school.la_name : school.mini_region);
  }
  return c;
}

Criterion capacity_fit(const Leader& l, double days, const std::string& year) {
  Criterion c{"capacity", kCapacityWeight, 0, ""};
  const double offered = l.half_days_offered / 2.0;
  const double unreserved = (l.half_days_offered - l.half_days_reserved) / 2.0;
  if (offered <= 0) {
    c.reason = "offers no days in " + year;
    return c;
  }
  const double after = std::max(0.0, unreserved - days);
  c.points = kCapacityWeight * after / offered;
  c.reason = fmt::format("{} of {} days unreserved in {}; {} left after this", days_text(unreserved),
                         days_text(offered), year, days_text(after));
  return c;
}

Criterion ratings_fit(const Leader& l) {
  Criterion c{"ratings", kRatingsWeight, kRatingsWeight / 2, "no earlier ratings (neutral)"};
  if (l.ratings == 0) return c;
  const double mean = static_cast<double>(l.rating_sum) / l.ratings;
  c.points = kRatingsWeight * (4 - mean) / 3;
  c.reason = fmt::format("mean grade {:.1f} from {} rating{} (1 outstanding .. 4 inadequate)", mean, l.ratings,
                         l.ratings == 1 ? "" : "s");
  return c;
}

Criterion load_fit(const Leader& l) {
  Criterion c{"load", kLoadWeight, kLoadWeight / (1 + l.current_load), ""};
  c.reason = l.current_load == 0
                 ? "no current deployments"
                 : fmt::format("{} current deployment{}", l.current_load, l.current_load == 1 ? "" : "s");
  return c;
}

// What every provider is weighed against, worked out once per request.
struct Weighing {
  const MatchRequest& request;
  School school;
  std::string year;
  std::string day;
  std::vector<std::string> focus;
  DesignationRule rule;
};

// Where `l` stands for the request: excluded (with every reason) or ranked.
void assess(const Weighing& w, const Leader& l, MatchResult& out) {
  const MatchRequest& request = w.request;
  const School& school = w.school;
  const std::string& year = w.year;
  const std::string& day = w.day;
  const std::vector<std::string>& focus = w.focus;
  const DesignationRule& rule = w.rule;

  std::vector<Exclusion> reasons;
  std::vector<const Designation*> fitting;
  std::vector<const Designation*> active;
  for (const auto& d : l.designations) {
    if (!rule.fits(d)) continue;
    fitting.push_back(&d);
    if (d.active_on(day)) active.push_back(&d);
  }
  if (fitting.empty()) {
    reasons.push_back({"designation", "has no designation that fits: needs " + rule.needed});
  } else if (active.empty()) {
    std::vector<std::string> when;
    for (const auto* d : fitting) {
      when.push_back(d->active_from > day ? d->label() + " starts " + d->active_from
                                          : d->label() + " ended " + d->active_to);
    }
    reasons.push_back({"inactive", "no fitting designation is active on " + day + ": " + join(when, "; ")});
  }
  if (rule.also) {
    const bool held = std::any_of(l.designations.begin(), l.designations.end(),
                                  [&](const Designation& d) { return rule.also(d) && d.active_on(day); });
    if (!held) reasons.push_back({"designation", "needs " + rule.also_needed + ", active on " + day});
  }
  const int needed = static_cast<int>(request.days * 2 + 0.5);
  const int unreserved = l.half_days_offered - l.half_days_reserved;
  if (needed > 0 && unreserved < needed) {
    reasons.push_back({"capacity", l.has_capacity_row
                                       ? fmt::format("has {} unreserved days in {}, {} needed",
                                                     days_text(unreserved / 2.0), year, days_text(request.days))
                                       : fmt::format("offers no days in {}", year)});
  }
  if (l.home_urn == request.school_urn) {
    reasons.push_back({"conflict_same_school", "works at the supported school"});
  } else if (!school.trust_code.empty() && l.home.trust_code == school.trust_code) {
    reasons.push_back(
        {"conflict_same_trust", "home school " + l.home.name + " is in the same trust (" + school.trust_name + ")"});
  }
  if (l.on_this_case == "declined") {
    reasons.push_back({"already_asked", "declined this case on " + l.on_this_case_since});
  } else if (!l.on_this_case.empty()) {
    reasons.push_back({"already_asked", "is already " + l.on_this_case + " on this case"});
  }
  if (!reasons.empty()) {
    out.excluded.push_back(ExcludedProvider{l.id, l.name, std::move(reasons)});
    return;
  }

  RankedProvider r;
  r.system_leader_id = l.id;
  r.name = l.name;
  r.home_school_urn = l.home_urn;
  r.home_school_name = l.home.name;
  for (const auto* d : active) r.designations.push_back(d->label());
  // The deployment is made under the active fitting designation that covers
  // most of the focus areas (the earliest on a tie).
  const Designation* under = active.front();
  std::size_t best = 0;
  for (const auto* d : active) {
    const auto covered = static_cast<std::size_t>(
        std::count_if(focus.begin(), focus.end(), [&](const std::string& area) { return covers(*d, area); }));
    if (covered > best) {
      best = covered;
      under = d;
    }
  }
  r.designation_id = under->id;
  r.designation = under->label();
  r.unreserved_days = unreserved / 2.0;
  r.criteria = {phase_fit(school, l),    specialism_fit(focus, active),
                locality_fit(school, l), capacity_fit(l, request.days, year),
                ratings_fit(l),          load_fit(l)};
  for (const auto& c : r.criteria) r.score += c.points;
  out.ranked.push_back(std::move(r));
}

MatchResult match(workflow::Database::Connection& connection, const MatchRequest& request,
                  std::optional<std::int64_t> only) {
  MatchResult out;
  out.academic_year = academic_year_of(request.on);
  std::vector<std::string> focus;
  for (const auto& area : request.focus_areas) focus.push_back(trim(area));
  DesignationRule rule = rule_for(request, focus);
  const Weighing weighing{request,           load_school(connection, request.school_urn),
                          out.academic_year, workflow::format_date(request.on),
                          std::move(focus),  std::move(rule)};
  for (const auto& leader : load_leaders(connection, request, out.academic_year, only)) assess(weighing, leader, out);
  std::stable_sort(out.ranked.begin(), out.ranked.end(), [](const RankedProvider& a, const RankedProvider& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.unreserved_days != b.unreserved_days) return a.unreserved_days > b.unreserved_days;
    return a.system_leader_id < b.system_leader_id;
  });
  return out;
}

}  // namespace

MatchRequest match_request_for(const workflow::CaseKind& kind, const workflow::Case& c,
                               std::chrono::year_month_day on) {
  MatchRequest request;
  request.kind = c.kind;
  request.provider = &kind.provider();
  request.school_urn = c.school_urn;
  request.case_id = c.id;
  request.on = on;
  if (const auto* focus = c.data.if_contains("focus_areas"); focus != nullptr && focus->is_array()) {
    for (const auto& area : focus->get_array()) {
      if (area.is_string()) request.focus_areas.emplace_back(area.get_string());
    }
  }
  request.days = days_needed(kind, c.data);
  return request;
}

MatchResult match_providers(workflow::Database::Connection& connection, const MatchRequest& request) {
  return match(connection, request, std::nullopt);
}

MatchResult match_providers(workflow::Database& db, const MatchRequest& request) {
  auto connection = db.acquire();
  try {
    return match_providers(connection, request);
  } catch (...) {
    connection.rethrow_translated();
  }
}

Eligibility eligibility(workflow::Database::Connection& connection, const MatchRequest& request,
                        std::int64_t system_leader_id) {
  MatchResult result = match(connection, request, system_leader_id);
  Eligibility out;
  if (!result.excluded.empty()) {
    out.reasons = std::move(result.excluded.front().reasons);
    return out;
  }
  if (result.ranked.empty()) throw workflow::Refused("no system leader has id " + std::to_string(system_leader_id));
  out.designation_id = result.ranked.front().designation_id;
  out.designation = result.ranked.front().designation;
  return out;
}

}  // namespace s2s::cases
