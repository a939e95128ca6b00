#pragma once

#include "api/app.h"
#include "api/router.h"

// What register_routes puts together: the API's route map (api/app.cpp) of
// the functions below, by the file that holds them, and the routes that are
// not a bearer's JSON: health, readiness and metrics, and the calendar feed.
namespace s2s::api {

struct RouteContext;
using Answer = HttpResponse(RouteContext& ctx);

// clang-format off
namespace case_routes { Answer open_case, list_cases, get_case, case_history, case_matches, send_event, case_deployments, case_days, case_ratings; }
namespace reference_routes { Answer me, list_kinds, search_schools, import_schools, get_school, edit_school, list_alliances, get_alliance, list_leaders, get_leader, get_capacity, set_capacity, working_days, holidays, list_closures, add_closure, caller_deadlines, list_notifications, kpi_report, quarterly_report, need_register; }
// clang-format on

void register_health_routes(Router& router, App& app);  // /healthz, /readyz, /metrics
void register_feed_route(Router& router, App& app);     // /api/v1/deadlines.ics, by its own feed token

// The answer to a request whose Idempotency-Key shows its work committed but
// whose answer was never stored: the case as it now is (201 with Location
// for an opening, 200 for an event).
[[nodiscard]] HttpResponse committed_answer(RouteContext& ctx, std::int64_t case_id);

}  // namespace s2s::api
