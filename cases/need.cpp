#include "cases/need.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <tuple>

#include "cases/deployments.h"
#include "cases/providers.h"
#include "workflow/date.h"
#include "workflow/errors.h"
#include "workflow/sql_query.h"
#include "workflow/text.h"

namespace s2s::cases {
namespace {

using workflow::long_date;

using workflow::row_integer;
using workflow::row_text;

bool is_area_name(std::string_view area) {
  return !area.empty() && std::all_of(area.begin(), area.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

constexpr std::array<const char*, 4> kGraded = {"outstanding", "good", "requires improvement", "inadequate"};

// The support requests of the schools in need, one row each.
struct Request {
  std::string reference;
  std::string phase;
  std::string opened_on;
  double days_this_year = 0;
  double days_before = 0;
};

}  // namespace

std::vector<NeedRule> need_rules(workflow::Database::Connection& connection) {
  std::vector<NeedRule> out;
  soci::rowset<soci::row> rows =
      connection.session().prepare << "SELECT id, position, basis, flag, grade_from, grade_to, area,"
                                      " safeguarding_not_met, and_category_5_6, because FROM need_rules"
                                      " ORDER BY position";
  for (const auto& r : rows) {
    NeedRule rule;
    rule.id = row_integer(r, 0);
    rule.position = static_cast<int>(row_integer(r, 1));
    rule.basis = row_text(r, 2);
    if (r.get_indicator(3) != soci::i_null) rule.flag = row_text(r, 3);
    if (r.get_indicator(4) != soci::i_null) rule.grade_from = static_cast<int>(row_integer(r, 4));
    if (r.get_indicator(5) != soci::i_null) rule.grade_to = static_cast<int>(row_integer(r, 5));
    if (r.get_indicator(6) != soci::i_null) rule.area = row_text(r, 6);
    rule.safeguarding_not_met = row_integer(r, 7) != 0;
    rule.and_category_5_6 = row_integer(r, 8) != 0;
    rule.because = row_text(r, 9);
    // What the SQL splices in, checked again here (the database checks it on write).
    if ((rule.flag && *rule.flag != "ssif_eligible" && *rule.flag != "category_5_6") ||
        (rule.area && !is_area_name(*rule.area))) {
      throw workflow::DatabaseError("need rule " + std::to_string(rule.id) + " is malformed");
    }
    out.push_back(std::move(rule));
  }
  return out;
}

std::vector<NeedRule> need_rules(workflow::Database& db) {
  auto connection = db.acquire();
  try {
    return need_rules(connection);
  } catch (...) {
    connection.rethrow_translated();
  }
}

NeedRule add_need_rule(workflow::Database& db, NeedRule rule, std::optional<int> position) {
  using workflow::InvalidInput;
  const auto grades_between = [&](int low, int high) {
    if (!rule.grade_from) throw InvalidInput("select the grade the range starts at", "grade_from");
    if (!rule.grade_to) rule.grade_to = rule.grade_from;
    if (*rule.grade_from < low || *rule.grade_from > high) {
      throw InvalidInput(fmt::format("the first grade must be from {} to {}", low, high), "grade_from");
    }
    if (*rule.grade_to < *rule.grade_from || *rule.grade_to > high) {
      throw InvalidInput(fmt::format("the last grade must be from the first ({}) to {}", *rule.grade_from, high),
                         "grade_to");
    }
  };
  if (rule.basis == "register") {
    if (!rule.flag || (*rule.flag != "ssif_eligible" && *rule.flag != "category_5_6")) {
      throw InvalidInput("select the register's flag: SSIF-eligible or in a Category 5/6 area", "flag");
    }
    rule.grade_from = rule.grade_to = std::nullopt;
    rule.area = std::nullopt;
    rule.safeguarding_not_met = false;
  } else if (rule.basis == "graded") {
    grades_between(1, 4);
    rule.flag = rule.area = std::nullopt;
    rule.safeguarding_not_met = false;
  } else if (rule.basis == "report_card") {
    rule.flag = std::nullopt;
    if (rule.safeguarding_not_met) {
      rule.grade_from = rule.grade_to = std::nullopt;
      rule.area = std::nullopt;
    } else {
      grades_between(1, 5);
    }
  } else {
    throw InvalidInput("select what the criterion looks at: the register, the graded judgement or the report card",
                       "basis");
  }
  std::string_view because = rule.because;
  while (!because.empty() && because.front() == ' ') because.remove_prefix(1);
  while (!because.empty() && because.back() == ' ') because.remove_suffix(1);
  if (because.empty()) throw InvalidInput("enter the words that say why a school meeting it is in need", "because");
  if (because.size() > 200) throw InvalidInput("the words must be 200 characters or fewer", "because");
  if (!workflow::valid_utf8(because)) throw InvalidInput("the words must be text (UTF-8)", "because");
  if (std::any_of(because.begin(), because.end(), [](unsigned char c) { return c < 0x20; })) {
    throw InvalidInput("the words must be one line of text", "because");
  }
  rule.because = std::string(because);
  db.transact([&](workflow::Database::Connection& connection) {
    auto& sql = connection.session();
    if (rule.area) {
      long long known = 0;
      sql << "SELECT count(*) FROM inspection_areas WHERE area = :a", soci::use(*rule.area), soci::into(known);
      if (known == 0) throw InvalidInput("no evaluation area '" + *rule.area + "'", "area");
    }
    const auto rules = need_rules(connection);
    if (rules.size() >= kMaxNeedRules) {
      throw InvalidInput(fmt::format("there are {} criteria already, the most s2s keeps", rules.size()), "basis");
    }
    const int count = static_cast<int>(rules.size());
    const int at = position.value_or(count + 1);
    if (at < 1 || at > count + 1) {
      throw InvalidInput(fmt::format("the position must be from 1 to {}", count + 1), "position");
    }
    // Positions are renumbered 1, 2, ... with a gap at `at` (through
    // negative numbers, since each is unique at every step).
    for (int i = 0; i < count; ++i) {
      const int to = -(i + 1 < at ? i + 1 : i + 2);
      const long long id = rules[static_cast<std::size_t>(i)].id;
      sql << "UPDATE need_rules SET position = :p WHERE id = :id", soci::use(to), soci::use(id);
    }
    sql << "UPDATE need_rules SET position = -position WHERE position < 0";
    const std::string flag = rule.flag.value_or(""), area = rule.area.value_or("");
    const int from = rule.grade_from.value_or(0), to = rule.grade_to.value_or(0);
    soci::indicator flag_ind = rule.flag ? soci::i_ok : soci::i_null;
    soci::indicator area_ind = rule.area ? soci::i_ok : soci::i_null;
    soci::indicator from_ind = rule.grade_from ? soci::i_ok : soci::i_null;
    soci::indicator to_ind = rule.grade_to ? soci::i_ok : soci::i_null;
    const int safeguarding = rule.safeguarding_not_met ? 1 : 0, category = rule.and_category_5_6 ? 1 : 0;
    sql << "INSERT INTO need_rules (position, basis, flag, grade_from, grade_to, area, safeguarding_not_met,"
           " and_category_5_6, because) VALUES (:p, :b, :f, :gf, :gt, :a, :s, :c, :w)",
        soci::use(at), soci::use(rule.basis), soci::use(flag, flag_ind), soci::use(from, from_ind),
        soci::use(to, to_ind), soci::use(area, area_ind), soci::use(safeguarding), soci::use(category),
        soci::use(rule.because);
    long long id = 0;
    sql << "SELECT id FROM need_rules WHERE position = :p", soci::use(at), soci::into(id);
    rule.id = id;
    rule.position = at;
  });
  return rule;
}

void remove_need_rule(workflow::Database& db, std::int64_t id) {
  db.transact([&](soci::session& sql) {
    const long long key = id;
    long long found = 0;
    sql << "SELECT count(*) FROM need_rules WHERE id = :id", soci::use(key), soci::into(found);
    if (found == 0) throw workflow::NotFound("no criterion " + std::to_string(id));
    sql << "DELETE FROM need_rules WHERE id = :id", soci::use(key);
  });
}

std::vector<InspectionArea> inspection_areas(workflow::Database::Connection& connection) {
  std::vector<InspectionArea> out;
  soci::rowset<soci::row> rows =
      connection.session().prepare << "SELECT area, name, header FROM inspection_areas ORDER BY position";
  for (const auto& r : rows) out.push_back({row_text(r, 0), row_text(r, 1), row_text(r, 2)});
  return out;
}

NeedSql need_sql(const std::vector<NeedRule>& rules) {
  // A report card counts when no graded judgement is newer; a graded
  // judgement when no report card is.
  const std::string card = "(rc.urn IS NOT NULL AND (s.ofsted_date IS NULL OR rc.inspected_on >= s.ofsted_date))";
  const std::string graded = "(rc.urn IS NULL OR (s.ofsted_date IS NOT NULL AND rc.inspected_on < s.ofsted_date))";
  std::string position;
  for (const auto& rule : rules) {
    std::string when;
    if (rule.basis == "register" && rule.flag) {
      when = "s." + *rule.flag;
    } else if (rule.basis == "graded" && rule.grade_from && rule.grade_to) {
      when = graded + " AND s.ofsted_grade BETWEEN " + std::to_string(*rule.grade_from) + " AND " +
             std::to_string(*rule.grade_to);
    } else if (rule.basis == "report_card" && rule.safeguarding_not_met) {
      when = card + " AND rc.safeguarding = 'not_met'";
    } else if (rule.basis == "report_card" && rule.grade_from && rule.grade_to) {
      when = card + " AND EXISTS (SELECT 1 FROM report_card_grades g WHERE g.urn = rc.urn AND g.inspected_on ="
                    " rc.inspected_on AND g.grade BETWEEN " +
             std::to_string(*rule.grade_from) + " AND " + std::to_string(*rule.grade_to) +
             (rule.area ? " AND g.area = '" + *rule.area + "'" : std::string()) + ")";
    } else {
      continue;  // the database's check refuses such a rule
    }
    if (rule.and_category_5_6) when = "(" + when + ") AND s.category_5_6";
    position += " WHEN " + when + " THEN " + std::to_string(rule.position);
  }
  return NeedSql{" LEFT JOIN report_cards rc ON rc.urn = s.urn AND rc.latest = 1",
                 position.empty() ? std::string("0") : "CASE" + position + " ELSE 0 END"};
}

const std::string& need_because_sql() {
  static const std::string kSql =
      "(SELECT r.because FROM need_rules r LEFT JOIN report_cards rc ON rc.urn = s.urn AND rc.latest = 1 WHERE"
      " (r.and_category_5_6 = 0 OR s.category_5_6) AND ("
      "(r.basis = 'register' AND ((r.flag = 'ssif_eligible' AND s.ssif_eligible)"
      " OR (r.flag = 'category_5_6' AND s.category_5_6)))"
      " OR (r.basis = 'graded' AND (rc.urn IS NULL OR (s.ofsted_date IS NOT NULL AND rc.inspected_on < s.ofsted_date))"
      " AND s.ofsted_grade BETWEEN r.grade_from AND r.grade_to)"
      " OR (r.basis = 'report_card' AND rc.urn IS NOT NULL AND (s.ofsted_date IS NULL OR rc.inspected_on >="
      " s.ofsted_date) AND ((r.safeguarding_not_met = 1 AND rc.safeguarding = 'not_met')"
      " OR (r.grade_from IS NOT NULL AND EXISTS (SELECT 1 FROM report_card_grades g WHERE g.urn = rc.urn AND"
      " g.inspected_on = rc.inspected_on AND g.grade BETWEEN r.grade_from AND r.grade_to"
      " AND (r.area IS NULL OR g.area = r.area))))))"
      " ORDER BY r.position LIMIT 1)";
  return kSql;
}

std::vector<std::string> need_criteria_text(const std::vector<NeedRule>& rules) {
  std::vector<std::string> out;
  for (const auto& rule : rules) out.push_back(rule.because);
  return out;
}

std::optional<ReportCard> latest_report_card(workflow::Database& db, std::int32_t urn) {
  auto connection = db.acquire();
  try {
    auto& sql = connection.session();
    ReportCard card;
    std::string published, safeguarding;
    soci::indicator published_ind = soci::i_ok, safeguarding_ind = soci::i_ok;
    sql << "SELECT CAST(inspected_on AS TEXT), CAST(published_on AS TEXT), safeguarding FROM report_cards"
           " WHERE urn = :u AND latest = 1",
        soci::use(urn), soci::into(card.inspected_on), soci::into(published, published_ind),
        soci::into(safeguarding, safeguarding_ind);
    if (!sql.got_data()) return std::nullopt;
    if (published_ind != soci::i_null) card.published_on = published;
    if (safeguarding_ind != soci::i_null) card.safeguarding_met = safeguarding == "met";
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT g.area, a.name, g.grade FROM report_card_grades g JOIN inspection_areas a ON a.area ="
                        " g.area WHERE g.urn = :u AND g.inspected_on = :d ORDER BY a.position",
         soci::use(urn), soci::use(card.inspected_on));
    for (const auto& r : rows) card.grades.push_back({row_text(r, 0), row_text(r, 1), static_cast<int>(row_integer(r, 2))});
    return card;
  } catch (...) {
    connection.rethrow_translated();
  }
}

std::optional<std::string> need_of(workflow::Database& db, std::int32_t urn) {
  auto connection = db.acquire();
  try {
    const auto rules = need_rules(connection);
    const auto need = need_sql(rules);
    int position = 0;
    connection.session() << "SELECT " + need.position + " FROM schools s" + need.join + " WHERE s.urn = :u",
        soci::use(urn), soci::into(position);
    if (!connection.session().got_data() || position == 0) return std::nullopt;
    for (const auto& rule : rules) {
      if (rule.position == position) return rule.because;
    }
    return std::nullopt;
  } catch (...) {
    connection.rethrow_translated();
  }
}

OfstedImportReport import_ofsted(workflow::Database& db, std::string_view bytes, const std::string& now) {
  OfstedImportReport report;
  db.transact([&](workflow::Database::Connection& connection) {
    auto& sql = connection.session();
    const auto read = read_ofsted(bytes, inspection_areas(connection));
    report = OfstedImportReport{};
    report.encoding = read.encoding;
    report.rows = read.rows;
    report.skipped = read.skipped;
    report.problems = read.problems;
    std::set<int> on_register;
    {
      soci::rowset<int> urns = sql.prepare << "SELECT urn FROM schools";
      for (const int urn : urns) on_register.insert(urn);
    }
    std::set<int> touched;  // schools whose latest card may have changed
    for (const auto& row : read.schools) {
      if (!on_register.contains(row.urn)) {
        report.problems.push_back("line " + std::to_string(row.line) + ": URN " + std::to_string(row.urn) +
                                  " is not on the register (import the GIAS extract first); row skipped");
        ++report.skipped;
        continue;
      }
      if (row.card_on) {
        std::string held;
        sql << "SELECT checksum FROM report_cards WHERE urn = :u AND inspected_on = :d", soci::use(row.urn),
            soci::use(*row.card_on), soci::into(held);
        const bool exists = sql.got_data();
        if (exists && held == row.checksum) {
          ++report.cards_unchanged;
        } else {
          std::string safeguarding =
              row.safeguarding_met ? (*row.safeguarding_met ? "met" : "not_met") : std::string();
          soci::indicator safeguarding_ind = row.safeguarding_met ? soci::i_ok : soci::i_null;
          std::string published = row.published_on.value_or("");
          soci::indicator published_ind = row.published_on ? soci::i_ok : soci::i_null;
          if (exists) {
            sql << "DELETE FROM report_card_grades WHERE urn = :u AND inspected_on = :d", soci::use(row.urn),
                soci::use(*row.card_on);
            sql << "UPDATE report_cards SET published_on = :p, safeguarding = :s, checksum = :c, imported_at = :n"
                   " WHERE urn = :u AND inspected_on = :d",
                soci::use(published, published_ind), soci::use(safeguarding, safeguarding_ind),
                soci::use(row.checksum), soci::use(now), soci::use(row.urn), soci::use(*row.card_on);
            ++report.cards_changed;
          } else {
            sql << "INSERT INTO report_cards (urn, inspected_on, published_on, safeguarding, latest, checksum,"
                   " imported_at) VALUES (:u, :d, :p, :s, 0, :c, :n)",
                soci::use(row.urn), soci::use(*row.card_on), soci::use(published, published_ind),
                soci::use(safeguarding, safeguarding_ind), soci::use(row.checksum), soci::use(now);
            ++report.cards_added;
          }
          for (const auto& [area, grade] : row.grades) {
            sql << "INSERT INTO report_card_grades (urn, inspected_on, area, grade) VALUES (:u, :d, :a, :g)",
                soci::use(row.urn), soci::use(*row.card_on), soci::use(area), soci::use(grade);
          }
          touched.insert(row.urn);
        }
      }
      if (row.graded && row.graded_on) {
        // Replaces the judgement held only with a later one (or the same day's, corrected).
        int updated = 0;
        sql << "UPDATE schools SET ofsted_grade = :g, ofsted_date = :d, updated_at = :n WHERE urn = :u"
               " AND (ofsted_date IS NULL OR ofsted_date <= :d2) AND (ofsted_grade IS NULL OR ofsted_grade <> :g2"
               " OR ofsted_date IS NULL OR ofsted_date <> :d3) RETURNING urn",
            soci::use(*row.graded), soci::use(*row.graded_on), soci::use(now), soci::use(row.urn),
            soci::use(*row.graded_on), soci::use(*row.graded), soci::use(*row.graded_on), soci::into(updated);
        if (sql.got_data()) ++report.graded_updated;
      }
    }
    // The newest card of each school touched is its latest.
    for (const int urn : touched) {
      sql << "UPDATE report_cards SET latest = CASE WHEN inspected_on = (SELECT max(inspected_on) FROM report_cards r"
             " WHERE r.urn = :u) THEN 1 ELSE 0 END WHERE urn = :u2",
          soci::use(urn), soci::use(urn);
    }
  });
  return report;
}

std::string_view to_string(Support support) {
  switch (support) {
    case Support::none:
      return "none";
    case Support::supported_before:
      return "supported before";
    case Support::referred:
      return "referred";
    case Support::in_progress:
      return "in progress";
    case Support::supported_this_year:
      return "supported this year";
  }
  return "none";
}

NeedRegister need_register(workflow::Database& db, const workflow::Actor& actor, std::chrono::year_month_day today) {
  NeedRegister out;
  out.academic_year = academic_year_of(today);
  auto connection = db.acquire();
  try {
    connection.begin_snapshot();
    auto& sql = connection.session();
    const auto rules = need_rules(connection);
    out.criteria = need_criteria_text(rules);
    std::map<int, std::string> because;
    for (const auto& rule : rules) because[rule.position] = rule.because;
    const auto need = need_sql(rules);
    const auto scope = school_scope_condition(actor);
    // The schools in need.
    std::map<std::int32_t, std::size_t> at;
    {
      workflow::SqlQuery query(
          "SELECT s.urn, s.name, s.la_name, COALESCE(m.mini_region, ''), s.phase, " + need.position +
          ", s.ofsted_grade, CAST(s.ofsted_date AS TEXT), CAST(rc.inspected_on AS TEXT), rc.safeguarding"
          " FROM schools s LEFT JOIN la_mini_regions m ON m.la_code = s.la_code" +
          need.join + " WHERE " + need.position + " > 0 AND ");
      query.add(scope.sql, scope.values);
      query.each(sql, [&](const soci::row& r) {
        NeedRow row;
        row.urn = static_cast<std::int32_t>(row_integer(r, 0));
        row.name = row_text(r, 1);
        row.la_name = row_text(r, 2);
        row.mini_region = row_text(r, 3);
        row.phase = row_text(r, 4);
        row.position = static_cast<int>(row_integer(r, 5));
        row.because = because[row.position];
        const auto grade = r.get_indicator(6) == soci::i_null ? 0 : row_integer(r, 6);
        const std::string graded_on = row_text(r, 7);
        const std::string card_on = row_text(r, 8);
        if (!card_on.empty() && (graded_on.empty() || card_on >= graded_on)) {
          row.last_inspection = "report card, " + long_date(card_on);
          if (!row_text(r, 9).empty()) {
            row.last_inspection += std::string(": safeguarding ") + (row_text(r, 9) == "met" ? "met" : "not met");
          }
        } else if (grade >= 1 && grade <= 4) {
          row.last_inspection = std::string(kGraded[static_cast<std::size_t>(grade - 1)]) +
                                (graded_on.empty() ? "" : ", " + long_date(graded_on));
        } else {
          row.last_inspection = "none on the register";
        }
        at[row.urn] = out.rows.size();
        out.rows.push_back(std::move(row));
      });
    }
    // Their support requests, and the days given on each.
    if (!out.rows.empty()) {
      const std::string& year = out.academic_year;
      workflow::SqlQuery requests(
          "SELECT c.school_urn, c.reference, c.phase, COALESCE((SELECT sum(t.half_days) FROM deployment_day_totals t"
          " WHERE t.case_id = c.id AND t.academic_year = ");
      requests.add("?), 0), COALESCE((SELECT sum(t.half_days) FROM deployment_day_totals t WHERE t.case_id = c.id"
                   " AND t.academic_year < ?), 0) FROM cases c JOIN schools s ON s.urn = c.school_urn",
                   std::vector<std::string>{year, year});
      requests.add(need.join + " WHERE c.kind = 'support_request' AND " + need.position + " > 0 AND ");
      requests.add(scope.sql, scope.values);
      requests.add(" ORDER BY c.opened_on, c.id");
      // Shown: what is under way first, then this year's support, then earlier.
      const auto shown = [](Support support) {
        static constexpr std::array<int, 5> kShown{0, 1, 4, 5, 3};  // by Support's order
        return kShown[static_cast<std::size_t>(support)];
      };
      requests.each(sql, [&](const soci::row& r) {
        const auto found = at.find(static_cast<std::int32_t>(row_integer(r, 0)));
        if (found == at.end()) return;
        NeedRow& row = out.rows[found->second];
        const std::string phase = row_text(r, 2);
        Support support = Support::none;
        if (phase == "referral" || phase == "matching") {
          support = Support::referred;
        } else if (phase == "deployment" || phase == "evaluation") {
          support = Support::in_progress;
        } else if (workflow::row_number(r, 3) > 0) {
          support = Support::supported_this_year;
        } else if (workflow::row_number(r, 4) > 0) {
          support = Support::supported_before;
        }
        if (support != Support::none && shown(support) >= shown(row.support)) {
          row.support = support;
          row.case_reference = row_text(r, 1);
        }
      });
    }
    connection.rollback();
  } catch (...) {
    connection.rethrow_translated();
  }
  // No support first, then support long ago, then under way; the greatest need first within each.
  std::sort(out.rows.begin(), out.rows.end(), [](const NeedRow& a, const NeedRow& b) {
    return std::tuple(static_cast<int>(a.support), a.position, a.name, a.urn) <
           std::tuple(static_cast<int>(b.support), b.position, b.name, b.urn);
  });
  std::map<std::string, MiniRegionReach> reach;
  for (const auto& row : out.rows) {
    auto& r = reach[row.mini_region];
    r.mini_region = row.mini_region;
    ++r.in_need;
    if (row.support == Support::referred || row.support == Support::in_progress ||
        row.support == Support::supported_this_year) {
      ++r.reached;
    }
  }
  for (auto& [name, r] : reach) out.reach.push_back(r);
  return out;
}

std::string need_register_csv_filename(const NeedRegister& reg) {
  std::string year = reg.academic_year;
  std::replace(year.begin(), year.end(), '/', '-');
  return "schools-in-need-" + year + ".csv";
}

std::string need_register_csv(const NeedRegister& reg) {
  std::string out = "\xEF\xBB\xBF";
  out += "urn,school,la,mini_region,phase,why,last_inspection,support,case\r\n";
  for (const auto& row : reg.rows) {
    out += std::to_string(row.urn) + "," + workflow::csv_quote(row.name) + "," + workflow::csv_quote(row.la_name) +
           "," + workflow::csv_quote(row.mini_region) + "," + workflow::csv_quote(row.phase) + "," +
           workflow::csv_quote(row.because) + "," + workflow::csv_quote(row.last_inspection) + "," +
           std::string(to_string(row.support)) + "," + row.case_reference + "\r\n";
  }
  return out;
}

}  // namespace s2s::cases
