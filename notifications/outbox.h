#pragma once

#include <map>
#include <string>

#include "workflow/database.h"

// The notification outbox: rows the engine writes in each event's transaction,
// for the dispatcher to deliver.
namespace s2s::notifications {

struct OutboxCounts {
  long long pending = 0;  // waiting to be sent (or retried)
  long long sent = 0;
  long long dead = 0;  // gave up after the configured attempts
};

// Counts outbox rows by status. Throws workflow::DatabaseUnavailable or DatabaseError.
[[nodiscard]] OutboxCounts outbox_counts(workflow::Database& db);

// Counts deliveries (one per recipient) by status: every status a delivery
// can have is listed, 0 when none has it. Throws as outbox_counts.
[[nodiscard]] std::map<std::string, long long> delivery_counts(workflow::Database& db);

}  // namespace s2s::notifications
