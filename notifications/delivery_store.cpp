#include "notifications/delivery_store.h"

#include <soci/soci.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>

#include "notifications/dispatcher.h"
#include "workflow/timestamp.h"

namespace s2s::notifications {

using workflow::Database;
using workflow::format_timestamp;

// Exponential backoff with +-25% jitter, so that retries from many messages
// do not arrive at a recovering server together.
std::chrono::milliseconds backoff(const RetryPolicy& policy, int attempts) {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  const double base = static_cast<double>(policy.backoff_base.count()) * 1000.0;
  const double cap = static_cast<double>(policy.backoff_cap.count()) * 1000.0;
  const double grown = std::min(base * std::pow(2.0, std::max(0, attempts - 1)), cap);
  std::uniform_real_distribution<double> jitter(0.75, 1.25);
  return std::chrono::milliseconds(static_cast<long long>(std::min(grown * jitter(random), cap)));
}

DeliveryStore::DeliveryStore(Database::Connection& connection, std::string owner)
    : connection_(connection), owner_(std::move(owner)) {}

std::vector<QueuedMessage> DeliveryStore::claim_unexpanded(int limit) {
  auto& sql = connection_.session();
  const bool postgres = connection_.backend() == workflow::Backend::postgresql;
  std::vector<QueuedMessage> out;
  long long id = 0;
  long long case_id = 0;
  soci::indicator case_ind = soci::i_ok;
  std::string message;
  std::string payload;
  soci::statement st =
      (sql.prepare << std::string("SELECT id, case_id, message, CAST(payload AS TEXT) FROM outbox"
                                  " WHERE status = 'pending' AND expanded_at IS NULL ORDER BY id LIMIT :n") +
                          (postgres ? " FOR UPDATE SKIP LOCKED" : ""),
       soci::use(limit), soci::into(id), soci::into(case_id, case_ind), soci::into(message), soci::into(payload));
  st.execute();
  while (st.fetch()) out.push_back(QueuedMessage{id, case_ind == soci::i_null ? 0 : case_id, message, payload});
  return out;
}

void DeliveryStore::mark_unreadable(std::int64_t outbox_id, const std::string& now, const std::string& error) {
  const long long id = outbox_id;
  connection_.session() << "UPDATE outbox SET expanded_at = :now, status = 'dead', last_error = :e WHERE id = :id",
      soci::use(now), soci::use(error), soci::use(id);
}

void DeliveryStore::add_delivery(std::int64_t outbox_id, const std::string& channel, const std::string& recipient,
                                 const std::string& recipient_name, const std::string& status, const std::string& error,
                                 const std::string& now) {
  const long long id = outbox_id;
  soci::indicator error_ind = error.empty() ? soci::i_null : soci::i_ok;
  connection_.session() << "INSERT INTO deliveries (outbox_id, channel, recipient, recipient_name, status,"
                           " next_attempt_at, last_error, created_at) VALUES (:o, :c, :r, :n, :s, :next, :e, :now)"
                           " ON CONFLICT (outbox_id, channel, recipient) DO NOTHING",
      soci::use(id), soci::use(channel), soci::use(recipient), soci::use(recipient_name), soci::use(status),
      soci::use(now), soci::use(error, error_ind), soci::use(now);
}

void DeliveryStore::mark_expanded(std::int64_t outbox_id, const std::string& now) {
  const long long id = outbox_id;
  connection_.session() << "UPDATE outbox SET expanded_at = :now WHERE id = :id", soci::use(now), soci::use(id);
  settle(outbox_id, now);
}

void DeliveryStore::settle(std::int64_t outbox_id, const std::string& now) {
  auto& sql = connection_.session();
  const long long id = outbox_id;
  // Two processes finishing its last deliveries at once must not each see the
  // other's as still pending: the row lock makes the second wait for the first.
  if (connection_.backend() == workflow::Backend::postgresql) {
    long long locked = 0;
    sql << "SELECT id FROM outbox WHERE id = :o FOR UPDATE", soci::use(id), soci::into(locked);
  }
  sql << "UPDATE outbox SET status = CASE WHEN EXISTS (SELECT 1 FROM deliveries WHERE outbox_id = :o1"
         " AND status = 'dead') THEN 'dead' ELSE 'sent' END, delivered_at = :now"
         " WHERE id = :o2 AND expanded_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM deliveries"
         " WHERE outbox_id = :o3 AND status IN ('pending', 'held'))",
      soci::use(id), soci::use(now), soci::use(id), soci::use(id);
}

void DeliveryStore::lease(const std::vector<ClaimedDelivery>& claimed, const std::string& lease_until) {
  auto& sql = connection_.session();
  for (const auto& d : claimed) {
    const long long key = d.id;
    sql << "UPDATE deliveries SET next_attempt_at = :lease, claimed_by = :me WHERE id = :id", soci::use(lease_until),
        soci::use(owner_), soci::use(key);
  }
}

std::vector<ClaimedDelivery> DeliveryStore::claim_due(const std::string& now, const std::string& lease_until,
                                                      int limit) {
  return claim("pending", "", "d.next_attempt_at, d.id", now, lease_until, limit);
}

std::vector<ClaimedDelivery> DeliveryStore::claim_held(const std::string& cutoff, const std::string& now,
                                                       const std::string& lease_until, int limit) {
  return claim("held", cutoff, "d.recipient, d.id", now, lease_until, limit);
}

std::vector<ClaimedDelivery> DeliveryStore::claim(std::string_view status, const std::string& created_before,
                                                  std::string_view order, const std::string& now,
                                                  const std::string& lease_until, int limit) {
  auto& sql = connection_.session();
  const bool postgres = connection_.backend() == workflow::Backend::postgresql;
  // The status and order are ours, written into the text so that the
  // partial index on pending deliveries serves the claim.
  std::string text = "SELECT d.id, d.channel, d.outbox_id, d.recipient, d.recipient_name, d.attempts, o.message,"
                     " CAST(o.payload AS TEXT), o.case_id FROM deliveries d JOIN outbox o ON o.id = d.outbox_id"
                     " WHERE d.status = '" + std::string(status) + "' AND d.next_attempt_at <= :now";
  if (!created_before.empty()) text += " AND d.created_at < :cutoff";
  text += " ORDER BY " + std::string(order) + " LIMIT :n";
  if (postgres) text += " FOR UPDATE OF d SKIP LOCKED";
  std::vector<ClaimedDelivery> out;
  long long id = 0;
  long long outbox_id = 0;
  long long case_id = 0;
  ClaimedDelivery c;
  soci::indicator case_ind = soci::i_ok;
  soci::statement st(sql);
  st.exchange(soci::use(now, "now"));
  if (!created_before.empty()) st.exchange(soci::use(created_before, "cutoff"));
  st.exchange(soci::use(limit, "n"));
  st.exchange(soci::into(id));
  st.exchange(soci::into(c.channel));
  st.exchange(soci::into(outbox_id));
  st.exchange(soci::into(c.recipient));
  st.exchange(soci::into(c.recipient_name));
  st.exchange(soci::into(c.attempts));
  st.exchange(soci::into(c.message));
  st.exchange(soci::into(c.payload));
  st.exchange(soci::into(case_id, case_ind));
  st.alloc();
  st.prepare(text);
  st.define_and_bind();
  st.execute();
  while (st.fetch()) {
    c.id = id;
    c.outbox_id = outbox_id;
    c.case_id = case_ind == soci::i_null ? 0 : case_id;
    out.push_back(c);
  }
  lease(out, lease_until);
  return out;
}

bool DeliveryStore::renew(std::int64_t delivery_id, const std::string& lease_until) {
  const long long id = delivery_id;
  soci::statement renew =
      (connection_.session().prepare << "UPDATE deliveries SET next_attempt_at = :lease"
                                        " WHERE id = :id AND claimed_by = :me AND status = 'pending'",
       soci::use(lease_until), soci::use(id), soci::use(owner_));
  renew.execute(true);
  return renew.get_affected_rows() > 0;
}

bool DeliveryStore::record_attempt(const RetryPolicy& policy, std::chrono::system_clock::time_point now,
                                   const ClaimedDelivery& delivery, bool ok, const std::string& outcome,
                                   const std::string& waiting) {
  auto& sql = connection_.session();
  const int attempts = delivery.attempts + 1;
  const bool dead = !ok && attempts >= policy.max_attempts;
  const std::string status = ok ? "sent" : dead ? "dead" : waiting;
  const std::string at = format_timestamp(now);
  const std::string next = ok ? at : format_timestamp(now + backoff(policy, attempts));
  const int ok_int = ok ? 1 : 0;
  const long long id = delivery.id;
  soci::indicator error_ind = ok ? soci::i_null : soci::i_ok;
  soci::indicator sent_ind = ok ? soci::i_ok : soci::i_null;
  soci::statement update =
      (sql.prepare << "UPDATE deliveries SET status = :s, attempts = :a, next_attempt_at = :next, last_error = :e,"
                      " sent_at = :sent, claimed_by = NULL WHERE id = :id AND claimed_by = :me",
       soci::use(status), soci::use(attempts), soci::use(next), soci::use(outcome, error_ind), soci::use(at, sent_ind),
       soci::use(id), soci::use(owner_));
  update.execute(true);
  if (update.get_affected_rows() == 0) return false;
  sql << "INSERT INTO delivery_attempts (delivery_id, attempted_at, ok, detail) VALUES (:d, :at, :ok, :detail)",
      soci::use(id), soci::use(at), soci::use(ok_int), soci::use(outcome);
  settle(delivery.outbox_id, at);
  return dead;
}

// Declared in dispatcher.h, the notifications' public header.
int resend(Database& db, std::int64_t outbox_id, std::chrono::system_clock::time_point now) {
  const long long id = outbox_id;
  const std::string at = format_timestamp(now);
  return db.transact([&](soci::session& sql) {
    std::string status;
    sql << "SELECT status FROM outbox WHERE id = :id", soci::use(id), soci::into(status);
    if (!sql.got_data()) {
      throw NotificationError("no notification " + std::to_string(outbox_id), workflow::ErrorCategory::not_found);
    }
    if (status != "dead") {
      throw NotificationError("notification " + std::to_string(outbox_id) + " is " + status +
                                  ", not a dead letter: only dead letters are resent",
                              workflow::ErrorCategory::conflict);
    }
    int count = 0;
    sql << "SELECT count(*) FROM deliveries WHERE outbox_id = :id AND status = 'dead'", soci::use(id),
        soci::into(count);
    sql << "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = :at WHERE outbox_id = :id"
           " AND status = 'dead'",
        soci::use(at), soci::use(id);
    sql << "UPDATE outbox SET status = 'pending', delivered_at = NULL WHERE id = :id", soci::use(id);
    return count;
  });
}

// Declared in dispatcher.h, the notifications' public header.
std::vector<Notification> notifications(Database& db, const std::string& status, std::size_t limit) {
  if (status != "pending" && status != "sent" && status != "dead") {
    throw NotificationError("status must be pending, sent or dead, not '" + status + "'");
  }
  const int n = static_cast<int>(limit);
  return db.transact([&](soci::session& sql) {
    std::vector<Notification> out;
    {
      Notification item;
      long long case_id = 0;
      soci::indicator case_ind = soci::i_ok;
      soci::statement st = (sql.prepare << "SELECT id, case_id, message, status, CAST(created_at AS TEXT) FROM outbox"
                                           " WHERE status = :s ORDER BY id LIMIT :n",
                            soci::use(status), soci::use(n), soci::into(item.outbox_id), soci::into(case_id, case_ind),
                            soci::into(item.message), soci::into(item.status), soci::into(item.created_at));
      st.execute();
      while (st.fetch()) {
        item.case_id = case_ind == soci::i_null ? std::nullopt : std::optional<std::int64_t>(case_id);
        item.created_at = workflow::normalize_timestamp(item.created_at);
        out.push_back(item);
      }
    }
    for (auto& item : out) {
      DeliveryRecord d;
      long long outbox_id = item.outbox_id;
      soci::indicator error_ind = soci::i_ok;
      soci::statement st = (sql.prepare << "SELECT id, channel, recipient, recipient_name, status, attempts, last_error"
                                           " FROM deliveries WHERE outbox_id = :o ORDER BY id",
                            soci::use(outbox_id), soci::into(d.id), soci::into(d.channel), soci::into(d.recipient),
                            soci::into(d.recipient_name), soci::into(d.status), soci::into(d.attempts),
                            soci::into(d.last_error, error_ind));
      st.execute();
      while (st.fetch()) {
        if (error_ind == soci::i_null) d.last_error.clear();
        item.deliveries.push_back(d);
      }
    }
    return out;
  });
}

}  // namespace s2s::notifications
