#pragma once

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cases/gias_read.h"
#include "workflow/database.h"
#include "workflow/errors.h"

// Schools from the DfE register: the GIAS establishment extract, read by
// header name, upserted by URN.
namespace s2s::cases {

struct GiasImportReport {
  TextEncoding encoding = TextEncoding::utf8;
  std::size_t rows = 0;       // data rows read
  std::size_t inserted = 0;   // schools new to the database
  std::size_t updated = 0;    // schools whose GIAS fields changed
  std::size_t unchanged = 0;  // schools already as the file has them
  std::size_t skipped = 0;    // bad rows, left out; each is in `problems`
  // "line 17: URN 'abc' is not a number", in file order: skipped rows, and
  // optional values ignored (a date that does not exist) on imported rows.
  std::vector<std::string> problems;
};

// Imports a GIAS extract. Required columns: URN, EstablishmentName,
// LA (code), LA (name), PhaseOfEducation (name), EstablishmentStatus (name);
// others are used when present (dates dd-mm-yyyy; Ofsted columns, gone from
// 2025 extracts, never clear a grade already held). A bad row is reported
// with its line number and skipped; the rest import in one transaction.
// Importing the same file twice changes nothing. Throws GiasFormatError, or
// workflow::DatabaseUnavailable / DatabaseError (nothing written).
GiasImportReport import_gias(workflow::Database& db, std::string_view bytes, const GiasProgress& progress = {},
                             std::size_t progress_every = 1000);

}  // namespace s2s::cases
