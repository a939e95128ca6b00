#pragma once

#include <string>

#include "notifications/directory.h"
#include "notifications/dispatcher.h"
#include "notifications/mailer.h"
#include "workflow/database.h"

// The daily digest: once a day, after options.digest_at (Europe/London), each
// person who asked for a digest gets one message listing what was held for
// them before that time. Claimed with a lease like any delivery, under
// `owner`; a failure is retried with backoff and, after max_attempts, makes
// them dead letters like any other. Counts digests, retries and dead ones in
// `report`. Throws workflow::DatabaseUnavailable; a mail server's failure is
// recorded, never thrown.
namespace s2s::notifications {

void send_digests(workflow::Database& db, const Directory& directory, const Mailer& mailer,
                  const DispatcherOptions& options, const std::string& owner, DispatchReport& report);

}  // namespace s2s::notifications
