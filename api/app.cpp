#include "api/app.h"

#include <algorithm>

#include "api/rest.h"
#include "api/routes.h"

namespace s2s::api {

bool RateLimiter::allow(std::int64_t key, double rate_per_second, double burst,
                        std::chrono::steady_clock::time_point now, std::chrono::milliseconds& retry_after) {
  const std::lock_guard lock(mutex_);
  if (buckets_.size() >= kMaxKeys && !buckets_.contains(key)) {
    // A key whose bucket has refilled is as if it had none: forget it.
    std::erase_if(buckets_, [&](const auto& entry) {
      const double elapsed = std::chrono::duration<double>(now - entry.second.last).count();
      return entry.second.tokens + elapsed * rate_per_second >= burst;
    });
  }
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{burst, now});
  Bucket& bucket = it->second;
  if (!inserted) {
    const double elapsed = std::chrono::duration<double>(now - bucket.last).count();
    bucket.tokens = std::min(burst, bucket.tokens + elapsed * rate_per_second);
    bucket.last = now;
  }
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return true;
  }
  const double wait = (1 - bucket.tokens) / rate_per_second;
  retry_after = std::chrono::milliseconds(static_cast<long long>(wait * 1000) + 1);
  return false;
}

std::size_t RateLimiter::size() {
  const std::lock_guard lock(mutex_);
  return buckets_.size();
}

bool RateLimiter::exhausted(std::int64_t key, double rate_per_second, double burst,
                            std::chrono::steady_clock::time_point now, std::chrono::milliseconds& retry_after) {
  const std::lock_guard lock(mutex_);
  const auto it = buckets_.find(key);
  if (it == buckets_.end()) return false;
  const double elapsed = std::chrono::duration<double>(now - it->second.last).count();
  const double tokens = std::min(burst, it->second.tokens + elapsed * rate_per_second);
  if (tokens >= 1) return false;
  retry_after = std::chrono::milliseconds(static_cast<long long>((1 - tokens) / rate_per_second * 1000) + 1);
  return true;
}

namespace {

// The API's route map: every JSON route, its address, the roles that may call
// it ("*": every role; scope is checked per object) and what answers it.
struct ApiRoute {
  const char* method;
  const char* pattern;
  const char* roles;
  Answer* answer;
  CaseRead read = CaseRead::none;  // with_caller: the case in {id} read with the caller's token
};

// clang-format off
constexpr ApiRoute kApi[] = {
    {"POST", "/api/v1/cases", "*", case_routes::open_case},
    {"GET", "/api/v1/cases", "*", case_routes::list_cases},
    {"GET", "/api/v1/cases/{id}", "*", case_routes::get_case, CaseRead::with_caller},
    {"GET", "/api/v1/cases/{id}/history", "*", case_routes::case_history},
    {"GET", "/api/v1/cases/{id}/matches", "lead,admin", case_routes::case_matches},
    {"POST", "/api/v1/cases/{id}/events", "*", case_routes::send_event},
    {"GET", "/api/v1/cases/{id}/deployments", "*", case_routes::case_deployments},
    {"GET", "/api/v1/cases/{id}/days", "*", case_routes::case_days},
    {"GET", "/api/v1/cases/{id}/ratings", "*", case_routes::case_ratings},
    {"GET", "/api/v1/me", "*", reference_routes::me},
    {"GET", "/api/v1/kinds", "*", reference_routes::list_kinds},
    {"GET", "/api/v1/schools", "*", reference_routes::search_schools},
    {"POST", "/api/v1/schools/import", "admin", reference_routes::import_schools},
    {"GET", "/api/v1/schools/{urn}", "*", reference_routes::get_school},
    {"PATCH", "/api/v1/schools/{urn}", "admin", reference_routes::edit_school},
    {"GET", "/api/v1/alliances", "*", reference_routes::list_alliances},
    {"GET", "/api/v1/alliances/{id}", "*", reference_routes::get_alliance},
    {"GET", "/api/v1/system-leaders", "lead,strategic,system_leader,admin", reference_routes::list_leaders},
    {"GET", "/api/v1/system-leaders/{id}", "lead,strategic,system_leader,admin", reference_routes::get_leader},
    {"GET", "/api/v1/system-leaders/{id}/capacity", "lead,strategic,system_leader,admin", reference_routes::get_capacity},
    {"PUT", "/api/v1/system-leaders/{id}/capacity", "system_leader,admin", reference_routes::set_capacity},
    {"GET", "/api/v1/calendar/working-days", "*", reference_routes::working_days},
    {"GET", "/api/v1/calendar/holidays", "*", reference_routes::holidays},
    {"GET", "/api/v1/calendar/closures", "*", reference_routes::list_closures},
    {"POST", "/api/v1/calendar/closures", "admin", reference_routes::add_closure},
    {"GET", "/api/v1/deadlines", "*", reference_routes::caller_deadlines},
    {"GET", "/api/v1/notifications", "admin", reference_routes::list_notifications},
    {"GET", "/api/v1/reports/kpis", "lead,strategic,la_officer,admin", reference_routes::kpi_report},
    {"GET", "/api/v1/reports/quarterly", "lead,strategic,la_officer,admin", reference_routes::quarterly_report},
    {"GET", "/api/v1/need", "lead,strategic,la_officer,admin", reference_routes::need_register},
};
// clang-format on

}  // namespace

void register_routes(Router& router, App& app) {
  register_health_routes(router, app);
  for (const ApiRoute& r : kApi) add_api_route(router, app, r.method, r.pattern, r.roles, r.answer, r.read);
  register_feed_route(router, app);
}

std::optional<ConcurrencyLimiter::Ticket> ConcurrencyLimiter::enter(std::int64_t key, int most) {
  std::lock_guard lock(mutex_);
  int& running = running_[key];
  if (running >= most) return std::nullopt;
  ++running;
  return Ticket(*this, key);
}

void ConcurrencyLimiter::leave(std::int64_t key) {
  std::lock_guard lock(mutex_);
  if (const auto it = running_.find(key); it != running_.end() && --it->second <= 0) running_.erase(it);
}

HttpHandler make_handler(const Router& router, App& app) {
  return [&router, &app](const HttpRequest& request) {
    const auto started = std::chrono::steady_clock::now();
    std::string pattern;
    HttpResponse response = router.dispatch(request, &pattern);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    // Labels from a closed set: a client choosing methods must not grow the series.
    static constexpr std::string_view kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"};
    std::string_view method = "OTHER";
    for (const auto m : kMethods) {
      if (request.method == m) method = m;
    }
    app.metrics.observe_request(method, pattern.empty() ? "unmatched" : pattern, response.status, seconds);
    // Every answer is what its Content-Type says (no sniffing), and nothing
    // answered to a caller is kept by a cache unless its route says so (the
    // web's assets do).
    if (!response.has_header("X-Content-Type-Options")) response.headers.emplace_back("X-Content-Type-Options", "nosniff");
    if (!response.has_header("Cache-Control")) response.headers.emplace_back("Cache-Control", "no-store");
    return response;
  };
}

}  // namespace s2s::api
