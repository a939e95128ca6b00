#include "api/router.h"
#include "api/http_headers.h"

#include "workflow/text.h"

namespace s2s::api {
namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < path.size()) {
    if (path[start] == '/') {
      ++start;
      continue;
    }
    const auto end = path.find('/', start);
    out.emplace_back(path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

bool match(const std::vector<std::string>& pattern, const std::vector<std::string>& path, Router::Params& params) {
  if (pattern.size() != path.size()) return false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const std::string& p = pattern[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      params[p.substr(1, p.size() - 2)] = path[i];
    } else if (p != path[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

void Router::add(std::string method, std::string pattern, Route route) {
  auto segments = split_path(pattern);
  entries_.push_back(Entry{std::move(method), std::move(pattern), std::move(segments), std::move(route)});
}

HttpResponse Router::dispatch(const HttpRequest& request, std::string* pattern) const {
  const auto path = split_path(request.path);
  std::string allowed;
  for (const Entry& entry : entries_) {
    Params params;
    if (!match(entry.segments, path, params)) continue;
    if (entry.method == request.method) {
      if (pattern != nullptr) *pattern = entry.pattern;
      return entry.route(request, params);
    }
    allowed += (allowed.empty() ? "" : ", ") + entry.method;
  }
  if (!allowed.empty()) {
    auto response = HttpResponse::problem(405, "method-not-allowed", "Method not allowed",
                                          request.method + " is not allowed on " +
                                              (echoable(request.path) ? request.path : std::string("this path")) +
                                              "; use " + allowed);
    response.headers.emplace_back("Allow", allowed);
    return response;
  }
  if (fallback_) return fallback_(request, Params{});
  // The path as sent may be anything: echoed only when it is short, readable text.
  return path_not_found(request.path);
}

HttpResponse path_not_found(std::string_view path) {
  return HttpResponse::problem(404, "not-found", "Not found",
                               echoable(path) ? "no resource at " + std::string(path)
                                              : std::string("no resource at this path"));
}

std::vector<std::pair<std::string, std::string>> Router::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Entry& entry : entries_) out.emplace_back(entry.method, entry.pattern);
  return out;
}

}  // namespace s2s::api
