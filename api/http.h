#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Plain request and response values, so handlers never see Beast: the server
// (api/server.cpp) converts at the edge.
namespace s2s::api {

struct HttpRequest {
  std::string method;  // "GET"
  std::string target;  // "/api/v1/cases?kind=x": never logged whole, the query may hold a token
  std::string path;    // "/api/v1/cases"
  std::string query;   // "kind=x"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_address;

  // The first header with this name (case-insensitive), if any.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers

  [[nodiscard]] static HttpResponse json(int status, std::string body);
  // Whether an extra header of this name (case-insensitive) is set.
  [[nodiscard]] bool has_header(std::string_view name) const;
  // An RFC 9457 application/problem+json body with a stable type URI
  // (https://s2s.example/problems/<type>), a title and a detail: the one
  // writer of problems. `extra_members`: further members as JSON text
  // (`"field":"$.kind","reason":"..."`), already serialised; empty for none.
  [[nodiscard]] static HttpResponse problem(int status, std::string_view type, std::string_view title,
                                            std::string_view detail, std::string_view extra_members = {});
};

// Produces the response to one request. Called on a worker thread, never on
// the I/O threads, so it may block on the database. Must be thread-safe.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

}  // namespace s2s::api
