#include "api/rest.h"

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "api/json_views.h"
#include "api/routes.h"
#include "cases/gias_import.h"
#include "cases/providers.h"
#include "workflow/audit.h"
#include "workflow/date.h"
#include "workflow/errors.h"
#include "workflow/idempotency.h"
#include "workflow/sha256.h"
#include "workflow/text.h"

namespace s2s::api {
namespace {

// A payload field as a JSON path: $.data.name, or $.data['...'] for a name
// that is not a plain word (an empty one, one with spaces or quotes).
std::string data_path(std::string_view field) {
  const bool plain = !field.empty() && std::all_of(field.begin(), field.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  });
  if (plain) return "$.data." + std::string(field);
  std::string quoted;
  for (const char c : field) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return "$.data['" + quoted + "']";
}

namespace json = boost::json;
using workflow::EngineError;

// What a JSON value is, with its article: "got an integer".
std::string_view type_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
      return "an integer";
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "a value";
}

// A JSON path in `value` whose string (or key) holds a NUL, if any: PostgreSQL
// cannot store one in text or JSONB.
std::optional<std::string> nul_in(const json::value& value, const std::string& path) {
  if (value.is_string()) {
    const auto& text = value.get_string();
    if (std::string_view(text.data(), text.size()).find('\0') != std::string_view::npos) return path;
  } else if (value.is_array()) {
    const auto& items = value.get_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (auto found = nul_in(items[i], path + "[" + std::to_string(i) + "]")) return found;
    }
  } else if (value.is_object()) {
    for (const auto& [key, item] : value.get_object()) {
      const std::string_view name(key.data(), key.size());
      if (name.find('\0') != std::string_view::npos) return path;
      if (auto found = nul_in(item, path + "." + std::string(name))) return found;
    }
  }
  return std::nullopt;
}

std::string percent_decode(std::string_view text, std::string_view what) {
  workflow::DecodeFailure failure = workflow::DecodeFailure::none;
  auto decoded = workflow::form_decode(text, &failure);
  if (failure == workflow::DecodeFailure::bad_escape) {
    bad_request(what, "bad percent-encoding in query parameter " + std::string(what));
  }
  if (!decoded) bad_request(what, "query parameter " + std::string(what) + " is not UTF-8 text");
  return std::move(*decoded);
}

std::string fmt_rate(double rate) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, rate);
  return std::string(buffer, result.ptr);
}

json::array role_array(std::string_view who) {
  json::array out;
  while (!who.empty()) {
    const auto comma = who.find(',');
    out.emplace_back(json_text(who.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    who.remove_prefix(comma + 1);
  }
  return out;
}

// 409 event-not-allowed: of the events the state takes, those the caller's
// role may send now (allowed_events) and, for the others, who sends them.
Problem event_not_allowed(const EngineError& e, const RouteContext* ctx) {
  json::array allowed;
  json::array others;
  std::string yours;
  for (const auto& name : e.allowed()) {
    const workflow::EventInfo* info =
        ctx != nullptr && ctx->case_kind != nullptr ? ctx->case_kind->find_event(name) : nullptr;
    if (info == nullptr || workflow::names_role(info->who, ctx->role())) {
      allowed.emplace_back(json_text(name));
      yours += (yours.empty() ? "" : ", ") + name;
    } else {
      others.push_back(json::object{{"event", json_text(name)}, {"who", role_array(info->who)}});
    }
  }
  std::string detail = e.what();
  if (ctx != nullptr && ctx->case_kind != nullptr) {
    detail += yours.empty() ? "; none of them is yours to send" : "; yours to send: " + yours;
  }
  return Problem(409, "event-not-allowed", "Event not allowed in this state", detail,
                 {{"allowed_events", std::move(allowed)}, {"others", std::move(others)}});
}

// An engine refusal as the HTTP problem the API promises. `ctx` is the route's
// context when the refusal came from a route handler.
Problem engine_problem(const EngineError& e, bool had_if_match, const RouteContext* ctx) {
  switch (e.code()) {
    case EngineError::Code::unknown_case:
    case EngineError::Code::out_of_scope:
      // The same answer for both: a case outside one's scope does not exist.
      return Problem(404, "not-found", "Not found", "no such case");
    case EngineError::Code::unknown_kind:
      return Problem(400, "invalid-request", "Invalid request", e.what(), {{"field", "$.kind"}});
    case EngineError::Code::unknown_event: {
      json::array events;
      for (const auto& name : e.allowed()) events.emplace_back(json_text(name));
      return Problem(400, "invalid-request", "Invalid request", "$.event: " + std::string(e.what()),
                     {{"field", "$.event"}, {"one_of", std::move(events)}});
    }
    case EngineError::Code::event_not_allowed:
      return event_not_allowed(e, ctx);
    case EngineError::Code::guard_failed:
      return Problem(422, "guard-failed", "The event's conditions are not met", e.what(),
                     {{"reason", json_text(e.reason())}});
    case EngineError::Code::payload_invalid:
      // The engine names payload fields; occurred_on is the request's own.
      return Problem(400, "invalid-request", "Invalid request", e.what(),
                     {{"field", e.field() == "occurred_on" ? "$.occurred_on" : data_path(e.field())},
                      {"reason", json_text(e.reason())}});
    case EngineError::Code::version_conflict:
      if (had_if_match) {
        return Problem(412, "precondition-failed", "The case has changed",
                       std::string(e.what()) + "; read it again (GET) and resend with its new ETag");
      }
      return Problem(409, "version-conflict", "The case has changed", e.what());
    case EngineError::Code::not_permitted:
      return Problem(403, "forbidden", "Forbidden", e.what());
  }
  return Problem(500, "internal-error", "Internal server error", "unexpected engine error");
}

// Every other error of the domain, by its category: the one place where a
// category becomes an HTTP status and a problem type.
Problem category_problem(const workflow::Error& e, const HttpRequest& request, int retry_after) {
  using workflow::ErrorCategory;
  json::object field;
  if (!e.field().empty()) field["field"] = json_text(e.field());
  switch (e.category()) {
    case ErrorCategory::invalid:
      return Problem(400, "invalid-request", "Invalid request", e.what(), std::move(field));
    case ErrorCategory::not_found:
      return Problem(404, "not-found", "Not found", e.what(), std::move(field));
    case ErrorCategory::conflict:
      return Problem(409, "conflict", "Conflict", e.what(), std::move(field));
    case ErrorCategory::refused:
      return Problem(422, "unprocessable", "Cannot be done as asked", e.what(), std::move(field));
    case ErrorCategory::forbidden:
      return Problem(403, "forbidden", "Forbidden", e.what());
    case ErrorCategory::unavailable:
      spdlog::warn("{} {}: database unavailable: {}", request.method, request.path, e.what());
      return Problem(503, "database-unavailable", "Database unavailable",
                     "the database cannot be reached; retry shortly")
          .header("Retry-After", std::to_string(retry_after));
    case ErrorCategory::internal:
      break;
  }
  spdlog::error("{} {}: unhandled error: {}", request.method, request.path, e.what());
  return Problem(500, "internal-error", "Internal server error",
                 "the server could not complete the request; it has been logged");
}

// The response for the exception in flight; `ctx` is the route's, once it runs.
HttpResponse problem_for_current_exception(const HttpRequest& request, bool had_if_match, int retry_after,
                                           const RouteContext* ctx = nullptr) {
  try {
    throw;
  } catch (const Problem& p) {
    return p.response();
  } catch (const EngineError& e) {
    return engine_problem(e, had_if_match, ctx).response();
  } catch (const workflow::Error& e) {
    return category_problem(e, request, retry_after).response();
  } catch (const std::bad_alloc&) {
    // Out of memory for this request: its answer, not the process's end.
    spdlog::error("{} {}: out of memory", request.method, request.path);
    return Problem(503, "server-busy", "Server busy", "the server is short of memory for this request; retry shortly")
        .header("Retry-After", std::to_string(retry_after))
        .response();
  } catch (const std::exception& e) {
    spdlog::error("{} {}: unhandled error: {}", request.method, request.path, e.what());
    return Problem(500, "internal-error", "Internal server error",
                   "the server could not complete the request; it has been logged")
        .response();
  }
}

std::optional<std::string_view> bearer_token(const HttpRequest& request) {
  const auto header = request.header("Authorization");
  if (!header) return std::nullopt;
  std::string_view value = *header;
  constexpr std::string_view kScheme = "Bearer ";
  if (value.size() <= kScheme.size()) return std::string_view{};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(value[i])) != std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return std::string_view{};
    }
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return value;
}

// The caller of a request with a bearer token; with `case_view`, the case in
// the route's {id} too, read with the token in one statement.
Caller authenticate_request(App& app, const HttpRequest& request, const Router::Params& params,
                            std::optional<cases::CaseView>* case_view) {
  const auto token = bearer_token(request);
  if (!token) {
    throw Problem(401, "unauthenticated", "Authentication required",
                  "send Authorization: Bearer <token> (tokens come from s2sd user add)")
        .header("WWW-Authenticate", "Bearer realm=\"s2s\"");
  }
  std::optional<cases::User> user;
  if (case_view != nullptr) {
    const auto id = params.find("id");
    auto read = cases::find_caller_and_case_view(*app.engine, *token, id != params.end() ? id->second : "");
    user = std::move(read.user);
    *case_view = std::move(read.view);
  } else {
    user = cases::authenticate(*app.db, *token);
  }
  if (!user) {
    throw Problem(401, "unauthenticated", "Authentication required", "the bearer token is unknown or revoked")
        .header("WWW-Authenticate", "Bearer realm=\"s2s\", error=\"invalid_token\"");
  }
  Caller caller;
  caller.actor = cases::actor_of(*user);
  caller.user = std::move(*user);
  return caller;
}

// --- Idempotency-Key -------------------------------------------------------

// Claims (user, key) for this request; what is stored when it was claimed before.
workflow::KeyClaim claim_key(App& app, std::int64_t user, const std::string& key, const HttpRequest& request,
                             const std::string& hash) {
  return workflow::claim_idempotency_key(*app.db, user, key, request.method, request.path, hash, app.engine->now(),
                                         app.options.idempotency_ttl);
}

void complete_key(App& app, std::int64_t user, const std::string& key, const HttpResponse& response, bool committed) {
  // A failure worth retrying (the database, the rate limit) before anything
  // was committed lets the key go, so that the retry runs; anything else is
  // the answer for good.
  const bool retryable = !committed && (response.status >= 500 || response.status == 429);
  if (retryable) {
    workflow::forget_idempotency_key(*app.db, user, key);
    return;
  }
  workflow::complete_idempotency_key(*app.db, user, key,
                                     {response.status, response.content_type, response.headers, response.body});
}

HttpResponse replayed(const workflow::StoredAnswer& answer) {
  HttpResponse response;
  response.status = answer.status;
  response.content_type = answer.content_type;
  response.body = answer.body;
  response.headers = answer.headers;
  response.headers.emplace_back("Idempotent-Replayed", "true");
  return response;
}

bool has_role(std::string_view roles, std::string_view role) {
  return roles == "*" || workflow::names_role(roles, role);
}

}  // namespace

// --- Problem ----------------------------------------------------------------

Problem::Problem(int status, std::string type, std::string title, std::string detail, boost::json::object extra)
    : std::runtime_error(std::move(detail)),
      status_(status),
      type_(std::move(type)),
      title_(std::move(title)),
      extra_(std::move(extra)) {}

Problem& Problem::header(std::string name, std::string value) {
  headers_.emplace_back(std::move(name), std::move(value));
  return *this;
}

HttpResponse Problem::response() const {
  // The extras as JSON members, without the object's braces, for the one writer.
  std::string extra;
  if (!extra_.empty()) {
    extra = json::serialize(extra_);
    extra = extra.substr(1, extra.size() - 2);
  }
  HttpResponse response = HttpResponse::problem(status_, type_, title_, what(), extra);
  response.headers = headers_;
  return response;
}

void bad_request(std::string_view where, const std::string& detail) {
  throw Problem(400, "invalid-request", "Invalid request", detail, {{"field", json_text(where)}});
}

void bad_request(std::string_view where, const std::string& detail, boost::json::array one_of) {
  throw Problem(400, "invalid-request", "Invalid request", detail,
                {{"field", json_text(where)}, {"one_of", std::move(one_of)}});
}

void not_found(const std::string& detail) { throw Problem(404, "not-found", "Not found", detail); }

// --- Query ------------------------------------------------------------------

Query::Query(std::string_view query) {
  std::size_t start = 0;
  while (start < query.size()) {
    auto end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view pair = query.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    const std::string name = percent_decode(pair.substr(0, eq), pair.substr(0, eq));
    const std::string value = eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), name);
    for (const auto& [seen, unused] : params_) {
      if (seen == name) bad_request(name, "query parameter " + name + " is given more than once");
    }
    params_.emplace_back(name, value);
  }
}

const std::string* Query::find(std::string_view name) {
  read_.emplace(name);
  for (const auto& [n, v] : params_) {
    if (n == name) return &v;
  }
  return nullptr;
}

std::optional<std::string> Query::text(std::string_view name) {
  const std::string* value = find(name);
  if (value == nullptr) return std::nullopt;
  return *value;
}

std::optional<long long> Query::integer(std::string_view name, long long min, long long max) {
  const std::string* value = find(name);
  if (value == nullptr) return std::nullopt;
  long long n = 0;
  const auto parsed = std::from_chars(value->data(), value->data() + value->size(), n);
  if (value->empty() || parsed.ec != std::errc() || parsed.ptr != value->data() + value->size()) {
    bad_request(name, "query parameter " + std::string(name) + " must be an integer, got '" + *value + "'");
  }
  if (n < min || n > max) {
    bad_request(name, "query parameter " + std::string(name) + " must be " + std::to_string(min) + " to " +
                          std::to_string(max) + ", got " + *value);
  }
  return n;
}

std::optional<std::chrono::year_month_day> Query::date(std::string_view name) {
  const std::string* value = find(name);
  if (value == nullptr) return std::nullopt;
  const auto date = workflow::parse_date(*value);
  if (!date) {
    bad_request(
        name, "query parameter " + std::string(name) + " must be a date YYYY-MM-DD that exists, got '" + *value + "'");
  }
  return date;
}

std::optional<bool> Query::boolean(std::string_view name) {
  const std::string* value = find(name);
  if (value == nullptr) return std::nullopt;
  if (*value == "true") return true;
  if (*value == "false") return false;
  bad_request(name, "query parameter " + std::string(name) + " must be true or false, got '" + *value + "'");
}

void Query::done() const {
  for (const auto& [name, value] : params_) {
    if (!read_.contains(name)) bad_request(name, "unknown query parameter " + name);
  }
}

// --- JsonFields -------------------------------------------------------------

JsonFields::JsonFields(const boost::json::object& object, std::string path) : object_(object), path_(std::move(path)) {}

std::string JsonFields::path_of(std::string_view name) const { return path_ + "." + std::string(name); }

const json::value* JsonFields::take(std::string_view name, bool required, std::string_view type) {
  read_.emplace(name);
  const json::value* value = object_.if_contains(json_text(name));
  if (value == nullptr || (value->is_null() && !required)) {
    if (required) bad_request(path_of(name), path_of(name) + " is required (" + std::string(type) + ")");
    return nullptr;
  }
  return value;
}

namespace {
[[noreturn]] void wrong_type(const std::string& path, std::string_view type, const json::value& v) {
  bad_request(path, path + " must be " + std::string(type) + ", got " + std::string(type_name(v)));
}
}  // namespace

std::optional<std::string> JsonFields::text(std::string_view name, bool required) {
  const json::value* v = take(name, required, "a string");
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) wrong_type(path_of(name), "a string", *v);
  return std::string(v->get_string());
}

std::optional<long long> JsonFields::integer(std::string_view name, long long min, long long max, bool required) {
  const json::value* v = take(name, required, "an integer");
  if (v == nullptr) return std::nullopt;
  const auto out_of_range = [&](const std::string& got) {
    bad_request(path_of(name),
                path_of(name) + " must be " + std::to_string(min) + " to " + std::to_string(max) + ", got " + got);
  };
  long long n = 0;
  if (v->is_int64()) {
    n = v->get_int64();
  } else if (v->is_uint64()) {
    if (v->get_uint64() > static_cast<std::uint64_t>(max)) out_of_range(std::to_string(v->get_uint64()));
    n = static_cast<long long>(v->get_uint64());
  } else {
    wrong_type(path_of(name), "an integer", *v);
  }
  if (n < min || n > max) out_of_range(std::to_string(n));
  return n;
}

std::optional<double> JsonFields::number(std::string_view name, bool required) {
  const json::value* v = take(name, required, "a number");
  if (v == nullptr) return std::nullopt;
  if (!v->is_number()) wrong_type(path_of(name), "a number", *v);
  const double d = v->to_number<double>();
  if (!std::isfinite(d)) bad_request(path_of(name), path_of(name) + " must be a finite number, not one this large");
  return d;
}

std::optional<bool> JsonFields::boolean(std::string_view name, bool required) {
  const json::value* v = take(name, required, "true or false");
  if (v == nullptr) return std::nullopt;
  if (!v->is_bool()) wrong_type(path_of(name), "true or false", *v);
  return v->get_bool();
}

std::optional<std::chrono::year_month_day> JsonFields::date(std::string_view name, bool required) {
  const json::value* v = take(name, required, "a date YYYY-MM-DD");
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) wrong_type(path_of(name), "a date YYYY-MM-DD", *v);
  const std::string_view text(v->get_string().data(), v->get_string().size());
  const auto date = workflow::parse_date(text);
  if (!date) {
    bad_request(path_of(name),
                path_of(name) + " must be a date YYYY-MM-DD that exists, got '" + std::string(text) + "'");
  }
  return date;
}

std::optional<boost::json::object> JsonFields::object(std::string_view name, bool required) {
  const json::value* v = take(name, required, "an object");
  if (v == nullptr) return std::nullopt;
  if (!v->is_object()) wrong_type(path_of(name), "an object", *v);
  return v->get_object();
}

bool JsonFields::is_null(std::string_view name) const {
  const json::value* v = object_.if_contains(json_text(name));
  return v != nullptr && v->is_null();
}

void JsonFields::done() const {
  for (const auto& [key, value] : object_) {
    const std::string_view name(key.data(), key.size());
    if (!read_.contains(name)) bad_request(path_of(name), "unknown field " + path_of(name));
  }
}

// --- bodies and responses ---------------------------------------------------

std::string media_type(const HttpRequest& request) {
  std::string_view media = request.header("Content-Type").value_or("");
  media = media.substr(0, media.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
  std::string lower(media);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

void no_query(const HttpRequest& request) { Query(request.query).done(); }

json::object json_body(const HttpRequest& request) {
  const auto type = request.header("Content-Type");
  if (media_type(request) != "application/json") {
    throw Problem(415, "unsupported-media-type", "Unsupported media type",
                  "send the body as application/json" +
                      (type ? ", not " + std::string(*type) : std::string(" (Content-Type is missing)")));
  }
  json::stream_parser parser;
  boost::system::error_code ec;
  const std::size_t used = parser.write(request.body.data(), request.body.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    bad_request("$", "the body is not valid JSON: " + ec.message() + " at byte " +
                         std::to_string(ec ? used : request.body.size()));
  }
  json::value value = parser.release();
  if (!value.is_object()) bad_request("$", "the body must be a JSON object, got " + std::string(type_name(value)));
  if (const auto where = nul_in(value, "$")) bad_request(*where, *where + " holds a NUL character (\\u0000)");
  return std::move(value.get_object());
}

HttpResponse json_response(int status, const boost::json::value& value) {
  return HttpResponse::json(status, json::serialize(value));
}

const std::string& RouteContext::param(std::string_view name) const {
  const auto it = params.find(name);
  if (it == params.end()) throw std::logic_error("route has no parameter " + std::string(name));
  return it->second;
}

workflow::Engine::InTransaction RouteContext::in_same_transaction() const {
  if (!idempotency) return {};
  return [key = *idempotency](workflow::Database::Connection& connection, std::int64_t case_id) {
    workflow::mark_idempotency_committed(connection, key.first, key.second, case_id);
  };
}

ConcurrencyLimiter::Ticket RouteContext::costly() const {
  auto ticket = app.costly.enter(caller.user.id, app.options.costly_per_user);
  if (!ticket) {
    throw Problem(429, "too-many-requests", "Too many requests",
                  "you have " + std::to_string(app.options.costly_per_user) +
                      " reports in the making already; retry when one is done")
        .header("Retry-After", "1");
  }
  return std::move(*ticket);
}

void RouteContext::audit(std::string action, std::string subject, std::string detail) const {
  try {
    workflow::record_audit(*app.db, {caller.actor.name, std::move(action), std::move(subject), std::move(detail)},
                           app.engine->now());
  } catch (const std::exception& e) {
    spdlog::error("{} {}: done, but not recorded in the audit trail: {}", request.method, request.path, e.what());
  }
}

std::int64_t RouteContext::id_param(std::string_view name) const {
  const std::string& text = param(name);
  long long n = 0;
  const auto parsed = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || parsed.ec != std::errc() || parsed.ptr != text.data() + text.size() || n <= 0) {
    not_found("no resource at " + request.path);
  }
  return n;
}

Page read_page(Query& query, const App& app) {
  Page page;
  page.limit =
      static_cast<int>(query.integer("limit", 1, app.options.max_page_size).value_or(app.options.default_page_size));
  if (const auto cursor = query.text("cursor")) {
    // Opaque to clients: "c" and the last key in base 36.
    long long key = 0;
    const char* begin = cursor->data() + 1;
    const char* end = cursor->data() + cursor->size();
    const bool lower = cursor->size() > 1 &&
                       std::all_of(begin, end, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'); });
    const auto parsed = cursor->size() > 1 && cursor->front() == 'c' && lower
                            ? std::from_chars(begin, end, key, 36)
                            : std::from_chars_result{begin, std::errc::invalid_argument};
    if (parsed.ec != std::errc() || parsed.ptr != end || key <= 0) {
      bad_request("cursor", "query parameter cursor is not one this API gave out: '" + *cursor + "'");
    }
    page.after = key;
  }
  return page;
}

std::string encode_cursor(std::int64_t key) {
  std::string digits;
  auto n = static_cast<unsigned long long>(key);
  do {
    const auto d = static_cast<int>(n % 36);
    digits.insert(digits.begin(), static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10));
    n /= 36;
  } while (n > 0);
  return "c" + digits;
}

void guard_login(App& app, const HttpRequest& request, const std::function<void()>& login) {
  try {
    login();
  } catch (const Problem& p) {
    if (p.status() != 401) throw;
    // Failures are limited per address, not the callers who log in well:
    // one person guessing at a school's shared address (or behind a proxy)
    // locks nobody else out. Past the burst, a failure is a 429.
    const auto address = static_cast<std::int64_t>(std::hash<std::string>{}(request.remote_address));
    std::chrono::milliseconds wait{};
    if (!app.failed_logins.allow(address, app.options.failed_logins_per_second, app.options.failed_login_burst,
                                 std::chrono::steady_clock::now(), wait)) {
      const auto seconds = std::max<long long>(1, (wait.count() + 999) / 1000);
      throw Problem(429, "too-many-requests", "Too many requests",
                    "too many failed logins from this address; retry after " + std::to_string(seconds) + " s")
          .header("Retry-After", std::to_string(seconds));
    }
    throw;
  }
}

HttpResponse problem_response(const App& app, const HttpRequest& request) {
  return problem_for_current_exception(request, false, app.options.retry_after_seconds);
}

HttpResponse page_response(boost::json::array items, bool more, std::int64_t last) {
  json::object out{{"items", std::move(items)}, {"next_cursor", nullptr}};
  if (more) out["next_cursor"] = encode_cursor(last);
  return json_response(200, out);
}

// --- the route wrapper --------------------------------------------------------

void add_api_route(Router& router, App& app, std::string method, std::string pattern, std::string roles,
                   RouteHandler handler, CaseRead read) {
  const bool writes = method != "GET";
  router.add(
      std::move(method), std::move(pattern),
      [&app, roles = std::move(roles), handler = std::move(handler), writes, read](
          const HttpRequest& request, const Router::Params& params) -> HttpResponse {
        const auto if_match = request.header("If-Match");
        const bool had_if_match = if_match.has_value() && *if_match != "*";
        Caller caller;
        std::optional<cases::CaseView> case_view;
        try {
          guard_login(app, request, [&] {
            caller = authenticate_request(app, request, params,
                                          read == CaseRead::with_caller ? &case_view : nullptr);
          });
          std::chrono::milliseconds wait{};
          if (!app.limiter.allow(caller.user.id, app.options.rate_per_second, app.options.rate_burst,
                                 std::chrono::steady_clock::now(), wait)) {
            const auto seconds = std::max<long long>(1, (wait.count() + 999) / 1000);
            throw Problem(429, "too-many-requests", "Too many requests",
                          "more than " + fmt_rate(app.options.rate_per_second) +
                              " requests a second from this user; retry after " + std::to_string(seconds) + " s")
                .header("Retry-After", std::to_string(seconds));
          }
          if (!has_role(roles, caller.user.role)) {
            throw Problem(403, "forbidden", "Forbidden",
                          "the role " + caller.user.role + " may not " + request.method + " " + request.path);
          }
        } catch (...) {
          return problem_for_current_exception(request, had_if_match, app.options.retry_after_seconds);
        }

        bool committed = false;
        std::optional<std::pair<std::int64_t, std::string>> claimed_key;
        const auto run = [&]() -> HttpResponse {
          RouteContext ctx{app, request, params, caller};
          ctx.idempotency = claimed_key;
          ctx.case_view = std::move(case_view);
          try {
            HttpResponse response = handler(ctx);
            committed = ctx.committed;
            return response;
          } catch (...) {
            committed = ctx.committed;
            return problem_for_current_exception(request, had_if_match, app.options.retry_after_seconds, &ctx);
          }
        };

        const auto key = request.header("Idempotency-Key");
        if (!writes || !key) return run();
        try {
          const bool visible = std::all_of(key->begin(), key->end(), [](char c) { return c > 32 && c < 127; });
          if (key->empty() || key->size() > 255 || !visible) {
            bad_request("Idempotency-Key", "the Idempotency-Key header must be 1 to 255 visible ASCII characters");
          }
          const std::string key_text(*key);
          const std::string hash = workflow::sha256_hex(request.method + "\n" + request.target + "\n" +
                                                        std::string(if_match.value_or("")) + "\n" + request.body);
          const auto claim = claim_key(app, caller.user.id, key_text, request, hash);
          if (!claim.claimed) {
            if (claim.request_hash != hash) {
              throw Problem(422, "idempotency-key-reused", "Idempotency key reused",
                            "the Idempotency-Key '" + key_text +
                                "' was used with another request; use a new key for a new request");
            }
            if (!claim.answer && claim.committed_case_id) {
              // Its work committed but its answer was never stored (the
              // process died between them): the case as it now is.
              RouteContext ctx{app, request, params, caller};
              return committed_answer(ctx, *claim.committed_case_id);
            }
            if (!claim.answer) {
              throw Problem(409, "idempotency-key-in-progress", "Request in progress",
                            "the first request with this Idempotency-Key has not finished; retry shortly")
                  .header("Retry-After", "1");
            }
            return replayed(*claim.answer);
          }
          claimed_key.emplace(caller.user.id, key_text);
          HttpResponse response = run();
          try {
            complete_key(app, caller.user.id, key_text, response, committed);
          } catch (const std::exception& e) {
            // The request's own answer stands; a retry with this key
            // finds it in progress and is told to check the case.
            spdlog::error("{} {}: could not record the answer for an Idempotency-Key: {}", request.method, request.path,
                          e.what());
          }
          return response;
        } catch (...) {
          return problem_for_current_exception(request, had_if_match, app.options.retry_after_seconds);
        }
      });
}

}  // namespace s2s::api
