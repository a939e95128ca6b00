#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http.h"

namespace s2s::api {

// The 404 problem for a path no route has; the path echoed only when it is
// short, readable text (echoable).
[[nodiscard]] HttpResponse path_not_found(std::string_view path);

// Maps (method, path pattern) to handlers. Patterns are literal segments and
// {name} placeholders: "/api/v1/cases/{id}/history". Not thread-safe to add
// to; dispatch is thread-safe once built.
class Router {
 public:
  using Params = std::map<std::string, std::string, std::less<>>;
  using Route = std::function<HttpResponse(const HttpRequest&, const Params&)>;

  void add(std::string method, std::string pattern, Route route);

  // The matching route's response; 404 problem for an unknown path, 405 with
  // an Allow header for a known path and another method.
  // `pattern`, when given, is set to the pattern that matched ("" for none).
  [[nodiscard]] HttpResponse dispatch(const HttpRequest& request, std::string* pattern = nullptr) const;

  // What answers a path no pattern matches (the web's HTML 404 page), instead
  // of the 404 problem. Set once, before dispatching.
  void set_fallback(Route route) { fallback_ = std::move(route); }

  // Every (method, pattern) registered, in registration order.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> routes() const;

 private:
  struct Entry {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Route route;
  };
  std::vector<Entry> entries_;
  Route fallback_;
};

}  // namespace s2s::api
