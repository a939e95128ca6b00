#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "notifications/delivery_store.h"
#include "notifications/directory.h"
#include "notifications/mailer.h"
#include "workflow/database.h"

// Webhooks: an alliance's or a mini region's endpoint that every notification
// about a school in it is POSTed to, signed with HMAC-SHA256 (mailer.h,
// post_webhook). The webhooks table is this file's; add_webhook, which adds
// one, is declared in dispatcher.h.
namespace s2s::notifications {

// The ids of the webhooks covering any of `areas`, ascending, each once; on
// the caller's connection and transaction.
[[nodiscard]] std::vector<std::int64_t> webhooks_covering(workflow::Database::Connection& connection,
                                                          const std::vector<Area>& areas);

// POSTs a claimed webhook delivery ("webhook:ID") with the message's JSON
// body and `link` to the case, waiting at most the mailer's timeout; returns
// what happened. Throws DeliveryError when the webhook was removed or its
// receiver refused (named by id: a URL may hold its own secret).
std::string send_webhook(workflow::Database& db, const Mailer& mailer, const ClaimedDelivery& delivery,
                         const boost::json::object& payload, const std::string& link);

}  // namespace s2s::notifications
