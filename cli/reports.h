#pragma once

#include "cli/common.h"

// The reports for the strategic group and the leads.
namespace s2s::cli {

// s2sd report kpis: the action plans' KPIs for an academic year, as a table,
// CSV, or one KPI explained.
[[nodiscard]] Command report_kpis_command();
// s2sd report quarterly: the quarterly progress report, as Markdown or HTML,
// to standard output or written whole to a file.
[[nodiscard]] Command report_quarterly_command();

}  // namespace s2s::cli
