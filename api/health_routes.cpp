// Operations: liveness, readiness, Prometheus metrics, and the OpenAPI document.
#include <fmt/format.h>
#include <boost/json.hpp>

#include <map>

#include "api/openapi.h"
#include "api/rest.h"
#include "api/routes.h"
#include "notifications/outbox.h"
#include "workflow/case_store.h"
#include "workflow/date.h"
#include "workflow/errors.h"
#include "workflow/kept_history.h"
#include "workflow/migrations.h"

namespace s2s::api {
namespace {

HttpResponse not_ready(std::string_view detail) {
  auto response = HttpResponse::problem(503, "not-ready", "Not ready", detail);
  response.headers.emplace_back("Retry-After", "5");
  return response;
}

std::string gauge(const std::string& name, const std::string& help, const std::map<std::string, long long>& values) {
  std::string out = "# HELP " + name + " " + help + "\n# TYPE " + name + " gauge\n";
  for (const auto& [status, n] : values) out += fmt::format("{}{{status=\"{}\"}} {}\n", name, status, n);
  return out;
}

// A gauge of one value, without labels.
std::string gauge(const std::string& name, const std::string& help, long long value) {
  return "# HELP " + name + " " + help + "\n# TYPE " + name + " gauge\n" + fmt::format("{} {}\n", name, value);
}

// The gauges read from the database at scrape time: timers, deadlines, outbox, deliveries.
std::string database_gauges(App& app) {
  const auto cases = workflow::case_gauges(*app.db, workflow::format_date(app.engine->today()));
  const auto outbox = notifications::outbox_counts(*app.db);
  std::string out;
  out += gauge("s2s_timers", "Durable timers by status (fired counts every timer ever fired).",
               {{"pending", cases.timers_pending},
                {"fired", cases.timers_fired},
                {"failed", cases.timers_failed},
                {"cancelled", cases.timers_cancelled}});
  out += gauge("s2s_timers_due", "Pending timers whose day has come (fired on the next round).", cases.timers_due);
  out += gauge("s2s_deadlines_overdue", "Deadlines passed and not yet met.", cases.deadlines_overdue);
  out += gauge("s2s_outbox_messages", "Notifications in the outbox by status (pending is the backlog).",
               {{"pending", outbox.pending}, {"sent", outbox.sent}, {"dead", outbox.dead}});
  out += gauge("s2s_deliveries", "Notification deliveries (one per recipient) by status.",
               notifications::delivery_counts(*app.db));
  const auto kept = app.engine->kept_history().figures();
  out += gauge("s2s_kept_histories", "Cases whose history is kept in memory for their pages.",
               static_cast<long long>(kept.cases));
  out += gauge("s2s_kept_history_bytes", "About how many bytes the kept histories hold.",
               static_cast<long long>(kept.bytes));
  return out;
}

}  // namespace

void register_health_routes(Router& router, App& app) {
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

  // The API's description: public, it holds nothing secret.
  router.add("GET", "/api/v1/openapi.json", [](const HttpRequest&, const Router::Params&) {
    HttpResponse response = HttpResponse::json(200, std::string(openapi_json()));
    response.headers.emplace_back("Cache-Control", "public, max-age=300");
    return response;
  });

  // Prometheus text format; for admins (Prometheus sends the token as a bearer).
  add_api_route(router, app, "GET", "/metrics", "admin", [](RouteContext& ctx) {
    no_query(ctx.request);
    HttpResponse response;
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.body = ctx.app.metrics.render() + database_gauges(ctx.app);
    return response;
  });
}

}  // namespace s2s::api
