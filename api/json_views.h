#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

#include "cases/matching.h"
#include "cases/schools.h"
#include "workflow/engine.h"

// How the API shows the domain's values as JSON (the schemas of api/openapi.yaml).
namespace s2s::api {

// Text as a JSON string (no copy until stored), and empty text as null.
[[nodiscard]] inline boost::json::string_view json_text(std::string_view text) { return {text.data(), text.size()}; }
[[nodiscard]] inline boost::json::value text_or_null(const std::string& text) {
  return text.empty() ? boost::json::value() : boost::json::value(json_text(text));
}

// A number as JSON: an integer when it is whole (4, not 4.0), else a double.
[[nodiscard]] boost::json::value number_json(double value);

[[nodiscard]] boost::json::object case_json(const workflow::Case& c);
[[nodiscard]] boost::json::object school_json(const cases::School& s);
[[nodiscard]] boost::json::object history_json(const workflow::HistoryEntry& h);
[[nodiscard]] boost::json::object match_json(const workflow::Case& c, const cases::MatchResult& result);

}  // namespace s2s::api
