#include "api/router.h"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <chrono>

#include "api/app.h"
#include "workflow/text.h"

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

TEST(RouterTest, APathThatIsNotTextIsNotEchoedIntoTheProblem) {
  Router router;
  router.add("GET", "/x", [](const HttpRequest&, const Router::Params&) { return HttpResponse::json(200, ""); });
  for (const std::string& path :
       {std::string("/\xFF\xFE"), std::string("/") + std::string(300, 'a'), std::string("/a\x1b[2Jb")}) {
    const auto response = router.dispatch(get(path));
    EXPECT_EQ(response.status, 404);
    EXPECT_TRUE(workflow::valid_utf8(response.body));
    EXPECT_NE(response.body.find("no resource at this path"), std::string::npos) << response.body;
    EXPECT_NO_THROW((void)boost::json::parse(response.body));
  }
  EXPECT_NE(router.dispatch(get("/caf\xC3\xA9")).body.find("no resource at /caf\xC3\xA9"), std::string::npos);
  const auto wrong_method = router.dispatch(get("/x", "DELETE"));
  EXPECT_EQ(wrong_method.status, 405);
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

namespace s2s::api {
namespace {

TEST(RateLimiterTest, KeysThatHaveRefilledAreForgottenSoManyClientsCannotGrowItWithoutBound) {
  RateLimiter limiter;
  const auto t0 = std::chrono::steady_clock::now();
  std::chrono::milliseconds wait{};
  for (std::int64_t key = 0; key < static_cast<std::int64_t>(RateLimiter::kMaxKeys); ++key) {
    ASSERT_TRUE(limiter.allow(key, 1, 10, t0, wait));
  }
  EXPECT_EQ(limiter.size(), RateLimiter::kMaxKeys);
  // A key that spent its burst is still limited: it is kept while it has not refilled.
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(limiter.allow(0, 1, 10, t0, wait));
  EXPECT_FALSE(limiter.allow(0, 1, 10, t0, wait));
  // A second on, the others have refilled (one token each): a new key sweeps them away.
  const auto t1 = t0 + std::chrono::seconds(1);
  EXPECT_TRUE(limiter.allow(-1, 1, 10, t1, wait));
  EXPECT_EQ(limiter.size(), 2u);  // key 0, still short of its burst, and the new one
  EXPECT_TRUE(limiter.exhausted(0, 1, 10, t0, wait));
}

}  // namespace
}  // namespace s2s::api

namespace s2s::api {
namespace {

TEST(ConcurrencyLimiterTest, EachKeyHasItsShareAndLeavingFreesIt) {
  ConcurrencyLimiter limiter;
  auto a = limiter.enter(1, 2);
  auto b = limiter.enter(1, 2);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(limiter.enter(1, 2));  // user 1 has two in the making
  EXPECT_TRUE(limiter.enter(2, 2));   // user 2 is not held up by them
  a.reset();
  EXPECT_TRUE(limiter.enter(1, 2));
}

}  // namespace
}  // namespace s2s::api
