// Operations: liveness, readiness, Prometheus metrics, and the OpenAPI document.
#include <fmt/format.h>
#include <soci/soci.h>
#include <boost/json.hpp>

#include "api/openapi.h"
#include "api/rest.h"
#include "api/routes.h"
#include "workflow/date.h"
#include "workflow/errors.h"
#include "workflow/migrations.h"

namespace s2s::api {
namespace {

HttpResponse not_ready(std::string_view detail) {
  auto response = HttpResponse::problem(503, "not-ready", "Not ready", detail);
  response.headers.emplace_back("Retry-After", "5");
  return response;
}

// The gauges read from the database at scrape time: timers, deadlines, outbox.
std::string database_gauges(App& app) {
  const std::string today = workflow::format_date(app.engine->today());
  std::string out;
  auto connection = app.db->acquire();
  try {
    soci::session& sql = connection.session();
    out += "# HELP s2s_timers Durable timers by status (fired counts every timer ever fired).\n";
    out += "# TYPE s2s_timers gauge\n";
    for (const std::string status : {"pending", "fired", "failed", "cancelled"}) {
      long long n = 0;
      sql << "SELECT count(*) FROM timers WHERE status = :s", soci::use(status), soci::into(n);
      out += fmt::format("s2s_timers{{status=\"{}\"}} {}\n", status, n);
    }
    long long due = 0;
    sql << "SELECT count(*) FROM timers WHERE status = 'pending' AND fire_on <= :t", soci::use(today), soci::into(due);
    out += "# HELP s2s_timers_due Pending timers whose day has come (fired on the next round).\n";
    out += "# TYPE s2s_timers_due gauge\n";
    out += fmt::format("s2s_timers_due {}\n", due);
    long long overdue = 0;
    sql << "SELECT count(*) FROM deadlines WHERE status = 'overdue'", soci::into(overdue);
    out += "# HELP s2s_deadlines_overdue Deadlines passed and not yet met.\n";
    out += "# TYPE s2s_deadlines_overdue gauge\n";
    out += fmt::format("s2s_deadlines_overdue {}\n", overdue);
    out += "# HELP s2s_outbox_messages Notifications in the outbox by status (pending is the backlog).\n";
    out += "# TYPE s2s_outbox_messages gauge\n";
    for (const std::string status : {"pending", "sent", "dead"}) {
      long long n = 0;
      sql << "SELECT count(*) FROM outbox WHERE status = :s", soci::use(status), soci::into(n);
      out += fmt::format("s2s_outbox_messages{{status=\"{}\"}} {}\n", status, n);
    }
    out += "# HELP s2s_deliveries Notification deliveries (one per recipient) by status.\n";
    out += "# TYPE s2s_deliveries gauge\n";
    for (const std::string status : {"pending", "held", "sent", "dead", "undeliverable"}) {
      long long n = 0;
      sql << "SELECT count(*) FROM deliveries WHERE status = :s", soci::use(status), soci::into(n);
      out += fmt::format("s2s_deliveries{{status=\"{}\"}} {}\n", status, n);
    }
  } catch (...) {
    connection.rethrow_translated();
  }
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
