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
// `allow_private`: see post_webhook.
std::string send_webhook(workflow::Database& db, const Mailer& mailer, const ClaimedDelivery& delivery,
                         const boost::json::object& payload, const std::string& link, bool allow_private);

struct Webhook {
  std::int64_t id = 0;
  std::string scope;       // "alliance:1", "mini_region:Derbyshire"
  std::string url;         // where deliveries are POSTed (its secret is never shown again)
  std::string created_at;  // workflow/timestamp.h's stored form
};

// Every webhook, by scope then URL. Never the secrets.
[[nodiscard]] std::vector<Webhook> list_webhooks(workflow::Database& db);

// A new secret for the webhook, returned once (the receiver must be given it);
// deliveries from now on are signed with it. Throws NotificationError
// (not_found) for an unknown id.
[[nodiscard]] std::string rotate_webhook_secret(workflow::Database& db, std::int64_t id);

// Removes the webhook: its deliveries not yet made fail as "removed". Throws
// NotificationError (not_found) for an unknown id.
void remove_webhook(workflow::Database& db, std::int64_t id);

}  // namespace s2s::notifications
