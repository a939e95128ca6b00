#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "notifications/delivery_store.h"
#include "notifications/directory.h"
#include "notifications/mailer.h"
#include "workflow/case_kind.h"
#include "workflow/database.h"
#include "workflow/errors.h"

// Delivers the outbox: each message the engine queued (in the event's own
// transaction) fans out to the people on the case by role, one delivery per
// recipient (expansion.h, asking a Directory who they are), and to the
// webhooks covering its school (webhooks.h); each is sent, retried with
// exponential backoff and jitter, and after max_attempts failures becomes a
// dead letter that an admin can resend. Deliveries are claimed with a lease
// (FOR UPDATE SKIP LOCKED on PostgreSQL), so several processes share the work
// and a process that dies mid-send loses nothing: its claims fall due again
// and are sent again, with the same Message-ID. Deliveries held for a daily
// digest go out together (digest.h). The tables are delivery_store.h's and
// webhooks.h's; the people on a case come from a Directory (directory.h).
namespace s2s::notifications {

struct DispatcherOptions {
  std::size_t batch = 50;                            // deliveries claimed per round
  int max_attempts = 6;                              // then the delivery is dead
  std::chrono::seconds backoff_base{30};             // 30 s, 1 min, 2 min, ... each with +-25% jitter
  std::chrono::seconds backoff_cap{3600};            // never longer than this
  std::chrono::seconds lease{120};                   // a claimed delivery is this process's for this long
  std::string public_url = "http://127.0.0.1:8080";  // links: PUBLIC_URL/cases/REF in emails, /api/v1/cases/ID in webhooks
  std::string message_id_domain = "s2s.localhost";   // Message-ID: <outbox-ID@DOMAIN>
  std::chrono::minutes digest_at{7 * 60};            // Europe/London time of day of the daily digest
  bool webhooks_to_private_addresses = false;        // let webhooks reach loopback and private addresses
  std::function<std::chrono::system_clock::time_point()> clock = [] { return std::chrono::system_clock::now(); };
  // Mail of the service's own, not of a case, sent on each round with the
  // same mail server after the digests: the monthly forecast
  // (cases/forecast_digest.h). Throws as a round does.
  std::function<void(const Mailer&, std::chrono::system_clock::time_point)> each_round;

  [[nodiscard]] RetryPolicy retry() const { return RetryPolicy{max_attempts, backoff_base, backoff_cap}; }
};

struct DispatchReport {
  std::size_t expanded = 0;       // outbox messages turned into deliveries
  std::size_t claimed = 0;        // due deliveries claimed (at most a batch a round)
  std::size_t sent = 0;           // deliveries the server accepted
  std::size_t retried = 0;        // failed, to be tried again later
  std::size_t dead = 0;           // failed for the last time
  std::size_t undeliverable = 0;  // a recipient role with nobody (or no address) to send to
  std::size_t digests = 0;        // daily digests sent (each groups a person's held messages)
};

// A notification cannot be acted on as asked (unknown id, not a dead letter).
class NotificationError : public workflow::Error {
 public:
  explicit NotificationError(const std::string& message,
                             workflow::ErrorCategory category = workflow::ErrorCategory::invalid)
      : workflow::Error(category, message) {}
};

class Dispatcher {
 public:
  // `kinds` say who hears each message a case kind queues (workflow::MessageSpec);
  // `directory` who the people of each role on a case are, and where its school
  // lies (for webhooks). Both are shared, read-only and must not be null.
  Dispatcher(std::shared_ptr<workflow::Database> db, std::shared_ptr<const workflow::KindRegistry> kinds,
             std::shared_ptr<const Directory> directory, Mailer mailer, DispatcherOptions options = {});

  // One round: new outbox messages become deliveries, then up to a batch of
  // due deliveries is claimed, sent and recorded. Throws
  // workflow::DatabaseUnavailable; a mail server's failure is recorded, never
  // thrown.
  DispatchReport run_once();
  // Rounds until one claims less than a batch: everything due now is sent
  // (or, failing, put off by its backoff), however long the queue.
  DispatchReport run_until_idle();
  // Makes a round in progress stop after the delivery it is sending (shutdown).
  void request_stop() noexcept { stopping_ = true; }

 private:
  std::shared_ptr<workflow::Database> db_;
  std::shared_ptr<const workflow::KindRegistry> kinds_;
  std::shared_ptr<const Directory> directory_;
  Mailer mailer_;
  DispatcherOptions options_;
  std::string owner_;  // this process's claims: host, pid and a random part
  std::atomic<bool> stopping_{false};
};

// Runs a Dispatcher on a background thread: a round at start, then every
// `poll` (and logs, never throws, when a round fails: the database may be down).
class DispatchService {
 public:
  DispatchService(Dispatcher& dispatcher, std::chrono::milliseconds poll);
  DispatchService(const DispatchService&) = delete;
  DispatchService& operator=(const DispatchService&) = delete;
  ~DispatchService();  // stop()
  void start();
  void stop();  // waits for the round in progress; idempotent

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Adds a webhook for an alliance ("alliance:ID") or a mini region
// ("mini_region:NAME"): every notification about a school in it is POSTed to
// `url`. Sets `secret` (for the receiver to check signatures); returns the id.
// Throws NotificationError (nothing written) for a bad scope or URL, an area
// `directory` does not know, or a repeat.
// A URL whose host is loopback, private or link-local (localhost, 10.0.0.5,
// [::1]) is refused unless `allow_private`; a name is checked as each
// delivery connects (post_webhook).
std::int64_t add_webhook(workflow::Database& db, const Directory& directory, const std::string& scope,
                         const std::string& url, std::string& secret, std::chrono::system_clock::time_point now,
                         bool allow_private = false);

// Puts a dead letter's failed deliveries back in the queue, due now, their
// attempts counted afresh; returns how many. Throws NotificationError when the
// outbox message is unknown or not dead.
int resend(workflow::Database& db, std::int64_t outbox_id, std::chrono::system_clock::time_point now);

struct DeliveryRecord {
  std::int64_t id = 0;
  std::string channel;
  std::string recipient;
  std::string recipient_name;
  std::string status;
  int attempts = 0;
  std::string last_error;
};

struct Notification {
  std::int64_t outbox_id = 0;
  std::optional<std::int64_t> case_id;
  std::string message;
  std::string status;  // pending, sent, dead
  std::string created_at;
  std::vector<DeliveryRecord> deliveries;
};

// Outbox messages with `status` (pending, sent or dead), oldest first, with their deliveries.
[[nodiscard]] std::vector<Notification> notifications(workflow::Database& db, const std::string& status,
                                                      std::size_t limit);

}  // namespace s2s::notifications
