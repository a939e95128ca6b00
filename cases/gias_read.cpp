#include "cases/gias_read.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <unordered_map>

#include "workflow/date.h"
#include "workflow/sha256.h"
#include "workflow/text.h"

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

using School = GiasSchool;

constexpr std::array<std::string_view, 6> kRequired = {
    "URN", "EstablishmentName", "LA (code)", "LA (name)", "PhaseOfEducation (name)", "EstablishmentStatus (name)"};

// Column positions by header name; -1 for an absent optional column.
struct Columns {
  int urn, name, la_code, la_name, phase, status;
  int type, trust_code, trust_name, town, postcode, open_date, close_date, ofsted_rating, ofsted_date;
};

Columns locate(const CsvRecord& header) {
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

std::optional<School> read_school(const CsvRecord& record, const Columns& col, std::vector<std::string>& problems) {
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

}  // namespace

std::vector<CsvRecord> csv_records(std::string_view text) {
  std::vector<CsvRecord> records;
  CsvRecord current;
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
      current = CsvRecord{};
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

GiasRows read_gias(std::string_view bytes, const GiasProgress& progress, std::size_t progress_every) {
  GiasRows out;
  const std::string text = to_utf8(bytes, out.encoding);
  const auto records = csv_records(text);
  if (records.empty()) throw GiasFormatError("the file is empty");
  const Columns columns = locate(records.front());
  const std::size_t total = records.size() - 1;
  out.schools.reserve(total);
  std::unordered_map<int, std::size_t> first_line;
  for (std::size_t i = 1; i < records.size(); ++i) {
    ++out.rows;
    auto school = read_school(records[i], columns, out.problems);
    if (!school) {
      ++out.skipped;
    } else if (const auto [it, fresh] = first_line.emplace(school->urn, records[i].line); !fresh) {
      out.problems.push_back("line " + std::to_string(records[i].line) + ": URN " + std::to_string(school->urn) +
                             " already appears on line " + std::to_string(it->second) + "; row skipped");
      ++out.skipped;
    } else {
      out.schools.push_back(std::move(*school));
    }
    if (progress && progress_every > 0 && out.rows % progress_every == 0) progress(out.rows, total);
  }
  return out;
}

}  // namespace s2s::cases
