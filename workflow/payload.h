#pragma once

#include <boost/json/object.hpp>

#include <span>
#include <string>

#include "workflow/case_kind.h"

namespace s2s::workflow {

class EngineError;

// The engine's refusal of a payload's `field`, saying why.
[[nodiscard]] EngineError payload_error(std::string field, std::string reason);

// Checks `payload` against `fields` (docs/machines.md, step 7): unknown fields,
// missing required ones, wrong types, values outside one_of, dates that do
// not exist, text and lists over their size, numbers outside their range.
// Throws EngineError payload_invalid naming the field.
void validate_payload(const boost::json::object& payload, std::span<const FieldSpec> fields);

}  // namespace s2s::workflow
