#include "workflow/embedded.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace s2s::workflow::embedded {

std::vector<File> files_under(std::string_view folder) {
  std::vector<File> out;
  for (const File& f : all_files()) {
    if (f.path.starts_with(folder)) out.push_back(f);
  }
  std::sort(out.begin(), out.end(), [](const File& a, const File& b) { return a.path < b.path; });
  return out;
}

std::string_view bank_holidays_england_wales_csv() {
  constexpr std::string_view kPath = "workflow/data/bank_holidays_england_wales.csv";
  for (const File& f : all_files()) {
    if (f.path == kPath) return f.content;
  }
  // Only a broken build gets here: workflow/CMakeLists.txt lists the file.
  throw std::logic_error(std::string("embedded file missing: ") + std::string(kPath));
}

}  // namespace s2s::workflow::embedded
