#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "workflow/database.h"

// The storage layer of delivery: every statement on the outbox's delivery
// side (expanded, settled), deliveries and delivery_attempts. Claims carry a
// lease (FOR UPDATE SKIP LOCKED on PostgreSQL), so several processes share the
// work and a process that dies mid-send loses nothing.
namespace s2s::notifications {

// How failed deliveries are retried: after 1, 2, 4, ... times `backoff_base`
// (never more than `backoff_cap`), each with +-25% jitter; dead after `max_attempts`.
struct RetryPolicy {
  int max_attempts = 6;
  std::chrono::seconds backoff_base{30};
  std::chrono::seconds backoff_cap{3600};
};

// The wait before the next try after `attempts` failures. Thread-safe.
[[nodiscard]] std::chrono::milliseconds backoff(const RetryPolicy& policy, int attempts);

// An outbox message the engine queued, not yet expanded into deliveries.
struct QueuedMessage {
  std::int64_t id = 0;
  std::int64_t case_id = 0;  // 0: about no case
  std::string message;
  std::string payload;  // JSON, as the engine wrote it
};

// A delivery this process has claimed, with its message.
struct ClaimedDelivery {
  std::int64_t id = 0;
  std::string channel;  // email or webhook
  std::int64_t outbox_id = 0;
  std::string recipient;       // an address, or "webhook:ID"
  std::string recipient_name;  // "Amy Lead (lead)"
  int attempts = 0;            // made so far
  std::string message;
  std::string payload;
  std::int64_t case_id = 0;  // 0: about no case
};

// Statements on one connection, in the caller's transaction (like
// workflow::CaseStore). Timestamps are text as workflow/timestamp.h formats
// them. Throws what SOCI throws. Not thread-safe: one connection, one store.
class DeliveryStore {
 public:
  // `owner` names this process's claims.
  DeliveryStore(workflow::Database::Connection& connection, std::string owner);

  // Up to `limit` queued messages, oldest first, locked against other
  // processes' expansion (PostgreSQL) until the transaction ends.
  [[nodiscard]] std::vector<QueuedMessage> claim_unexpanded(int limit);
  // A message that cannot be read is dead at once, with why.
  void mark_unreadable(std::int64_t outbox_id, const std::string& now, const std::string& error);
  // One delivery of a message (a repeat of channel and recipient is ignored):
  // status pending, held (for a digest) or undeliverable; due `now`; `error`
  // recorded unless empty.
  void add_delivery(std::int64_t outbox_id, const std::string& channel, const std::string& recipient,
                    const std::string& recipient_name, const std::string& status, const std::string& error,
                    const std::string& now);
  // The message's deliveries are all added: it is expanded, and settled if none is pending.
  void mark_expanded(std::int64_t outbox_id, const std::string& now);

  // Claims up to `limit` pending deliveries due by `now` until `lease_until`, most overdue first.
  [[nodiscard]] std::vector<ClaimedDelivery> claim_due(const std::string& now, const std::string& lease_until,
                                                       int limit);
  // Claims up to `limit` deliveries held for digests, created before `cutoff`
  // and due by `now`, until `lease_until`, grouped by recipient.
  [[nodiscard]] std::vector<ClaimedDelivery> claim_held(const std::string& cutoff, const std::string& now,
                                                        const std::string& lease_until, int limit);
  // Extends this process's claim on a pending delivery; false when the claim
  // is no longer ours (its lease ran out and another process took it).
  [[nodiscard]] bool renew(std::int64_t delivery_id, const std::string& lease_until);

  // Records one attempt at a claimed delivery made at `now`: sent; or failed
  // and due again after the backoff, with status `waiting` meanwhile (pending,
  // or held for a digest); or dead after max_attempts. Settles the message.
  // Returns whether it gave up. Writes nothing when the claim is no longer ours.
  bool record_attempt(const RetryPolicy& policy, std::chrono::system_clock::time_point now,
                      const ClaimedDelivery& delivery, bool ok, const std::string& outcome, const std::string& waiting);

 private:
  // Marks each claimed delivery as ours until `lease_until`.
  void lease(const std::vector<ClaimedDelivery>& claimed, const std::string& lease_until);
  // The claim both of the above make: deliveries of `status` due by `now`
  // (and created before `created_before`, unless empty), in `order`.
  std::vector<ClaimedDelivery> claim(std::string_view status, const std::string& created_before, std::string_view order,
                                     const std::string& now, const std::string& lease_until, int limit);

  // Marks the message settled once none of its deliveries is pending or held:
  // dead if any is dead, else sent.
  void settle(std::int64_t outbox_id, const std::string& now);

  workflow::Database::Connection& connection_;
  std::string owner_;
};

}  // namespace s2s::notifications
