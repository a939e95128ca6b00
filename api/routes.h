#pragma once

#include "api/app.h"
#include "api/router.h"

// The route groups register_routes puts together.
namespace s2s::api {

void register_health_routes(Router& router, App& app);     // /healthz, /readyz, /metrics
void register_case_routes(Router& router, App& app);       // /api/v1/cases...
void register_reference_routes(Router& router, App& app);  // schools, providers, calendar, deadlines, ...

struct RouteContext;
// The answer to a request whose Idempotency-Key shows its work committed but
// whose answer was never stored: the case as it now is (201 with Location
// for an opening, 200 for an event).
[[nodiscard]] HttpResponse committed_answer(RouteContext& ctx, std::int64_t case_id);

}  // namespace s2s::api
