#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/app.h"
#include "api/http.h"
#include "api/router.h"
#include "cases/case_list.h"
#include "cases/users.h"
#include "workflow/case_kind.h"

// The JSON API's common ground: refusals as RFC 9457 problems, strict reading
// of query strings and JSON bodies, and the wrapper every /api/v1 route runs
// in (authentication, rate limit, role check, idempotency, error mapping).
namespace s2s::api {

// A refusal a route throws; becomes an application/problem+json response
// with the stable type https://s2s.example/problems/<type>.
class Problem : public std::runtime_error {
 public:
  Problem(int status, std::string type, std::string title, std::string detail, boost::json::object extra = {});

  [[nodiscard]] int status() const noexcept { return status_; }
  [[nodiscard]] HttpResponse response() const;
  Problem& header(std::string name, std::string value);

 private:
  int status_;
  std::string type_;
  std::string title_;
  boost::json::object extra_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

// 400 invalid-request naming the JSON path or query parameter at fault.
[[noreturn]] void bad_request(std::string_view where, const std::string& detail);
// The same, with the values that would have done in `one_of`.
[[noreturn]] void bad_request(std::string_view where, const std::string& detail, boost::json::array one_of);
// 404 not-found: the same answer for what does not exist and what the caller may not see.
[[noreturn]] void not_found(const std::string& detail);

// A query string read strictly: every parameter must be read by the route,
// an unknown or repeated one is a 400 naming it.
class Query {
 public:
  explicit Query(std::string_view query);

  [[nodiscard]] std::optional<std::string> text(std::string_view name);
  [[nodiscard]] std::optional<long long> integer(std::string_view name, long long min, long long max);
  [[nodiscard]] std::optional<std::chrono::year_month_day> date(std::string_view name);
  [[nodiscard]] std::optional<bool> boolean(std::string_view name);
  // Throws 400 for any parameter no call above asked for.
  void done() const;

 private:
  [[nodiscard]] const std::string* find(std::string_view name);
  std::vector<std::pair<std::string, std::string>> params_;
  std::set<std::string, std::less<>> read_;
};

// A JSON object read strictly, field by field: a missing required field, a
// wrong type or an unknown field is a 400 naming its JSON path ($.data.days).
class JsonFields {
 public:
  JsonFields(const boost::json::object& object, std::string path);

  [[nodiscard]] std::optional<std::string> text(std::string_view name, bool required = false);
  [[nodiscard]] std::optional<long long> integer(std::string_view name, long long min, long long max,
                                                 bool required = false);
  [[nodiscard]] std::optional<double> number(std::string_view name, bool required = false);
  [[nodiscard]] std::optional<bool> boolean(std::string_view name, bool required = false);
  [[nodiscard]] std::optional<std::chrono::year_month_day> date(std::string_view name, bool required = false);
  [[nodiscard]] std::optional<boost::json::object> object(std::string_view name, bool required = false);
  // Whether the field is present and null (clears a value in a PATCH).
  [[nodiscard]] bool is_null(std::string_view name) const;
  [[nodiscard]] std::string path_of(std::string_view name) const;
  // Throws 400 for the first field no call above asked for.
  void done() const;

 private:
  const boost::json::value* take(std::string_view name, bool required, std::string_view type);
  const boost::json::object& object_;
  std::string path_;
  std::set<std::string, std::less<>> read_;
};

// The request's media type, lower-cased, without parameters ("text/csv").
[[nodiscard]] std::string media_type(const HttpRequest& request);

// Refuses any query parameter (400 naming it): for routes that take none.
void no_query(const HttpRequest& request);

// The body as a JSON object: 415 unless Content-Type is application/json,
// 400 (with the offset) when it is not JSON or not an object.
[[nodiscard]] boost::json::object json_body(const HttpRequest& request);

// Who is calling, as the engine sees them.
struct Caller {
  cases::User user;
  workflow::Actor actor{"anonymous"};
};

// What a route handler sees.
struct RouteContext {
  App& app;
  const HttpRequest& request;
  const Router::Params& params;
  const Caller& caller;
  // Set by a route once its change is committed: from then on a failure is
  // not worth retrying under the same Idempotency-Key (it would apply twice).
  bool committed = false;
  // The kind of the case the route acts on, once it has looked the case up:
  // refusals of an event name the events of that kind.
  const workflow::CaseKind* case_kind = nullptr;

  // On a route added with CaseRead::with_caller, read with the caller's
  // token: the case in {id}, if it exists and lies in the caller's scope.
  std::optional<cases::CaseView> case_view{};

  [[nodiscard]] const std::string& param(std::string_view name) const;
  // The request's Idempotency-Key (user, key), when it carries one that it claimed.
  std::optional<std::pair<std::int64_t, std::string>> idempotency{};
  // What an opening or event must also do in its own transaction: note the
  // case on the request's Idempotency-Key, so that the key's work and its
  // record commit together. Empty without a key.
  [[nodiscard]] workflow::Engine::InTransaction in_same_transaction() const;

  // A place among the caller's costly requests (reports, CSVs) in the making;
  // a 429 with Retry-After when they have their share running already.
  [[nodiscard]] ConcurrencyLimiter::Ticket costly() const;
  // Records in the audit trail what the caller has just done (workflow/audit.h;
  // codes in docs/audit.md). A trail that cannot be written is logged: the change stands.
  void audit(std::string action, std::string subject, std::string detail = {}) const;
  // A numeric path parameter; anything else is a 404 (no such resource).
  [[nodiscard]] std::int64_t id_param(std::string_view name) const;
  [[nodiscard]] const std::string& role() const noexcept { return caller.user.role; }
  [[nodiscard]] bool is(std::string_view role) const noexcept { return caller.user.role == role; }
};

using RouteHandler = std::function<HttpResponse(RouteContext&)>;

// Runs `login`, which throws Problem 401 for a bad token, behind the limit on
// failed logins per client address: once an address has failed too often it
// gets 429 before any token is looked up, and each 401 counts against it.
void guard_login(App& app, const HttpRequest& request, const std::function<void()>& login);

// The answer for the exception in flight (call in a catch block): a Problem
// as it is, the engine's refusals, 503 with Retry-After for an unreachable
// database, 500 (logged) for the rest.
[[nodiscard]] HttpResponse problem_response(const App& app, const HttpRequest& request);

// What a route reads with its caller's token: nothing, or (with_caller) the
// case in its {id}, in the same statement (cases::find_caller_and_case_view),
// into RouteContext::case_view.
enum class CaseRead { none, with_caller };

// Who may call a route: "*" every authenticated user, else comma-separated
// roles ("lead,admin"); others get 403.
void add_api_route(Router& router, App& app, std::string method, std::string pattern, std::string roles,
                   RouteHandler handler, CaseRead read = CaseRead::none);

// A JSON response with the compact serialisation of `value`.
[[nodiscard]] HttpResponse json_response(int status, const boost::json::value& value);

// Paging: `limit` (1..app page cap, default app default) and an opaque
// `cursor` from the previous page's next_cursor.
struct Page {
  int limit = 0;
  std::optional<std::int64_t> after;  // the last key of the previous page
};
[[nodiscard]] Page read_page(Query& query, const App& app);
[[nodiscard]] std::string encode_cursor(std::int64_t key);
// One page of a list: {"items": [...], "next_cursor": the cursor after `last`, or null when `more` is false}.
[[nodiscard]] HttpResponse page_response(boost::json::array items, bool more, std::int64_t last);

}  // namespace s2s::api
