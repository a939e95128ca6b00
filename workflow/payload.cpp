#include "workflow/payload.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <string>
#include <vector>

#include "workflow/date.h"
#include "workflow/engine.h"
#include "workflow/text.h"

namespace s2s::workflow {
namespace {

// Refuses a number outside the field's range, naming the range as people write it.
void check_range(double number, const FieldSpec& spec) {
  const bool below = spec.min && number < *spec.min;
  const bool above = spec.max && number > *spec.max;
  if (!below && !above) return;
  std::string range;
  if (spec.min && spec.max) {
    range = "from " + number_text(*spec.min) + " to " + number_text(*spec.max);
  } else if (spec.min) {
    range = "at least " + number_text(*spec.min);
  } else {
    range = "at most " + number_text(*spec.max);
  }
  throw payload_error(std::string(spec.name), "must be " + range + ", not " + number_text(number));
}

// Refuses text longer than `most` bytes or holding a NUL (no text column stores one).
void check_text(const std::string& name, std::string_view text, std::size_t most) {
  if (text.size() > most) {
    throw payload_error(name,
                        "must be at most " + std::to_string(most) + " characters, not " + std::to_string(text.size()));
  }
  if (text.find('\0') != std::string_view::npos) throw payload_error(name, "must not contain a NUL character");
}

void check_field(const boost::json::value& value, const FieldSpec& spec) {
  const std::string name(spec.name);
  const auto wrong_type = [&] { return payload_error(name, "must be " + with_article(to_string(spec.type))); };
  switch (spec.type) {
    case FieldType::string: {
      if (!value.is_string()) throw wrong_type();
      const std::string_view text = value.get_string();
      if (text.empty()) throw payload_error(name, "must not be empty");
      check_text(name, text, kMaxTextBytes);
      if (!spec.one_of.empty()) {
        const auto allowed = split_list(spec.one_of);
        if (std::find(allowed.begin(), allowed.end(), text) == allowed.end()) {
          throw payload_error(name, "must be one of " + std::string(spec.one_of) + ", not '" + std::string(text) + "'");
        }
      }
      return;
    }
    case FieldType::integer:
      if (!value.is_int64() && !value.is_uint64()) throw wrong_type();
      if (value.is_uint64() && value.get_uint64() > static_cast<std::uint64_t>(kMaxNumber)) {
        throw payload_error(name, "must be at most " + number_text(kMaxNumber));
      }
      check_range(value.to_number<double>(), spec);
      if (std::fabs(value.to_number<double>()) > kMaxNumber) {
        throw payload_error(name, "must be from " + number_text(-kMaxNumber) + " to " + number_text(kMaxNumber));
      }
      return;
    case FieldType::number:
      if (!value.is_number()) throw wrong_type();
      check_range(value.to_number<double>(), spec);
      // Without a range of its own, a number is still one people could mean.
      if (!std::isfinite(value.to_number<double>()) || std::fabs(value.to_number<double>()) > kMaxNumber) {
        throw payload_error(name, "must be from " + number_text(-kMaxNumber) + " to " + number_text(kMaxNumber));
      }
      return;
    case FieldType::boolean:
      if (!value.is_bool()) throw wrong_type();
      return;
    case FieldType::date:
      if (!value.is_string()) throw wrong_type();
      if (!parse_date(value.get_string())) {
        throw payload_error(name, "'" + std::string(value.get_string()) + "' is not a date that exists (YYYY-MM-DD)");
      }
      return;
    case FieldType::string_list:
      if (!value.is_array()) throw wrong_type();
      if (value.get_array().size() > kMaxListItems) {
        throw payload_error(name, "must hold at most " + std::to_string(kMaxListItems) + " items, not " +
                                      std::to_string(value.get_array().size()));
      }
      for (const auto& item : value.get_array()) {
        if (!item.is_string() || item.get_string().empty()) throw payload_error(name, "must hold non-empty strings");
        check_text(name, item.get_string(), kMaxListItemBytes);
      }
      return;
  }
}

}  // namespace

std::string_view to_string(FieldType type) noexcept {
  static constexpr std::string_view kNames[] = {"string",  "integer",           "number",
                                                "boolean", "date (YYYY-MM-DD)", "list of strings"};
  static_assert(std::size(kNames) == static_cast<std::size_t>(FieldType::string_list) + 1);
  return enum_name(type, kNames, "unknown");
}

EngineError payload_error(std::string field, std::string reason) {
  return EngineError(EngineError::Code::payload_invalid, field + ": " + reason, field, reason);
}

void validate_payload(const boost::json::object& payload, std::span<const FieldSpec> fields) {
  for (const auto& entry : payload) {
    const std::string_view key = entry.key();
    const boost::json::value& value = entry.value();
    const auto spec = std::find_if(fields.begin(), fields.end(), [&](const FieldSpec& f) { return f.name == key; });
    if (spec == fields.end()) {
      std::vector<std::string> known;
      for (const FieldSpec& f : fields) known.emplace_back(f.name);
      const std::string expected =
          known.empty() ? std::string(": this event takes none") : " (expected " + join(known, ", ") + ")";
      // A name that is empty, long or holds control characters is not repeated.
      const bool readable = !key.empty() && key.size() <= 200 && std::none_of(key.begin(), key.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
      });
      if (!readable) {
        throw EngineError(
            EngineError::Code::payload_invalid,
            std::string(key.empty() ? "a field with an empty name" : "a field whose name is not plain text") +
                " is not one of its fields" + expected,
            std::string(key), "unknown field");
      }
      throw payload_error(std::string(key), "unknown field" + expected);
    }
    if (value.is_null() && !spec->required) continue;
    check_field(value, *spec);
  }
  for (const FieldSpec& f : fields) {
    if (f.required && !payload.contains(f.name)) throw payload_error(std::string(f.name), "is required");
  }
}

}  // namespace s2s::workflow
