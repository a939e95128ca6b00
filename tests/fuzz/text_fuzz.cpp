// libFuzzer target: the text every entry point reads: form and query
// decoding, the UTF-8 check, list splitting, HTML escaping and dates. Each
// answer is checked against what the others promise.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "workflow/date.h"
#include "workflow/text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // The UTF-8 check and where it fails agree, and a decoded form value is text.
  const auto bad = s2s::workflow::invalid_utf8_at(text);
  if (bad.has_value() == s2s::workflow::valid_utf8(text)) std::abort();
  if (bad && *bad >= size) std::abort();
  if (bad && !s2s::workflow::valid_utf8(text.substr(0, *bad))) std::abort();
  if (const auto decoded = s2s::workflow::form_decode(text)) {
    if (!s2s::workflow::valid_utf8(*decoded)) std::abort();
  }
  // Escaped text holds no markup.
  const std::string escaped = s2s::workflow::html_escape(text);
  if (escaped.find_first_of("<>\"'") != std::string::npos) std::abort();
  for (const auto item : s2s::workflow::split_list(text)) {
    if (item.size() > size) std::abort();
  }
  // A date read is a date that exists, and reads back the same.
  if (const auto date = s2s::workflow::parse_date(text)) {
    if (!date->ok()) std::abort();
    if (s2s::workflow::parse_date(s2s::workflow::format_date(*date)) != date) std::abort();
  }
  return 0;
}
