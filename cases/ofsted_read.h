#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cases/gias_read.h"

// Reading Ofsted's inspection outcomes file (the monthly management
// information of state-funded schools' latest inspections, docs/need.md):
// each school's latest report card (a grade per evaluation area, and
// safeguarding met or not met) and its last graded judgement, checked, with
// every row refused and why. Pure: nothing here touches the database.
namespace s2s::cases {

// The file cannot be imported at all (no URN column, no inspection columns,
// empty). Nothing was written.
class OfstedFormatError : public workflow::Refused {
 public:
  explicit OfstedFormatError(const std::string& message) : workflow::Refused(message) {}
};

// An evaluation area as the database lists it (inspection_areas).
struct InspectionArea {
  std::string area;    // "leadership_and_governance"
  std::string name;    // "Leadership and governance"
  std::string header;  // the file's column: "Leadership and governance"
};

// Report card grades, 1 to 5, as people read them.
inline constexpr const char* kReportCardGrades[] = {"exceptional", "strong standard", "expected standard",
                                                    "needs attention", "urgent improvement"};
// "needs attention" for 4; "" outside 1-5.
[[nodiscard]] std::string report_card_grade_name(int grade);

struct OfstedRow {
  std::size_t line = 0;
  int urn = 0;
  // The latest report card, when the row has one.
  std::optional<std::string> card_on;        // its inspection's first day, YYYY-MM-DD
  std::optional<std::string> published_on;   // YYYY-MM-DD
  std::optional<bool> safeguarding_met;
  std::vector<std::pair<std::string, int>> grades;  // (area, 1 exceptional .. 5 urgent improvement)
  // The last graded judgement, when the row has one.
  std::optional<int> graded;             // 1 outstanding .. 4 inadequate
  std::optional<std::string> graded_on;  // YYYY-MM-DD
  std::string checksum;                  // of the report card's fields: a card changed or not
};

struct OfstedRows {
  TextEncoding encoding = TextEncoding::utf8;
  std::size_t rows = 0;     // data rows read
  std::size_t skipped = 0;  // bad rows, left out; each is in `problems`
  // "line 17: Achievement 'Good' is not a report card grade ...; row skipped (URN 100012)", in file order.
  std::vector<std::string> problems;
  std::vector<OfstedRow> schools;  // the rows read, each URN once
};

// Reads the file. Columns by their header names: URN (required); the report
// card's "Inspection start date", "Publication date", "Safeguarding
// standards" and each area's header; the graded judgement's "Latest OEIF
// overall effectiveness" (or "Overall effectiveness") and "Inspection start
// date of latest OEIF graded inspection". Dates dd/mm/yyyy (or YYYY-MM-DD);
// "NULL", "Not applicable" and empty cells hold nothing. Throws
// OfstedFormatError for a file that cannot be read at all.
[[nodiscard]] OfstedRows read_ofsted(std::string_view bytes, const std::vector<InspectionArea>& areas);

}  // namespace s2s::cases
