#pragma once

#include "api/app.h"
#include "api/router.h"

// The route groups register_routes puts together.
namespace s2s::api {

void register_health_routes(Router& router, App& app);     // /healthz, /readyz, /metrics
void register_case_routes(Router& router, App& app);       // /api/v1/cases...
void register_reference_routes(Router& router, App& app);  // schools, providers, calendar, deadlines, ...

}  // namespace s2s::api
