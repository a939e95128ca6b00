#include "cases/ofsted_read.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <unordered_map>

#include "workflow/date.h"
#include "workflow/sha256.h"

namespace s2s::cases {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// A cell that holds nothing: empty, Ofsted's NULL, or not applicable.
bool blank(std::string_view s) {
  const std::string l = lower(s);
  return l.empty() || l == "null" || l == "not applicable" || l == "n/a" || l == "na";
}

// dd/mm/yyyy (Ofsted's files), dd-mm-yyyy or YYYY-MM-DD, as YYYY-MM-DD.
std::optional<std::string> ofsted_date(std::string_view s) {
  std::string iso;
  if (s.size() == 10 && (s[2] == '/' || s[2] == '-') && s[5] == s[2]) {
    iso = std::string(s.substr(6, 4)) + "-" + std::string(s.substr(3, 2)) + "-" + std::string(s.substr(0, 2));
  } else {
    iso = std::string(s);
  }
  if (!workflow::parse_date(iso)) return std::nullopt;
  return iso;
}

std::optional<int> card_grade(std::string_view s) {
  const std::string l = lower(s);
  for (int i = 0; i < 5; ++i) {
    if (l == kReportCardGrades[i]) return i + 1;
  }
  return std::nullopt;
}

// "1" to "4", or the words a graded judgement is given in.
std::optional<int> graded_judgement(std::string_view s) {
  const std::string l = lower(s);
  if (l == "1" || l == "outstanding") return 1;
  if (l == "2" || l == "good") return 2;
  if (l == "3" || l == "requires improvement") return 3;
  if (l == "4" || l == "inadequate") return 4;
  return std::nullopt;
}

struct Columns {
  int urn = -1;
  int card_on = -1;
  int published_on = -1;
  int safeguarding = -1;
  std::vector<std::pair<const InspectionArea*, int>> areas;
  int graded = -1;
  int graded_on = -1;
};

Columns locate(const CsvRecord& header, const std::vector<InspectionArea>& areas) {
  std::unordered_map<std::string, int> by_name;
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    std::string name(trim(header.fields[i]));
    // A double space has crept into some of Ofsted's headers.
    for (auto at = name.find("  "); at != std::string::npos; at = name.find("  ")) name.erase(at, 1);
    by_name.emplace(lower(name), static_cast<int>(i));
  }
  const auto find = [&](std::string_view name) {
    const auto it = by_name.find(lower(name));
    return it == by_name.end() ? -1 : it->second;
  };
  const auto first_of = [&](std::initializer_list<std::string_view> names) {
    for (const auto n : names) {
      if (const int i = find(n); i >= 0) return i;
    }
    return -1;
  };
  Columns c;
  c.urn = find("URN");
  c.card_on = find("Inspection start date");
  c.published_on = find("Publication date");
  c.safeguarding = first_of({"Safeguarding standards", "Safeguarding"});
  for (const auto& area : areas) {
    if (const int i = find(area.header); i >= 0) c.areas.emplace_back(&area, i);
  }
  c.graded = first_of({"Latest OEIF overall effectiveness", "Overall effectiveness"});
  c.graded_on = first_of({"Inspection start date of latest OEIF graded inspection", "Inspection date"});
  if (c.urn < 0) throw OfstedFormatError("not an Ofsted inspection outcomes file: line 1 has no URN column");
  if (c.areas.empty() && c.safeguarding < 0 && c.graded < 0) {
    throw OfstedFormatError(
        "not an Ofsted inspection outcomes file: line 1 has none of the report card's columns (Safeguarding "
        "standards, " +
        (areas.empty() ? std::string("the evaluation areas") : areas.front().header + " ...") +
        ") nor Latest OEIF overall effectiveness");
  }
  if ((!c.areas.empty() || c.safeguarding >= 0) && c.card_on < 0) {
    throw OfstedFormatError("the file has report card columns but no Inspection start date column");
  }
  return c;
}

std::optional<OfstedRow> read_row(const CsvRecord& record, const Columns& col, std::vector<std::string>& problems) {
  const auto at = [&](int index) -> std::string_view {
    if (index < 0 || static_cast<std::size_t>(index) >= record.fields.size()) return {};
    return trim(record.fields[static_cast<std::size_t>(index)]);
  };
  const std::string where = "line " + std::to_string(record.line) + ": ";
  OfstedRow row;
  row.line = record.line;
  const auto urn_text = at(col.urn);
  int urn = 0;
  const auto [end, ec] = std::from_chars(urn_text.data(), urn_text.data() + urn_text.size(), urn);
  if (urn_text.empty() || ec != std::errc{} || end != urn_text.data() + urn_text.size() || urn <= 0) {
    problems.push_back(where + "URN '" + std::string(urn_text) + "' is not a number; row skipped");
    return std::nullopt;
  }
  row.urn = urn;
  const std::string which = " (URN " + std::to_string(urn) + ")";
  const auto refuse = [&](const std::string& why) {
    problems.push_back(where + why + "; row skipped" + which);
    return std::nullopt;
  };
  // The report card.
  for (const auto& [area, index] : col.areas) {
    const auto text = at(index);
    if (blank(text)) continue;
    const auto grade = card_grade(text);
    if (!grade) {
      return refuse(area->header + " '" + std::string(text) +
                    "' is not a report card grade (exceptional, strong standard, expected standard, needs "
                    "attention, urgent improvement)");
    }
    row.grades.emplace_back(area->area, *grade);
  }
  if (const auto text = at(col.safeguarding); !blank(text)) {
    const std::string l = lower(text);
    if (l == "met" || l == "yes") {
      row.safeguarding_met = true;
    } else if (l == "not met" || l == "no") {
      row.safeguarding_met = false;
    } else {
      return refuse("Safeguarding standards '" + std::string(text) + "' is neither Met nor Not met");
    }
  }
  if (!row.grades.empty() || row.safeguarding_met) {
    const auto text = at(col.card_on);
    row.card_on = blank(text) ? std::nullopt : ofsted_date(text);
    if (!row.card_on) {
      return refuse(blank(text) ? std::string("the report card has no Inspection start date")
                                : "Inspection start date '" + std::string(text) + "' is not a date (dd/mm/yyyy)");
    }
    if (const auto published = at(col.published_on); !blank(published)) {
      row.published_on = ofsted_date(published);
      if (!row.published_on) {
        return refuse("Publication date '" + std::string(published) + "' is not a date (dd/mm/yyyy)");
      }
    }
  }
  // The graded judgement.
  if (const auto text = at(col.graded); !blank(text) && lower(text) != "not judged") {
    row.graded = graded_judgement(text);
    if (!row.graded) {
      return refuse("Latest OEIF overall effectiveness '" + std::string(text) +
                    "' is not a graded judgement (1 outstanding to 4 inadequate)");
    }
    const auto on = at(col.graded_on);
    row.graded_on = blank(on) ? std::nullopt : ofsted_date(on);
    if (!row.graded_on) {
      return refuse(blank(on) ? std::string("the graded judgement has no inspection date")
                              : "the graded inspection's date '" + std::string(on) + "' is not a date (dd/mm/yyyy)");
    }
  }
  if (!row.card_on && !row.graded) return refuse("it holds neither a report card nor a graded judgement");
  std::string key = row.card_on.value_or("") + '\x1f' + row.published_on.value_or("") + '\x1f' +
                    (row.safeguarding_met ? (*row.safeguarding_met ? "met" : "not_met") : "") + '\x1f';
  std::sort(row.grades.begin(), row.grades.end());
  for (const auto& [area, grade] : row.grades) key += area + '=' + std::to_string(grade) + '\x1f';
  row.checksum = workflow::sha256_hex(key);
  return row;
}

}  // namespace

std::string report_card_grade_name(int grade) { return grade >= 1 && grade <= 5 ? kReportCardGrades[grade - 1] : ""; }

OfstedRows read_ofsted(std::string_view bytes, const std::vector<InspectionArea>& areas) {
  OfstedRows out;
  std::string text;
  try {
    text = to_utf8(bytes, out.encoding);
  } catch (const GiasFormatError& e) {
    throw OfstedFormatError(e.what());
  }
  const auto records = csv_records(text);
  if (records.empty()) throw OfstedFormatError("the file is empty");
  const Columns columns = locate(records.front(), areas);
  std::unordered_map<int, std::size_t> first_line;
  for (std::size_t i = 1; i < records.size(); ++i) {
    ++out.rows;
    auto row = read_row(records[i], columns, out.problems);
    if (!row) {
      ++out.skipped;
    } else if (const auto [it, fresh] = first_line.emplace(row->urn, records[i].line); !fresh) {
      out.problems.push_back("line " + std::to_string(records[i].line) + ": URN " + std::to_string(row->urn) +
                             " already appears on line " + std::to_string(it->second) + "; row skipped");
      ++out.skipped;
    } else {
      out.schools.push_back(std::move(*row));
    }
  }
  return out;
}

}  // namespace s2s::cases
