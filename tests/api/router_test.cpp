#include "api/router.h"

#include <gtest/gtest.h>

namespace s2s::api {
namespace {

HttpRequest get(std::string path, std::string method = "GET") {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.target = r.path;
  return r;
}

TEST(RouterTest, MatchesLiteralAndPlaceholderSegments) {
  Router router;
  router.add("GET", "/api/v1/cases/{id}/history",
             [](const HttpRequest&, const Router::Params& p) { return HttpResponse::json(200, p.at("id")); });
  const auto response = router.dispatch(get("/api/v1/cases/42/history"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "42");
}

TEST(RouterTest, UnknownPathIsProblem404) {
  Router router;
  router.add("GET", "/healthz", [](const HttpRequest&, const Router::Params&) { return HttpResponse::json(200, ""); });
  const auto response = router.dispatch(get("/nothing"));
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.content_type, "application/problem+json");
  EXPECT_NE(response.body.find("\"type\":\"https://s2s.example/problems/not-found\""), std::string::npos);
}

TEST(RouterTest, KnownPathWithOtherMethodIs405WithAllow) {
  Router router;
  router.add("GET", "/x", [](const HttpRequest&, const Router::Params&) { return HttpResponse::json(200, ""); });
  router.add("PUT", "/x", [](const HttpRequest&, const Router::Params&) { return HttpResponse::json(200, ""); });
  const auto response = router.dispatch(get("/x", "DELETE"));
  EXPECT_EQ(response.status, 405);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].first, "Allow");
  EXPECT_EQ(response.headers[0].second, "GET, PUT");
}

TEST(RouterTest, SegmentCountMustMatch) {
  Router router;
  router.add("GET", "/a/{id}", [](const HttpRequest&, const Router::Params&) { return HttpResponse::json(200, ""); });
  EXPECT_EQ(router.dispatch(get("/a/1/2")).status, 404);
  EXPECT_EQ(router.dispatch(get("/a")).status, 404);
}

TEST(RouterTest, ProblemBodyEscapesDetail) {
  const auto response = HttpResponse::problem(400, "bad", "Bad", "quote \" and\nnewline");
  EXPECT_NE(response.body.find(R"(quote \" and\nnewline)"), std::string::npos) << response.body;
}

}  // namespace
}  // namespace s2s::api
