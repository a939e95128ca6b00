#include <boost/json.hpp>

#include "api/app.h"
#include "workflow/errors.h"
#include "workflow/migrations.h"

namespace s2s::api {
namespace {

HttpResponse not_ready(std::string_view detail) {
  auto response = HttpResponse::problem(503, "not-ready", "Not ready", detail);
  response.headers.emplace_back("Retry-After", "5");
  return response;
}

}  // namespace

void register_routes(Router& router, App& app) {
  // Liveness: the process answers. Touches nothing else.
  router.add("GET", "/healthz", [](const HttpRequest&, const Router::Params&) {
    return HttpResponse::json(200, R"({"status":"alive"})");
  });

  // Readiness: the database answers and every bundled migration is applied.
  router.add("GET", "/readyz", [&app](const HttpRequest&, const Router::Params&) {
    try {
      app.db->ping();
      const auto status = workflow::migration_status(*app.db, workflow::bundled_migrations(app.db->backend()));
      if (!status.pending.empty()) {
        return not_ready(std::to_string(status.pending.size()) + " migration(s) pending, first " +
                         status.pending.front() + ": run s2sd migrate");
      }
      boost::json::object body{{"status", "ready"},
                               {"database", workflow::to_string(app.db->backend())},
                               {"migrations_applied", status.applied.size()}};
      return HttpResponse::json(200, boost::json::serialize(body));
    } catch (const workflow::Error& e) {
      return not_ready(e.what());
    }
  });
}

}  // namespace s2s::api
