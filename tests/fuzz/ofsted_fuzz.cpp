// libFuzzer target: the reader of Ofsted's inspection outcomes file, as an
// administrator's import reaches it. Whatever the bytes, it reads them or
// refuses the file with OfstedFormatError; every row is either a school or a
// refusal, each grade is in its range, dates are real, and no URN comes twice.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

#include "cases/ofsted_read.h"
#include "workflow/date.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<s2s::cases::InspectionArea> kAreas{
      {"inclusion", "Inclusion", "Inclusion"},
      {"achievement", "Achievement", "Achievement"},
      {"leadership_and_governance", "Leadership and governance", "Leadership and governance"}};
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const auto read = s2s::cases::read_ofsted(bytes, kAreas);
    if (read.schools.size() + read.skipped != read.rows) std::abort();
    if (read.problems.size() < read.skipped) std::abort();
    std::set<int> urns;
    for (const auto& s : read.schools) {
      if (s.urn <= 0 || !urns.insert(s.urn).second) std::abort();
      if (!s.card_on && !s.graded) std::abort();
      for (const auto& [area, grade] : s.grades) {
        if (grade < 1 || grade > 5 || !s.card_on) std::abort();
      }
      if (s.graded && (*s.graded < 1 || *s.graded > 4 || !s.graded_on)) std::abort();
      for (const auto* day : {&s.card_on, &s.published_on, &s.graded_on}) {
        if (*day && !s2s::workflow::parse_date(**day)) std::abort();
      }
    }
  } catch (const s2s::cases::OfstedFormatError&) {
    // A file that cannot be read at all: refused whole, as it should be.
  }
  return 0;
}
