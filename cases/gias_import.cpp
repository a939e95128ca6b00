#include "cases/gias_import.h"

#include <soci/soci.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <optional>
#include <unordered_map>

#include "workflow/date.h"
#include "workflow/sha256.h"
#include "workflow/text.h"
#include "workflow/timestamp.h"

namespace s2s::cases {
namespace {

// Windows-1252's 0x80-0x9F, as Unicode code points (0 where undefined).
constexpr std::array<char32_t, 32> kCp1252High = {0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                                  0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
                                                  0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                                  0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

struct Record {
  std::size_t line = 0;  // where the record starts, counting from 1
  std::vector<std::string> fields;
};

// RFC 4180 records: quoted fields may hold commas, doubled quotes and line
// breaks; CRLF or LF line ends.
std::vector<Record> parse_csv(std::string_view text) {
  std::vector<Record> records;
  Record current;
  std::string field;
  std::size_t line = 1;
  current.line = 1;
  bool quoted = false;
  bool any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      current.fields.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) {
        current.fields.push_back(std::move(field));
        records.push_back(std::move(current));
      }
      field.clear();
      current = Record{};
      any = false;
      ++line;
      current.line = line;
    } else {
      field += c;
      any = true;
    }
  }
  if (any || !field.empty()) {
    current.fields.push_back(std::move(field));
    records.push_back(std::move(current));
  }
  return records;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<long long> whole_number(std::string_view s) {
  long long value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return value;
}

// GIAS dates are dd-mm-yyyy; the stored form is YYYY-MM-DD.
std::optional<std::string> gias_date(std::string_view s) {
  if (s.size() != 10 || s[2] != '-' || s[5] != '-') return std::nullopt;
  const std::string iso =
      std::string(s.substr(6, 4)) + "-" + std::string(s.substr(3, 2)) + "-" + std::string(s.substr(0, 2));
  if (!workflow::parse_date(iso)) return std::nullopt;
  return iso;
}

std::optional<int> ofsted_grade(std::string_view rating) {
  if (rating == "Outstanding") return 1;
  if (rating == "Good") return 2;
  if (rating == "Requires improvement" || rating == "Satisfactory") return 3;
  if (rating == "Inadequate" || rating == "Special Measures" || rating == "Serious Weaknesses") return 4;
  return std::nullopt;
}

struct School {
  int urn = 0;
  std::string name, la_name, phase, status;
  int la_code = 0;
  std::optional<std::string> type, trust_code, trust_name, town, postcode, opened_on, closed_on, ofsted_date;
  std::optional<int> ofsted_grade;
  std::string checksum;
};

constexpr std::array<std::string_view, 6> kRequired = {
    "URN", "EstablishmentName", "LA (code)", "LA (name)", "PhaseOfEducation (name)", "EstablishmentStatus (name)"};

// Column positions by header name; -1 for an absent optional column.
struct Columns {
  int urn, name, la_code, la_name, phase, status;
  int type, trust_code, trust_name, town, postcode, open_date, close_date, ofsted_rating, ofsted_date;
};

Columns locate(const Record& header) {
  const auto find = [&](std::string_view name) {
    for (std::size_t i = 0; i < header.fields.size(); ++i) {
      if (trim(header.fields[i]) == name) return static_cast<int>(i);
    }
    return -1;
  };
  std::string missing;
  for (const auto name : kRequired) {
    if (find(name) < 0) missing += (missing.empty() ? "" : ", ") + std::string(name);
  }
  if (!missing.empty()) {
    throw GiasFormatError("not a GIAS establishment extract: line 1 lacks the column(s) " + missing);
  }
  return Columns{find("URN"),
                 find("EstablishmentName"),
                 find("LA (code)"),
                 find("LA (name)"),
                 find("PhaseOfEducation (name)"),
                 find("EstablishmentStatus (name)"),
                 find("TypeOfEstablishment (name)"),
                 find("Trusts (code)"),
                 find("Trusts (name)"),
                 find("Town"),
                 find("Postcode"),
                 find("OpenDate"),
                 find("CloseDate"),
                 find("OfstedRating (name)"),
                 find("OfstedLastInsp")};
}

std::optional<School> read_school(const Record& record, const Columns& col, std::vector<std::string>& problems) {
  const auto at = [&](int index) -> std::string_view {
    if (index < 0 || static_cast<std::size_t>(index) >= record.fields.size()) return {};
    return trim(record.fields[static_cast<std::size_t>(index)]);
  };
  const auto optional_text = [&](int index) -> std::optional<std::string> {
    const auto value = at(index);
    return value.empty() ? std::nullopt : std::optional<std::string>(value);
  };
  const std::string where = "line " + std::to_string(record.line) + ": ";
  School s;
  const auto urn = whole_number(at(col.urn));
  if (!urn || *urn <= 0 || *urn > 2147483647) {
    problems.push_back(where + "URN '" + std::string(at(col.urn)) + "' is not a number; row skipped");
    return std::nullopt;
  }
  s.urn = static_cast<int>(*urn);
  const auto la_code = whole_number(at(col.la_code));
  if (!la_code || *la_code < 0 || *la_code > 9999) {
    problems.push_back(where + "LA (code) '" + std::string(at(col.la_code)) + "' is not a number; row skipped");
    return std::nullopt;
  }
  s.la_code = static_cast<int>(*la_code);
  const struct {
    int index;
    std::string_view column;
    std::string* target;
  } required_text[] = {{col.name, kRequired[1], &s.name},
                       {col.la_name, kRequired[3], &s.la_name},
                       {col.phase, kRequired[4], &s.phase},
                       {col.status, kRequired[5], &s.status}};
  for (const auto& r : required_text) {
    *r.target = std::string(at(r.index));
    if (r.target->empty()) {
      problems.push_back(where + std::string(r.column) + " is empty; row skipped (URN " + std::to_string(s.urn) + ")");
      return std::nullopt;
    }
  }
  s.type = optional_text(col.type);
  s.trust_code = optional_text(col.trust_code);
  s.trust_name = optional_text(col.trust_name);
  s.town = optional_text(col.town);
  s.postcode = optional_text(col.postcode);
  const auto date_of = [&](int index, std::string_view column) -> std::optional<std::string> {
    const auto text = at(index);
    if (text.empty()) return std::nullopt;
    auto date = gias_date(text);
    if (!date) {
      problems.push_back(where + std::string(column) + " '" + std::string(text) +
                         "' is not a date (dd-mm-yyyy); left empty (URN " + std::to_string(s.urn) + ")");
    }
    return date;
  };
  s.opened_on = date_of(col.open_date, "OpenDate");
  s.closed_on = date_of(col.close_date, "CloseDate");
  s.ofsted_date = date_of(col.ofsted_date, "OfstedLastInsp");
  s.ofsted_grade = ofsted_grade(at(col.ofsted_rating));

  std::string key;
  const auto add = [&key](const std::optional<std::string>& v) { key += (v ? *v : std::string("\x01")) + '\x1f'; };
  key =
      s.name + '\x1f' + std::to_string(s.la_code) + '\x1f' + s.la_name + '\x1f' + s.phase + '\x1f' + s.status + '\x1f';
  for (const auto* v :
       {&s.type, &s.trust_code, &s.trust_name, &s.town, &s.postcode, &s.opened_on, &s.closed_on, &s.ofsted_date}) {
    add(*v);
  }
  key += s.ofsted_grade ? std::to_string(*s.ofsted_grade) : std::string("\x01");
  s.checksum = workflow::sha256_hex(key);
  return s;
}

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

// PostgreSQL array literals, so that thousands of rows go in one statement
// through unnest() instead of one round trip each.
std::string text_array(const std::vector<std::string>& values, const std::vector<soci::indicator>* nulls = nullptr) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    if (nulls != nullptr && (*nulls)[i] == soci::i_null) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (const char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string int_array(const std::vector<int>& values, const std::vector<soci::indicator>* nulls = nullptr) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += nulls != nullptr && (*nulls)[i] == soci::i_null ? std::string("NULL") : std::to_string(values[i]);
  }
  return out + "}";
}

// One batch of new schools (insert) or changed ones (update) on PostgreSQL.
void write_postgresql(soci::session& sql, const Batch& b, bool insert, const std::string& now) {
  std::vector<std::string> arrays = {
      int_array(b.urn),
      text_array(b.name),
      int_array(b.la_code),
      text_array(b.la_name),
      text_array(b.phase),
      text_array(b.status),
      text_array(b.type, &b.type_i),
      text_array(b.trust_code, &b.trust_code_i),
      text_array(b.trust_name, &b.trust_name_i),
      text_array(b.town, &b.town_i),
      text_array(b.postcode, &b.postcode_i),
      text_array(b.opened_on, &b.opened_on_i),
      text_array(b.closed_on, &b.closed_on_i),
      int_array(b.grade, &b.grade_i),
      text_array(b.ofsted_date, &b.ofsted_date_i),
      text_array(b.checksum),
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
               " ofsted_grade = COALESCE(v.grade, schools.ofsted_grade),"
               " ofsted_date = COALESCE(v.ofsted_date, schools.ofsted_date), gias_checksum = v.checksum,"
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

std::string to_utf8(std::string_view bytes, TextEncoding& detected) {
  if (bytes.starts_with("\xEF\xBB\xBF")) {
    // The mark says UTF-8: text that is not is refused, never stored as it is.
    detected = TextEncoding::utf8_bom;
    const std::string_view text = bytes.substr(3);
    if (const auto bad = workflow::invalid_utf8_at(text)) {
      const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(*bad), '\n');
      throw GiasFormatError("line " + std::to_string(line) +
                            ": the file starts with a UTF-8 byte order mark but is not UTF-8 there (byte " +
                            std::to_string(*bad + 4) + "); save it again as UTF-8 or as Windows-1252 text");
    }
    return std::string(text);
  }
  if (workflow::valid_utf8(bytes)) {
    detected = TextEncoding::utf8;
    return std::string(bytes);
  }
  detected = TextEncoding::windows_1252;
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80 && c <= 0x9F) {
      const char32_t mapped = kCp1252High[c - 0x80];
      append_utf8(out, mapped != 0 ? mapped : 0xFFFD);
    } else if (c == 0) {
      append_utf8(out, 0xFFFD);  // no text column holds a NUL
    } else {
      append_utf8(out, c);
    }
  }
  return out;
}

GiasImportReport import_gias(workflow::Database& db, std::string_view bytes, const GiasProgress& progress,
                             std::size_t progress_every) {
  GiasImportReport report;
  const std::string text = to_utf8(bytes, report.encoding);
  const auto records = parse_csv(text);
  if (records.empty()) throw GiasFormatError("the file is empty");
  const Columns columns = locate(records.front());
  const std::size_t total = records.size() - 1;

  std::vector<School> schools;
  schools.reserve(total);
  std::unordered_map<int, std::size_t> first_line;
  for (std::size_t i = 1; i < records.size(); ++i) {
    ++report.rows;
    auto school = read_school(records[i], columns, report.problems);
    if (!school) {
      ++report.skipped;
    } else if (const auto [it, fresh] = first_line.emplace(school->urn, records[i].line); !fresh) {
      report.problems.push_back("line " + std::to_string(records[i].line) + ": URN " + std::to_string(school->urn) +
                                " already appears on line " + std::to_string(it->second) + "; row skipped");
      ++report.skipped;
    } else {
      schools.push_back(std::move(*school));
    }
    if (progress && progress_every > 0 && report.rows % progress_every == 0) progress(report.rows, total);
  }

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
             " ofsted_grade = COALESCE(:grade, ofsted_grade), ofsted_date = COALESCE(:ofsted_date, ofsted_date),"
             " gias_checksum = :checksum, imported_at = :now, updated_at = :now2 WHERE urn = :urn",
          soci::use(b.name), soci::use(b.la_code), soci::use(b.la_name), soci::use(b.phase), soci::use(b.status),
          soci::use(b.type, b.type_i), soci::use(b.trust_code, b.trust_code_i), soci::use(b.trust_name, b.trust_name_i),
          soci::use(b.town, b.town_i), soci::use(b.postcode, b.postcode_i), soci::use(b.opened_on, b.opened_on_i),
          soci::use(b.closed_on, b.closed_on_i), soci::use(b.grade, b.grade_i),
          soci::use(b.ofsted_date, b.ofsted_date_i), soci::use(b.checksum), soci::use(stamps), soci::use(stamps),
          soci::use(b.urn);
      report.updated = b.urn.size();
    }
  });
  if (progress) progress(report.rows, total);
  return report;
}

}  // namespace s2s::cases
