// libFuzzer target: the GIAS extract reader, as an administrator's upload
// reaches it. Whatever the bytes, it reads them or refuses the file with
// GiasFormatError; every row is either a school or a refusal, every school
// is text the databases store, and no URN comes twice.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

#include "cases/gias_read.h"
#include "workflow/text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const auto read = s2s::cases::read_gias(bytes);
    if (read.schools.size() + read.skipped != read.rows) std::abort();
    if (read.problems.size() < read.skipped) std::abort();
    std::set<int> urns;
    for (const auto& s : read.schools) {
      if (!urns.insert(s.urn).second) std::abort();
      for (const auto* text : {&s.name, &s.la_name, &s.phase, &s.status}) {
        if (!s2s::workflow::valid_utf8(*text)) std::abort();
      }
      for (const auto* text : {&s.type, &s.trust_code, &s.trust_name, &s.town, &s.postcode}) {
        if (*text && !s2s::workflow::valid_utf8(**text)) std::abort();
      }
    }
  } catch (const s2s::cases::GiasFormatError&) {
    // A file that cannot be read at all: refused whole, as it should be.
  }
  return 0;
}
