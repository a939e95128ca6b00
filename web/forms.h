#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <map>
#include <span>
#include <string>
#include <vector>

#include "web/page.h"
#include "workflow/case_kind.h"

// Forms built from an event's declared fields (docs/web.md): radios for a
// closed set, GOV.UK date inputs for dates, numbers, text areas for words;
// and the payload read back from what was posted, with an error per field in
// the words the GOV.UK Design System uses.
namespace s2s::web {

struct FieldError {
  std::string field;    // the FieldSpec's name
  std::string message;  // "Enter the number of days, like 1 or 0.5"
};

struct ReadPayload {
  boost::json::object payload;
  std::vector<FieldError> errors;  // in the form's order
};

// The payload the posted form gives for `fields`; an optional field left
// empty is left out.
[[nodiscard]] ReadPayload read_payload(std::span<const workflow::FieldSpec> fields, const Form& form);

// The template model of each field (name, label, hint, the kind of input, its
// options and values), filled from `posted` when the form is shown again.
[[nodiscard]] boost::json::array field_models(std::span<const workflow::FieldSpec> fields, const Form* posted,
                                              const std::vector<FieldError>& errors);

// The error summary's items: {"href": "#f-days", "text": "..."}.
[[nodiscard]] boost::json::array error_summary(const std::vector<FieldError>& errors);

// The label of a field as people read it: "requested_days" -> "Requested days".
[[nodiscard]] std::string field_label(const workflow::FieldSpec& field);

// A payload value as people read it: strings as they are, lists joined with
// commas, true and false as Yes and No.
[[nodiscard]] std::string value_text(const boost::json::value& value);

}  // namespace s2s::web
