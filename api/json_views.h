#pragma once

#include <boost/json/object.hpp>

#include "cases/matching.h"
#include "cases/schools.h"
#include "workflow/engine.h"

// How the API shows the domain's values as JSON (the schemas of api/openapi.yaml).
namespace s2s::api {

[[nodiscard]] boost::json::object case_json(const workflow::Case& c);
[[nodiscard]] boost::json::object school_json(const cases::School& s);
[[nodiscard]] boost::json::object history_json(const workflow::HistoryEntry& h);
[[nodiscard]] boost::json::object match_json(const workflow::Case& c, const cases::MatchResult& result);

}  // namespace s2s::api
