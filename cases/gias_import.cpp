#include "cases/gias_import.h"

#include <soci/soci.h>

#include <chrono>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>

#include "workflow/timestamp.h"

namespace s2s::cases {
namespace {

using School = GiasSchool;

// Column vectors for SOCI's bulk binding, with null indicators.
struct Batch {
  std::vector<int> urn, la_code, grade;
  std::vector<std::string> name, la_name, phase, status, type, trust_code, trust_name, town, postcode, opened_on,
      closed_on, ofsted_date, checksum;
  std::vector<soci::indicator> type_i, trust_code_i, trust_name_i, town_i, postcode_i, opened_on_i, closed_on_i,
      ofsted_date_i, grade_i;

  void add(const School& s) {
    urn.push_back(s.urn);
    la_code.push_back(s.la_code);
    name.push_back(s.name);
    la_name.push_back(s.la_name);
    phase.push_back(s.phase);
    status.push_back(s.status);
    checksum.push_back(s.checksum);
    const auto put = [](std::vector<std::string>& values, std::vector<soci::indicator>& flags,
                        const std::optional<std::string>& v) {
      values.push_back(v.value_or(""));
      flags.push_back(v ? soci::i_ok : soci::i_null);
    };
    put(type, type_i, s.type);
    put(trust_code, trust_code_i, s.trust_code);
    put(trust_name, trust_name_i, s.trust_name);
    put(town, town_i, s.town);
    put(postcode, postcode_i, s.postcode);
    put(opened_on, opened_on_i, s.opened_on);
    put(closed_on, closed_on_i, s.closed_on);
    put(ofsted_date, ofsted_date_i, s.ofsted_date);
    grade.push_back(s.ofsted_grade.value_or(0));
    grade_i.push_back(s.ofsted_grade ? soci::i_ok : soci::i_null);
  }
  [[nodiscard]] bool empty() const { return urn.empty(); }
};

// A column as a PostgreSQL array literal (PgArray), NULL where SOCI's
// indicator says so, so that thousands of rows go in one statement through
// unnest() instead of one round trip each.
template <class Value>
std::string array_of(const std::vector<Value>& values, const std::vector<soci::indicator>* nulls = nullptr) {
  workflow::PgArray out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (nulls != nullptr && (*nulls)[i] == soci::i_null) {
      out.null();
    } else if constexpr (std::is_same_v<Value, std::string>) {
      out.text(values[i]);
    } else {
      out.number(values[i]);
    }
  }
  return out.str();
}

// One batch of new schools (insert) or changed ones (update) on PostgreSQL.
void write_postgresql(soci::session& sql, const Batch& b, bool insert, const std::string& now) {
  std::vector<std::string> arrays = {
      array_of(b.urn),
      array_of(b.name),
      array_of(b.la_code),
      array_of(b.la_name),
      array_of(b.phase),
      array_of(b.status),
      array_of(b.type, &b.type_i),
      array_of(b.trust_code, &b.trust_code_i),
      array_of(b.trust_name, &b.trust_name_i),
      array_of(b.town, &b.town_i),
      array_of(b.postcode, &b.postcode_i),
      array_of(b.opened_on, &b.opened_on_i),
      array_of(b.closed_on, &b.closed_on_i),
      array_of(b.grade, &b.grade_i),
      array_of(b.ofsted_date, &b.ofsted_date_i),
      array_of(b.checksum),
  };
  const std::string rows =
      " FROM unnest(CAST(:urn AS integer[]), CAST(:name AS text[]), CAST(:la_code AS integer[]),"
      " CAST(:la_name AS text[]), CAST(:phase AS text[]), CAST(:status AS text[]), CAST(:type AS text[]),"
      " CAST(:trust_code AS text[]), CAST(:trust_name AS text[]), CAST(:town AS text[]), CAST(:postcode AS text[]),"
      " CAST(:opened_on AS date[]), CAST(:closed_on AS date[]), CAST(:grade AS integer[]),"
      " CAST(:ofsted_date AS date[]), CAST(:checksum AS text[])) AS v(urn, name, la_code, la_name, phase, status,"
      " type, trust_code, trust_name, town, postcode, opened_on, closed_on, grade, ofsted_date, checksum)";
  const std::string query =
      insert ? "INSERT INTO schools (urn, name, la_code, la_name, phase, status, type, trust_code, trust_name, town,"
               " postcode, opened_on, closed_on, ofsted_grade, ofsted_date, gias_checksum, imported_at, updated_at)"
               " SELECT v.urn, v.name, v.la_code, v.la_name, v.phase, v.status, v.type, v.trust_code, v.trust_name,"
               " v.town, v.postcode, v.opened_on, v.closed_on, v.grade, v.ofsted_date, v.checksum,"
               " CAST(:now AS timestamptz), CAST(:now2 AS timestamptz)" +
                   rows
             : "UPDATE schools SET name = v.name, la_code = v.la_code, la_name = v.la_name, phase = v.phase,"
               " status = v.status, type = v.type, trust_code = v.trust_code, trust_name = v.trust_name,"
               " town = v.town, postcode = v.postcode, opened_on = v.opened_on, closed_on = v.closed_on,"
               // A judgement older than the one held (set by hand, or from Ofsted's own file) never replaces it.
               " ofsted_grade = CASE WHEN schools.ofsted_date IS NULL OR v.ofsted_date IS NULL OR v.ofsted_date >="
               " schools.ofsted_date THEN COALESCE(v.grade, schools.ofsted_grade) ELSE schools.ofsted_grade END,"
               " ofsted_date = CASE WHEN schools.ofsted_date IS NULL OR v.ofsted_date IS NULL OR v.ofsted_date >="
               " schools.ofsted_date THEN COALESCE(v.ofsted_date, schools.ofsted_date) ELSE schools.ofsted_date END,"
               " gias_checksum = v.checksum,"
               " imported_at = CAST(:now AS timestamptz), updated_at = CAST(:now2 AS timestamptz)" +
                   rows + " WHERE schools.urn = v.urn";
  // Bound by position: the two timestamps come first in both texts.
  soci::statement st(sql);
  st.exchange(soci::use(now));
  st.exchange(soci::use(now));
  for (auto& a : arrays) st.exchange(soci::use(a));
  st.alloc();
  st.prepare(query);
  st.define_and_bind();
  st.execute(true);
}

}  // namespace

GiasImportReport import_gias(workflow::Database& db, std::string_view bytes, const GiasProgress& progress,
                             std::size_t progress_every) {
  GiasRows read = read_gias(bytes, progress, progress_every);
  GiasImportReport report;
  report.encoding = read.encoding;
  report.rows = read.rows;
  report.skipped = read.skipped;
  report.problems = std::move(read.problems);
  const std::vector<School>& schools = read.schools;
  const std::size_t total = read.rows;

  const std::string now = workflow::format_timestamp(std::chrono::system_clock::now());
  db.transact([&](soci::session& sql) {
    std::unordered_map<int, std::string> existing;
    {
      int urn = 0;
      std::string checksum;
      soci::statement st =
          (sql.prepare << "SELECT urn, gias_checksum FROM schools", soci::into(urn), soci::into(checksum));
      st.execute();
      while (st.fetch()) existing.emplace(urn, checksum);
    }
    Batch inserts;
    Batch updates;
    for (const School& s : schools) {
      const auto it = existing.find(s.urn);
      if (it == existing.end()) {
        inserts.add(s);
      } else if (it->second != s.checksum) {
        updates.add(s);
      } else {
        ++report.unchanged;
      }
    }
    if (db.backend() == workflow::Backend::postgresql) {
      for (auto* batch : {&inserts, &updates}) {
        if (!batch->empty()) write_postgresql(sql, *batch, batch == &inserts, now);
      }
      report.inserted = inserts.urn.size();
      report.updated = updates.urn.size();
      return;
    }
    if (!inserts.empty()) {
      Batch& b = inserts;
      const std::vector<std::string> stamps(b.urn.size(), now);
      sql << "INSERT INTO schools (urn, name, la_code, la_name, phase, status, type, trust_code, trust_name, town,"
             " postcode, opened_on, closed_on, ofsted_grade, ofsted_date, gias_checksum, imported_at, updated_at)"
             " VALUES (:urn, :name, :la_code, :la_name, :phase, :status, :type, :trust_code, :trust_name, :town,"
             " :postcode, :opened_on, :closed_on, :grade, :ofsted_date, :checksum, :now, :now2)",
          soci::use(b.urn), soci::use(b.name), soci::use(b.la_code), soci::use(b.la_name), soci::use(b.phase),
          soci::use(b.status), soci::use(b.type, b.type_i), soci::use(b.trust_code, b.trust_code_i),
          soci::use(b.trust_name, b.trust_name_i), soci::use(b.town, b.town_i), soci::use(b.postcode, b.postcode_i),
          soci::use(b.opened_on, b.opened_on_i), soci::use(b.closed_on, b.closed_on_i), soci::use(b.grade, b.grade_i),
          soci::use(b.ofsted_date, b.ofsted_date_i), soci::use(b.checksum), soci::use(stamps), soci::use(stamps);
      report.inserted = b.urn.size();
    }
    if (!updates.empty()) {
      Batch& b = updates;
      const std::vector<std::string> stamps(b.urn.size(), now);
      // Ofsted columns are gone from newer extracts: an empty one keeps the grade held.
      sql << "UPDATE schools SET name = :name, la_code = :la_code, la_name = :la_name, phase = :phase,"
             " status = :status, type = :type, trust_code = :trust_code, trust_name = :trust_name, town = :town,"
             " postcode = :postcode, opened_on = :opened_on, closed_on = :closed_on,"
             // A judgement older than the one held (set by hand, or from Ofsted's own file) never replaces it.
             " ofsted_grade = CASE WHEN ofsted_date IS NULL OR :d1 IS NULL OR :d2 >= ofsted_date"
             " THEN COALESCE(:grade, ofsted_grade) ELSE ofsted_grade END,"
             " ofsted_date = CASE WHEN ofsted_date IS NULL OR :d3 IS NULL OR :d4 >= ofsted_date"
             " THEN COALESCE(:ofsted_date, ofsted_date) ELSE ofsted_date END,"
             " gias_checksum = :checksum, imported_at = :now, updated_at = :now2 WHERE urn = :urn",
          soci::use(b.name), soci::use(b.la_code), soci::use(b.la_name), soci::use(b.phase), soci::use(b.status),
          soci::use(b.type, b.type_i), soci::use(b.trust_code, b.trust_code_i), soci::use(b.trust_name, b.trust_name_i),
          soci::use(b.town, b.town_i), soci::use(b.postcode, b.postcode_i), soci::use(b.opened_on, b.opened_on_i),
          soci::use(b.closed_on, b.closed_on_i), soci::use(b.ofsted_date, b.ofsted_date_i),
          soci::use(b.ofsted_date, b.ofsted_date_i), soci::use(b.grade, b.grade_i),
          soci::use(b.ofsted_date, b.ofsted_date_i), soci::use(b.ofsted_date, b.ofsted_date_i),
          soci::use(b.ofsted_date, b.ofsted_date_i), soci::use(b.checksum), soci::use(stamps), soci::use(stamps),
          soci::use(b.urn);
      report.updated = b.urn.size();
    }
  });
  if (progress) progress(report.rows, total);
  return report;
}

}  // namespace s2s::cases
