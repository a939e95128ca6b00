#include "cases/cold_spots.h"

#include <soci/soci.h>
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <functional>
#include <limits>
#include <set>

#include "cases/deployments.h"
#include "cases/kpis.h"
#include "cases/need.h"
#include "cases/providers.h"
#include "workflow/date.h"
#include "workflow/sql_query.h"
#include "workflow/text.h"

namespace s2s::cases {
namespace {

using workflow::row_integer;
using workflow::row_number;
using workflow::row_text;

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

std::string lower_trimmed(std::string_view text) {
  std::string out(trimmed(text));
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

void settle(AreaCapacity& a, double days_per_school) {
  const double free = a.free_days + a.free_days_near;
  a.free_days_per_school = a.in_need > 0 ? free / a.in_need : 0;
  a.cold = a.in_need > 0 && a.free_days_per_school < days_per_school;
}

// The squares within the bounds of the scope's own, one square of margin
// about them, so that a mini region is drawn with its neighbours for shape.
void place_on_map(ColdSpots& out, std::vector<Tile>& tiles) {
  std::map<int, int> by_code;  // LA code -> index into out.las
  for (std::size_t i = 0; i < out.las.size(); ++i) by_code[out.las[i].la_code] = static_cast<int>(i);
  int west = std::numeric_limits<int>::max(), east = -1, north = std::numeric_limits<int>::max(), south = -1;
  std::set<int> drawn;
  for (auto& t : tiles) {
    const auto in = by_code.find(t.la_code);
    if (in == by_code.end()) continue;
    t.area = in->second;
    drawn.insert(t.la_code);
    west = std::min(west, t.x);
    east = std::max(east, t.x);
    north = std::min(north, t.y);
    south = std::max(south, t.y);
  }
  for (const auto& [code, index] : by_code) {
    if (!drawn.contains(code)) out.off_map.push_back(index);
  }
  if (east < 0) return;
  for (auto& t : tiles) {
    if (t.x >= west - 1 && t.x <= east + 1 && t.y >= north - 1 && t.y <= south + 1) out.tiles.push_back(std::move(t));
  }
  std::sort(out.tiles.begin(), out.tiles.end(),
            [](const Tile& a, const Tile& b) { return std::tie(a.y, a.x) < std::tie(b.y, b.x); });
}

}  // namespace

ColdSpots cold_spots(workflow::Database& db, const workflow::Actor& actor, std::chrono::year_month_day today,
                     double days_per_school) {
  ColdSpots out;
  out.academic_year = academic_year_of(today);
  out.days_per_school = days_per_school;
  const std::string day = workflow::format_date(today);
  const int first_year = std::stoi(out.academic_year.substr(0, 4));
  const std::string from = std::to_string(first_year) + "-09-01";
  const std::string to = std::to_string(first_year + 1) + "-08-31";
  std::map<int, AreaCapacity> las;                  // by LA code
  std::map<std::string, AreaCapacity> regions;      // by name
  std::map<std::string, std::map<std::string, Demand>> demand;  // mini region -> focus area
  std::vector<Tile> tiles;                          // every square of the map
  auto connection = db.acquire();
  try {
    connection.begin_snapshot();
    const auto need = need_sql(need_rules(connection));
    const auto scope = school_scope_condition(actor);
    // The focus areas alone, as a small JSON array: not each case's whole data.
    const std::string focus = connection.backend() == workflow::Backend::postgresql
                                  ? "CAST(c.data->'focus_areas' AS TEXT)"
                                  : "json_extract(c.data, '$.focus_areas')";
    std::map<int, std::pair<int, double>> capacity;  // LA code -> (leaders, free days)
    std::map<std::string, std::pair<int, double>> region_capacity;
    std::map<int, std::string> la_region;  // the mini region of each LA with system leaders
    std::map<int, std::map<std::string, int>> designations;  // LA code -> designation -> leaders
    std::set<std::tuple<std::string, long long, std::string>> offers;  // one leader counts once a specialism
    std::map<std::string, std::map<std::string, Demand>> phases;
    // Each query a job of its own, writing only its own results: on
    // PostgreSQL they run side by side in the one snapshot, as a KPI report's do.
    std::vector<std::function<void(soci::session&)>> jobs;
    // The scope's LAs, with their schools in need.
    jobs.emplace_back([&](soci::session& sql) {
      workflow::SqlQuery query("SELECT s.la_code, max(s.la_name), COALESCE(max(m.mini_region), ''), sum(CASE WHEN " +
                               need.position +
                               " > 0 THEN 1 ELSE 0 END) FROM schools s LEFT JOIN la_mini_regions m ON m.la_code ="
                               " s.la_code" +
                               need.join + " WHERE ");
      query.add(scope.sql, scope.values);
      query.add(" GROUP BY s.la_code");
      query.each(sql, [&](const soci::row& r) {
        AreaCapacity a;
        a.la_code = static_cast<int>(row_integer(r, 0));
        a.name = row_text(r, 1);
        a.mini_region = row_text(r, 2);
        a.in_need = static_cast<int>(row_integer(r, 3));
        las.emplace(a.la_code, std::move(a));
      });
    });
    // Every LA's system leaders with a designation active today, and their free days this year.
    jobs.emplace_back([&](soci::session& sql) {
      soci::rowset<soci::row> rows =
          (sql.prepare << "SELECT hs.la_code, COALESCE(m.mini_region, ''), count(*),"
                          " CAST(COALESCE(sum(c.half_days_offered - c.half_days_reserved), 0) AS DOUBLE PRECISION)"
                          " FROM system_leaders l JOIN schools hs ON hs.urn = l.home_school_urn"
                          " LEFT JOIN la_mini_regions m ON m.la_code = hs.la_code"
                          " LEFT JOIN capacity c ON c.system_leader_id = l.id AND c.academic_year = :y"
                          " WHERE EXISTS (SELECT 1 FROM designations g WHERE g.system_leader_id = l.id AND"
                          " g.active_from <= :d AND (g.active_to IS NULL OR g.active_to >= :d2))"
                          " GROUP BY hs.la_code, m.mini_region",
           soci::use(out.academic_year), soci::use(day), soci::use(day));
      for (const auto& r : rows) {
        const int la = static_cast<int>(row_integer(r, 0));
        const int n = static_cast<int>(row_integer(r, 2));
        const double free = row_number(r, 3) / 2.0;
        capacity[la] = {n, free};
        la_region[la] = row_text(r, 1);
        auto& rc = region_capacity[row_text(r, 1)];
        rc.first += n;
        rc.second += free;
      }
    });
    // The designations active today, with their leaders' home LA, mini region
    // and phase: what each area's leaders hold, the specialisms on offer, and
    // the phases the leaders come from, all from one read.
    std::set<std::tuple<int, std::string, long long>> held;                  // LA, designation, leader
    std::set<std::tuple<std::string, std::string, long long>> from_phase;  // mini region, phase group, leader
    jobs.emplace_back([&](soci::session& sql) {
      soci::rowset<soci::row> rows =
          (sql.prepare << "SELECT hs.la_code, COALESCE(m.mini_region, ''), hs.phase_group, l.id, g.designation,"
                          " g.specialisms FROM designations g JOIN system_leaders l ON l.id = g.system_leader_id"
                          " JOIN schools hs ON hs.urn = l.home_school_urn LEFT JOIN la_mini_regions m ON"
                          " m.la_code = hs.la_code WHERE g.active_from <= :d AND (g.active_to IS NULL OR"
                          " g.active_to >= :d2)",
           soci::use(day), soci::use(day));
      for (const auto& r : rows) {
        const std::string region = row_text(r, 1);
        const long long leader = row_integer(r, 3);
        held.emplace(static_cast<int>(row_integer(r, 0)), row_text(r, 4), leader);
        from_phase.emplace(region, row_text(r, 2), leader);
        for (const auto specialism : workflow::split_list(row_text(r, 5))) {
          offers.emplace(region, leader, lower_trimmed(specialism));
        }
      }
    });
    // What this year's support requests of the scope's schools asked for.
    jobs.emplace_back([&](soci::session& sql) {
      workflow::SqlQuery query(
          "SELECT COALESCE(m.mini_region, ''), " + focus +
          " FROM cases c JOIN schools s ON s.urn ="
          " c.school_urn LEFT JOIN la_mini_regions m ON m.la_code = s.la_code WHERE c.kind = 'support_request'"
          " AND " + focus + " IS NOT NULL AND c.opened_on BETWEEN ");
      query.add("? AND ? AND ", std::vector<std::string>{from, to});
      query.add(scope.sql, scope.values);
      query.each(sql, [&](const soci::row& r) {
        boost::system::error_code ec;
        const auto parsed = boost::json::parse(row_text(r, 1), ec);
        if (ec || !parsed.is_array()) return;
        std::map<std::string, std::string> once;  // the key in lower case, and the words as first written
        for (const auto& a : parsed.as_array()) {
          if (!a.is_string()) continue;
          const std::string_view words = trimmed(a.as_string());
          once.emplace(lower_trimmed(words), std::string(words));
        }
        for (const auto& [key, words] : once) {
          if (key.empty()) continue;
          auto& d = demand[row_text(r, 0)][key];
          if (d.focus_area.empty()) d.focus_area = words;
          ++d.asked;
        }
      });
    });
    // The phases asked for (the requesting schools') and offered (the leaders' home schools').
    jobs.emplace_back([&](soci::session& sql) {
      workflow::SqlQuery query(
          "SELECT COALESCE(m.mini_region, ''), s.phase_group, count(*) FROM cases c JOIN schools s ON s.urn ="
          " c.school_urn LEFT JOIN la_mini_regions m ON m.la_code = s.la_code WHERE c.kind = 'support_request'"
          " AND c.opened_on BETWEEN ");
      query.add("? AND ? AND ", std::vector<std::string>{from, to});
      query.add(scope.sql, scope.values);
      query.add(" GROUP BY 1, 2");
      query.each(sql, [&](const soci::row& r) {
        auto& d = phases[row_text(r, 0)][row_text(r, 1)];
        d.focus_area = row_text(r, 1);
        d.asked = static_cast<int>(row_integer(r, 2));
      });
    });
    // The squares of the map.
    jobs.emplace_back([&](soci::session& sql) {
      soci::rowset<soci::row> rows = (sql.prepare << "SELECT la_code, name, short, region, x, y FROM la_tiles");
      for (const auto& r : rows) {
        tiles.push_back({static_cast<int>(row_integer(r, 0)), row_text(r, 1), row_text(r, 2), row_text(r, 3),
                         static_cast<int>(row_integer(r, 4)), static_cast<int>(row_integer(r, 5))});
      }
    });
    workflow::run_in_snapshot(db, connection, jobs, report_spread(), "");

    for (const auto& [region, leader, specialism] : offers) {
      const auto found = demand.find(region);
      if (found == demand.end()) continue;
      const auto asked = found->second.find(specialism);
      if (asked != found->second.end()) ++asked->second.offered;
    }
    for (const auto& [code, designation, leader] : held) ++designations[code][designation];
    for (const auto& [region_name, phase, leader] : from_phase) {
      const auto region = phases.find(region_name);
      if (region == phases.end()) continue;
      const auto asked = region->second.find(phase);
      if (asked != region->second.end()) ++asked->second.offered;
    }
    for (auto& [region, by_phase] : phases) {
      std::vector<Demand> list;
      for (auto& [name, d] : by_phase) list.push_back(d);
      std::stable_sort(list.begin(), list.end(), [](const Demand& a, const Demand& b) {
        return std::tuple(-(a.asked - a.offered), -a.asked) < std::tuple(-(b.asked - b.offered), -b.asked);
      });
      out.recruit_phases[region] = std::move(list);
    }
    connection.rollback();
    for (auto& [code, a] : las) {
      if (const auto c = capacity.find(code); c != capacity.end()) {
        a.leaders = c->second.first;
        a.free_days = c->second.second;
      }
      if (const auto d = designations.find(code); d != designations.end()) a.designations = d->second;
      // Near: the rest of its mini region.
      if (!a.mini_region.empty()) {
        const auto& rc = region_capacity[a.mini_region];
        a.leaders_near = rc.first - a.leaders;
        a.free_days_near = rc.second - a.free_days;
      }
      settle(a, days_per_school);
      if (!a.mini_region.empty()) {
        auto& region = regions[a.mini_region];
        region.name = region.mini_region = a.mini_region;
        region.in_need += a.in_need;
      }
    }
    for (const auto& [code, by_designation] : designations) {
      const auto in = la_region.find(code);
      if (in == la_region.end()) continue;
      if (const auto r = regions.find(in->second); r != regions.end()) {
        for (const auto& [d, n] : by_designation) r->second.designations[d] += n;
      }
    }
    for (auto& [name, region] : regions) {
      const auto& rc = region_capacity[name];
      region.leaders = rc.first;
      region.free_days = rc.second;
      settle(region, days_per_school);
      out.mini_regions.push_back(region);
    }
  } catch (...) {
    connection.rethrow_translated();
  }
  for (auto& [code, a] : las) out.las.push_back(a);
  std::sort(out.las.begin(), out.las.end(), [](const AreaCapacity& a, const AreaCapacity& b) {
    return std::tie(a.mini_region, a.name, a.la_code) < std::tie(b.mini_region, b.name, b.la_code);
  });
  place_on_map(out, tiles);
  for (auto& [region, areas] : demand) {
    std::vector<Demand> list;
    for (auto& [name, d] : areas) list.push_back(d);
    std::stable_sort(list.begin(), list.end(), [](const Demand& a, const Demand& b) {
      return std::tuple(-(a.asked - a.offered), -a.asked, a.focus_area) <
             std::tuple(-(b.asked - b.offered), -b.asked, b.focus_area);
    });
    if (list.size() > 5) list.resize(5);
    out.recruit[region] = std::move(list);
  }
  return out;
}

}  // namespace s2s::cases
