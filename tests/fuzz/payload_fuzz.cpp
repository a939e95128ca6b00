// libFuzzer target: a JSON request body as the API reads it (Boost.JSON's
// stream parser, as api/rest.cpp's json_body), its "data" then checked by the
// events' payload validation against fields of every type, range and list.
// What the validator accepts is checked again here, field by field, against
// what docs/machines.md (step 7) promises; what it refuses must be refused as
// a payload error naming a field the payload has or the event takes.
#include <boost/json.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "workflow/date.h"
#include "workflow/engine.h"
#include "workflow/payload.h"
#include "workflow/text.h"

namespace {

using s2s::workflow::FieldSpec;
using s2s::workflow::FieldType;

// Fields like the kinds' own: every type, with and without bounds and choices.
constexpr FieldSpec kFields[] = {
    {"priority", FieldType::string, true, "low,medium,high,urgent"},
    {"summary", FieldType::string, false},
    {"focus_areas", FieldType::string_list, false},
    {"requested_days", FieldType::number, false, {}, {}, 0.5, 365},
    {"amount", FieldType::number, false},
    {"grade", FieldType::integer, false, {}, {}, 1, 4},
    {"corrects", FieldType::integer, false, {}, {}, 1},
    {"shared", FieldType::boolean, false},
    {"starts_on", FieldType::date, false},
};

// What an accepted value must be, whatever the validator's code says.
bool fits(const boost::json::value& value, const FieldSpec& spec) {
  using s2s::workflow::kMaxListItemBytes;
  using s2s::workflow::kMaxListItems;
  using s2s::workflow::kMaxNumber;
  using s2s::workflow::kMaxTextBytes;
  const auto in_range = [&](double n) {
    return std::isfinite(n) && std::fabs(n) <= kMaxNumber && (!spec.min || n >= *spec.min) &&
           (!spec.max || n <= *spec.max);
  };
  switch (spec.type) {
    case FieldType::string: {
      if (!value.is_string()) return false;
      const std::string_view text = value.get_string();
      if (text.empty() || text.size() > kMaxTextBytes || text.find('\0') != std::string_view::npos) return false;
      if (spec.one_of.empty()) return true;
      for (const auto choice : s2s::workflow::split_list(spec.one_of)) {
        if (choice == text) return true;
      }
      return false;
    }
    case FieldType::integer:
      return (value.is_int64() || value.is_uint64()) && in_range(value.to_number<double>());
    case FieldType::number:
      return value.is_number() && in_range(value.to_number<double>());
    case FieldType::boolean:
      return value.is_bool();
    case FieldType::date:
      return value.is_string() && s2s::workflow::parse_date(value.get_string()).has_value();
    case FieldType::string_list:
      if (!value.is_array() || value.get_array().size() > kMaxListItems) return false;
      for (const auto& item : value.get_array()) {
        if (!item.is_string() || item.get_string().empty() || item.get_string().size() > kMaxListItemBytes ||
            item.get_string().find('\0') != std::string_view::npos) {
          return false;
        }
      }
      return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  boost::json::stream_parser parser;
  boost::system::error_code ec;
  parser.write(reinterpret_cast<const char*>(data), size, ec);
  if (!ec) parser.finish(ec);
  if (ec) return 0;
  const boost::json::value body = parser.release();
  if (!body.is_object()) return 0;
  const auto* payload = body.get_object().if_contains("data");
  if (payload == nullptr || !payload->is_object()) return 0;
  const auto& fields = payload->get_object();
  try {
    s2s::workflow::validate_payload(fields, kFields);
  } catch (const s2s::workflow::EngineError& e) {
    // Refused: as a payload error naming a field the payload has or the event takes.
    if (e.code() != s2s::workflow::EngineError::Code::payload_invalid) std::abort();
    bool named = fields.contains(e.field());
    for (const auto& f : kFields) named = named || f.name == e.field();
    if (!named || std::string_view(e.what()).empty()) std::abort();
    return 0;
  }
  // Accepted: no unknown field, every required one there, every value fitting.
  for (const auto& [key, value] : fields) {
    const FieldSpec* spec = nullptr;
    for (const auto& f : kFields) {
      if (f.name == key) spec = &f;
    }
    if (spec == nullptr) std::abort();
    if (value.is_null() && !spec->required) continue;
    if (!fits(value, *spec)) std::abort();
  }
  for (const auto& f : kFields) {
    if (f.required && !fields.contains(f.name)) std::abort();
  }
  return 0;
}
