#pragma once

#include <span>
#include <string_view>
#include <vector>

// Files from the repository compiled into the binary (migrations and calendar
// data), so that s2sd needs nothing beside itself at run time.
namespace s2s::workflow::embedded {

struct File {
  std::string_view path;     // relative to the repository root, e.g. "migrations/sqlite/0001_core.sql"
  std::string_view content;  // the file's text (CRLF line ends arrive as LF: keep these files LF)
};

// Every embedded file, in the order workflow/CMakeLists.txt lists them. Static storage.
[[nodiscard]] std::span<const File> all_files() noexcept;

// The embedded files under `folder` (e.g. "migrations/postgresql/"), sorted by path.
[[nodiscard]] std::vector<File> files_under(std::string_view folder);

// England and Wales bank holidays 2016-2028 (`date,title` CSV).
[[nodiscard]] std::string_view bank_holidays_england_wales_csv();

}  // namespace s2s::workflow::embedded
