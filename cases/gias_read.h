#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workflow/errors.h"

// Reading the DfE register's GIAS establishment extract (docs/vocabulary.md,
// GIAS): its text, its CSV records and each row's school, checked, with every
// row refused and why. Pure: nothing here touches the database, so the reader
// is fuzzed on its own (tests/fuzz/).
namespace s2s::cases {

// The file cannot be imported at all (a required column is missing, it is
// empty). Nothing was written.
class GiasFormatError : public workflow::Refused {
 public:
  explicit GiasFormatError(const std::string& message) : workflow::Refused(message) {}
};

enum class TextEncoding { utf8, utf8_bom, windows_1252 };

// One CSV record and the line of the file it starts on (from 1).
struct CsvRecord {
  std::size_t line = 0;
  std::vector<std::string> fields;
};

// The records of CSV text (RFC 4180: quoted fields may hold commas, doubled
// quotes and line breaks; CRLF or LF line ends); blank lines are skipped.
[[nodiscard]] std::vector<CsvRecord> csv_records(std::string_view text);

// The text as UTF-8: a UTF-8 BOM is dropped (and text after it that is not
// UTF-8 is a GiasFormatError naming the line); text that is not valid UTF-8
// is read as Windows-1252 (GIAS extracts come in both). Sets `detected`.
[[nodiscard]] std::string to_utf8(std::string_view bytes, TextEncoding& detected);

// Called every `progress_every` rows with (rows done, rows in the file).
using GiasProgress = std::function<void(std::size_t done, std::size_t total)>;

// One school as a row of the extract gives it.
struct GiasSchool {
  int urn = 0;
  std::string name, la_name, phase, status;
  int la_code = 0;
  std::optional<std::string> type, trust_code, trust_name, town, postcode, opened_on, closed_on, ofsted_date;
  std::optional<int> ofsted_grade;
  std::string checksum;  // of every field above: a row changed or not
};

struct GiasRows {
  TextEncoding encoding = TextEncoding::utf8;
  std::size_t rows = 0;     // data rows read
  std::size_t skipped = 0;  // bad rows, left out; each is in `problems`
  // "line 17: URN 'abc' is not a number", in file order.
  std::vector<std::string> problems;
  std::vector<GiasSchool> schools;  // the rows read, each URN once
};

// Reads an extract. Required columns: URN, EstablishmentName, LA (code),
// LA (name), PhaseOfEducation (name), EstablishmentStatus (name); others are
// used when present. Throws GiasFormatError for a file that cannot be read at all.
[[nodiscard]] GiasRows read_gias(std::string_view bytes, const GiasProgress& progress = {},
                                 std::size_t progress_every = 1000);

}  // namespace s2s::cases
