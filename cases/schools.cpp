#include "cases/schools.h"

#include <soci/soci.h>

#include "cases/need.h"
#include "cases/providers.h"
#include "workflow/date.h"
#include "workflow/sql_query.h"
#include "workflow/text.h"
#include "workflow/timestamp.h"

namespace s2s::cases {
namespace {

using workflow::row_integer;
using workflow::row_text;

const std::string kSchoolSelect =
    "SELECT " + school_columns_sql() + " FROM schools s LEFT JOIN la_mini_regions m ON m.la_code = s.la_code WHERE ";

School school_from(const soci::row& row) { return school_at(row, 0); }

// The schools whose URN is in `urns` (a comma-separated list of integers), by URN.
std::map<std::int32_t, School> read_schools(soci::session& sql, const std::string& urns) {
  std::map<std::int32_t, School> out;
  // By primary key: a join from another table would make PostgreSQL hash the
  // whole register (50,000 schools) to find a few thousand.
  workflow::SqlQuery(kSchoolSelect + "s.urn IN (" + urns + ")").each(sql, [&](const soci::row& row) {
    School s = school_from(row);
    out.emplace(s.urn, std::move(s));
  });
  return out;
}

// One school by URN through a statement kept with the connection (every case
// read shows its school): planned once, not per call.
struct SchoolStatement {
  explicit SchoolStatement(soci::session& sql)
      : statement((sql.prepare << std::string(kSchoolSelect) + "s.urn = :urn", soci::use(urn), soci::into(row))) {}
  int urn = 0;
  soci::row row;
  soci::statement statement;
};

std::optional<School> read_school(workflow::Database::Connection& connection, std::int32_t urn) {
  auto& st =
      connection.local<SchoolStatement>([](soci::session& sql) { return std::make_unique<SchoolStatement>(sql); });
  st.urn = urn;
  if (!workflow::execute_once(st.statement, connection.backend())) return std::nullopt;
  return school_from(st.row);
}

}  // namespace

// With why the school is in need under the criteria in force (need.h), when asked.
std::string school_columns_sql(bool with_need) {
  return "s.urn, s.name, s.la_code, s.la_name, m.mini_region, s.phase, s.status, s.trust_code, s.trust_name,"
         " s.ofsted_grade, CAST(s.ofsted_date AS TEXT), CASE WHEN s.ssif_eligible THEN 1 ELSE 0 END,"
         " CASE WHEN s.category_5_6 THEN 1 ELSE 0 END, s.type, s.phase_group, " +
         (with_need ? need_because_sql() : std::string("NULL"));
}

School school_at(const soci::row& row, std::size_t first) {
  const auto at = [first](std::size_t column) { return first + column; };
  School s;
  s.urn = static_cast<std::int32_t>(row_integer(row, at(0)));
  s.name = row_text(row, at(1));
  s.la_code = static_cast<int>(row_integer(row, at(2)));
  s.la_name = row_text(row, at(3));
  s.mini_region = row_text(row, at(4));
  s.phase = row_text(row, at(5));
  s.status = row_text(row, at(6));
  s.trust_code = row_text(row, at(7));
  s.trust_name = row_text(row, at(8));
  if (row.get_indicator(at(9)) != soci::i_null) s.ofsted_grade = static_cast<int>(row_integer(row, at(9)));
  s.ofsted_date = row_text(row, at(10));
  s.ssif_eligible = row_integer(row, at(11)) != 0;
  s.category_5_6 = row_integer(row, at(12)) != 0;
  s.type = row_text(row, at(13));
  s.phase_group = row_text(row, at(14));
  if (row.get_indicator(at(15)) != soci::i_null) s.need = row_text(row, at(15));
  return s;
}

bool is_phase_group(std::string_view text) {
  return std::find(kPhaseGroups.begin(), kPhaseGroups.end(), text) != kPhaseGroups.end();
}

std::vector<std::string> phase_list(std::string_view text) {
  std::vector<std::string> out;
  for (const auto item : workflow::split_list(text)) out.emplace_back(item);
  return out;
}

std::string phase_groups_text() {
  std::string out;
  for (const auto group : kPhaseGroups) out += (out.empty() ? "" : ", ") + std::string(group);
  return out;
}

std::optional<std::string> in_need_because(const School& school) { return school.need; }

SchoolPage search_schools(workflow::Database& db, const SchoolSearch& search) {
  workflow::SqlQuery sql("SELECT s.urn FROM schools s WHERE 1 = 1");
  if (const auto& q = search.text) {
    const bool numeric = !q->empty() && q->find_first_not_of("0123456789") == std::string::npos && q->size() <= 8;
    if (numeric) {
      sql.add(" AND (s.urn = CAST(? AS INTEGER) OR lower(s.name) LIKE ? ESCAPE '\\')",
              {*q, workflow::contains_pattern(*q)});
    } else {
      sql.add(" AND lower(s.name) LIKE ? ESCAPE '\\'", workflow::contains_pattern(*q));
    }
  }
  if (search.la) sql.add(" AND s.la_code = CAST(? AS INTEGER)", std::to_string(*search.la));
  if (search.mini_region) {
    sql.add(" AND s.la_code IN (SELECT la_code FROM la_mini_regions WHERE mini_region = ?)", *search.mini_region);
  }
  if (search.after) sql.add(" AND s.urn > CAST(? AS BIGINT)", std::to_string(*search.after));
  // The limit is ours, an integer: one more row than asked says whether more follow.
  sql.add(" ORDER BY s.urn LIMIT " + std::to_string(search.limit + 1));
  SchoolPage page;
  auto connection = db.acquire();
  try {
    std::vector<std::int32_t> urns;
    sql.each(connection.session(),
             [&](const soci::row& row) { urns.push_back(static_cast<std::int32_t>(workflow::row_integer(row, 0))); });
    page.more = static_cast<int>(urns.size()) > search.limit;
    if (page.more) urns.pop_back();
    auto found = find_schools(connection, std::set<std::int32_t>(urns.begin(), urns.end()));
    for (const auto urn : urns) {
      if (auto it = found.find(urn); it != found.end()) page.items.push_back(std::move(it->second));
    }
  } catch (...) {
    connection.rethrow_translated();
  }
  return page;
}

std::map<std::int32_t, School> find_schools(workflow::Database::Connection& connection,
                                            const std::set<std::int32_t>& urns) {
  if (urns.empty()) return {};
  std::string list;
  for (const auto urn : urns) list += (list.empty() ? "" : ",") + std::to_string(urn);
  return read_schools(connection.session(), list);
}

std::optional<School> find_school(workflow::Database::Connection& connection, std::int32_t urn) {
  return read_school(connection, urn);
}

std::optional<School> find_school(workflow::Database& db, std::int32_t urn) {
  auto connection = db.acquire();
  try {
    return read_school(connection, urn);
  } catch (...) {
    connection.rethrow_translated();
  }
}

School edit_school(workflow::Database& db, std::int32_t urn, const SchoolEdit& edit,
                   std::chrono::year_month_day today) {
  if (!edit.ofsted_grade && !edit.ofsted_date && !edit.ssif_eligible && !edit.category_5_6 && !edit.trust_code &&
      !edit.trust_name) {
    throw workflow::Refused("nothing to change: give at least one field");
  }
  if (edit.ofsted_grade && (*edit.ofsted_grade < 0 || *edit.ofsted_grade > 4)) {
    throw workflow::Refused("ofsted grade " + std::to_string(*edit.ofsted_grade) +
                            " is not 1-4 (1 outstanding, 2 good, 3 requires improvement, 4 inadequate; 0 clears it)");
  }
  if (edit.ofsted_date && !edit.ofsted_date->empty()) {
    const auto day = workflow::parse_date(*edit.ofsted_date);
    if (!day) throw workflow::Refused("ofsted date '" + *edit.ofsted_date + "' is not a date (YYYY-MM-DD)");
    if (*day > today) throw workflow::Refused("ofsted date " + *edit.ofsted_date + " is in the future");
  }
  const std::string now = workflow::format_timestamp(std::chrono::system_clock::now());
  return db.transact([&](workflow::Database::Connection& connection) {
    soci::session& sql = connection.session();
    if (!read_school(connection, urn))
      throw workflow::Refused("no school with URN " + std::to_string(urn) + " (import GIAS first)");
    const int key = urn;
    // One statement per field given, all in this transaction. Values go as
    // text ("" for NULL): PostgreSQL reads each as its column's type
    // ('1' as true), SQLite by the column's affinity.
    const auto set = [&](const char* column, std::string value) {
      soci::indicator ind = value.empty() ? soci::i_null : soci::i_ok;
      sql << std::string("UPDATE schools SET ") + column + " = :v, updated_at = :now WHERE urn = :u",
          soci::use(value, ind), soci::use(now), soci::use(key);
    };
    if (edit.ofsted_grade) set("ofsted_grade", *edit.ofsted_grade == 0 ? "" : std::to_string(*edit.ofsted_grade));
    if (edit.ofsted_date) set("ofsted_date", *edit.ofsted_date);
    if (edit.ssif_eligible) set("ssif_eligible", *edit.ssif_eligible ? "1" : "0");
    if (edit.category_5_6) set("category_5_6", *edit.category_5_6 ? "1" : "0");
    if (edit.trust_code) set("trust_code", *edit.trust_code);
    if (edit.trust_name) set("trust_name", *edit.trust_name);
    return *read_school(connection, urn);
  });
}

std::vector<std::string> mini_region_names(workflow::Database& db) {
  return db.read([](soci::session& session) {
    std::vector<std::string> out;
    soci::rowset<std::string> rows =
        (session.prepare << "SELECT DISTINCT mini_region FROM la_mini_regions ORDER BY mini_region");
    for (const auto& name : rows) out.push_back(name);
    return out;
  });
}

}  // namespace s2s::cases
