#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "api/metrics.h"
#include "api/router.h"
#include "cases/report_cache.h"
#include "workflow/database.h"
#include "workflow/engine.h"

namespace s2s::api {

// The API's own limits; all configurable on `s2sd serve`.
struct ApiOptions {
  int default_page_size = 50;
  int max_page_size = 200;                           // a larger ?limit is a 400
  double rate_per_second = 50;                       // requests per user, sustained
  double rate_burst = 100;                           // and in a burst
  int retry_after_seconds = 5;                       // told to clients on a 503
  double failed_logins_per_second = 1;               // per client address, after a burst of
  double failed_login_burst = 20;                    // this many: more failures get 429 (good tokens never do)
  std::chrono::hours idempotency_ttl{24};            // keys older than this are forgotten
  std::string public_url = "http://127.0.0.1:8080";  // where people reach s2s: links in feeds
  int costly_per_user = 2;                           // reports (and CSVs) one user may have in the making at once
  bool webhooks_to_private_addresses = false;        // webhooks may be added to loopback and private addresses
};

// A token bucket per key (a user id, a client address's hash). Thread-safe.
// Memory is bounded: past `max_keys` buckets, the full ones (keys idle long
// enough to have refilled, which would start full anyway) are dropped.
class RateLimiter {
 public:
  static constexpr std::size_t kMaxKeys = 100000;

  // Whether a request may run now; when not, `retry_after` is how long until it may.
  bool allow(std::int64_t key, double rate_per_second, double burst, std::chrono::steady_clock::time_point now,
             std::chrono::milliseconds& retry_after);
  // How many keys have a bucket now.
  [[nodiscard]] std::size_t size();
  // Whether the key's bucket is empty now, without taking from it.
  bool exhausted(std::int64_t key, double rate_per_second, double burst, std::chrono::steady_clock::time_point now,
                 std::chrono::milliseconds& retry_after);

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point last;
  };
  std::mutex mutex_;
  std::unordered_map<std::int64_t, Bucket> buckets_;
};

// What the HTTP routes work with. Shared by every worker thread.
// How many costly requests (reports, CSVs) each user has in the making, so
// that one person asking for dozens at once cannot slow everyone else.
class ConcurrencyLimiter {
 public:
  // Held while the request runs; leaving releases it.
  class Ticket {
   public:
    Ticket(ConcurrencyLimiter& limiter, std::int64_t key) : limiter_(&limiter), key_(key) {}
    Ticket(Ticket&& other) noexcept : limiter_(std::exchange(other.limiter_, nullptr)), key_(other.key_) {}
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    Ticket& operator=(Ticket&&) = delete;
    ~Ticket() {
      if (limiter_ != nullptr) limiter_->leave(key_);
    }

   private:
    ConcurrencyLimiter* limiter_;
    std::int64_t key_;
  };

  // A ticket when `key` has fewer than `most` in the making; nullopt otherwise.
  [[nodiscard]] std::optional<Ticket> enter(std::int64_t key, int most);

 private:
  void leave(std::int64_t key);
  std::mutex mutex_;
  std::unordered_map<std::int64_t, int> running_;
};

struct App {
  std::shared_ptr<workflow::Database> db;
  std::unique_ptr<workflow::Engine> engine;
  ApiOptions options;
  Metrics metrics;
  RateLimiter limiter;        // per user
  RateLimiter failed_logins;  // per client address
  RateLimiter sign_in_requests;  // web sign-in links asked for, per client address
  ConcurrencyLimiter costly;     // reports and CSVs in the making, per user
  cases::ReportCache reports;    // reports made for a scope and a state of the data
};

// Registers every route of s2sd on `router`. `app` must outlive the router.
void register_routes(Router& router, App& app);

// The server's handler: dispatches through `router` and records each request
// (route pattern, status, duration) in app.metrics.
[[nodiscard]] HttpHandler make_handler(const Router& router, App& app);

}  // namespace s2s::api
