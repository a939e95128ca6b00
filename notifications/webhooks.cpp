#include "notifications/webhooks.h"
#include "notifications/mailer.h"

#include <cctype>

#include <soci/soci.h>
#include <boost/json.hpp>

#include <algorithm>

#include "notifications/dispatcher.h"
#include "notifications/message_fields.h"
#include "workflow/sha256.h"
#include "workflow/timestamp.h"

namespace s2s::notifications {

using workflow::Database;

std::vector<std::int64_t> webhooks_covering(Database::Connection& connection, const std::vector<Area>& areas) {
  std::vector<std::int64_t> ids;
  for (const auto& area : areas) {
    long long hook = 0;
    soci::statement hooks =
        (connection.session().prepare << "SELECT id FROM webhooks WHERE scope_kind = :k AND scope_value = :v",
         soci::use(area.kind), soci::use(area.value), soci::into(hook));
    hooks.execute();
    while (hooks.fetch()) ids.push_back(hook);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::string send_webhook(Database& database, const Mailer& mailer, const ClaimedDelivery& d,
                         const boost::json::object& payload, const std::string& link, bool allow_private) {
  const long long hook = std::stoll(d.recipient.substr(d.recipient.find(':') + 1));
  std::string url;
  std::string secret;
  {
    auto connection = database.acquire();
    bool found = false;
    try {
      connection.session() << "SELECT url, secret FROM webhooks WHERE id = :id", soci::use(hook), soci::into(url),
          soci::into(secret);
      found = connection.session().got_data();
    } catch (...) {
      connection.rethrow_translated();
    }
    if (!found) throw DeliveryError("webhook " + std::to_string(hook) + " was removed");
  }
  boost::json::object body{{"delivery", "outbox-" + std::to_string(d.outbox_id)},
                           {"message", d.message},
                           {"case_id", d.case_id > 0 ? boost::json::value(d.case_id) : boost::json::value()},
                           {"reference", text_of(payload, "reference")},
                           {"kind", text_of(payload, "kind")},
                           {"event", text_of(payload, "event")},
                           {"state", text_of(payload, "state")},
                           {"school_urn", payload.contains("school_urn") ? payload.at("school_urn") : nullptr},
                           {"deadline", nullptr},
                           {"link", link}};
  if (payload.contains("due_on")) {
    body["deadline"] =
        boost::json::object{{"purpose", text_of(payload, "purpose")}, {"due_on", text_of(payload, "due_on")}};
  }
  // Named by id in records and logs: a webhook's URL may hold its own secret.
  try {
    post_webhook(url, secret, "outbox-" + std::to_string(d.outbox_id), boost::json::serialize(body),
                 mailer.options().timeout, allow_private);
  } catch (const DeliveryError& e) {
    throw DeliveryError("webhook " + std::to_string(hook) + ": " + e.what());
  }
  return "accepted by webhook " + std::to_string(hook);
}

// Declared in dispatcher.h, the notifications' public header.
std::int64_t add_webhook(Database& db, const Directory& directory, const std::string& scope, const std::string& url,
                         std::string& secret, std::chrono::system_clock::time_point now, bool allow_private) {
  const auto colon = scope.find(':');
  const std::string kind = colon == std::string::npos ? scope : scope.substr(0, colon);
  const std::string value = colon == std::string::npos ? "" : scope.substr(colon + 1);
  if ((kind != "alliance" && kind != "mini_region") || value.empty()) {
    throw NotificationError("--scope must be alliance:ID or mini_region:NAME, got '" + scope + "'");
  }
  if (!url.starts_with("http://") && !url.starts_with("https://")) {
    throw NotificationError("--url must be an http:// or https:// URL, got '" + url + "'");
  }
  if (!allow_private) {
    // The host as written: a name is checked again as each delivery connects.
    std::string host = url.substr(url.find("//") + 2);
    host = host.substr(0, host.find_first_of("/?#"));
    if (const auto at = host.rfind('@'); at != std::string::npos) host = host.substr(at + 1);
    if (host.starts_with("[")) {
      host = host.substr(1, host.find(']') - 1);
    } else if (const auto colon = host.rfind(':'); colon != std::string::npos) {
      host = host.substr(0, colon);
    }
    std::string lower = host;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    const bool literal = lower.find_first_not_of("0123456789.") == std::string::npos || lower.find(':') != std::string::npos;
    if (lower == "localhost" || lower.ends_with(".localhost") || (literal && is_private_address(lower))) {
      throw NotificationError("--url: " + host +
                              " is a loopback, private or link-local address, which a webhook may not reach "
                              "(s2sd serve --webhooks-to-private-addresses allows it)");
    }
  }
  secret = workflow::random_token("whsec_");
  const std::string at = workflow::format_timestamp(now);
  return db.transact([&](Database::Connection& connection) {
    auto& sql = connection.session();
    if (!directory.area_exists(connection, Area{kind, value})) {
      throw NotificationError("no " + kind + " '" + value + "'", workflow::ErrorCategory::not_found);
    }
    int taken = 0;
    sql << "SELECT count(*) FROM webhooks WHERE scope_kind = :k AND scope_value = :v AND url = :u", soci::use(kind),
        soci::use(value), soci::use(url), soci::into(taken);
    if (taken > 0) {
      throw NotificationError("a webhook to " + url + " for " + scope + " exists already",
                              workflow::ErrorCategory::conflict);
    }
    sql << "INSERT INTO webhooks (scope_kind, scope_value, url, secret, created_at) VALUES (:k, :v, :u, :s, :at)",
        soci::use(kind), soci::use(value), soci::use(url), soci::use(secret), soci::use(at);
    long long id = 0;
    sql << "SELECT id FROM webhooks WHERE scope_kind = :k AND scope_value = :v AND url = :u", soci::use(kind),
        soci::use(value), soci::use(url), soci::into(id);
    return static_cast<std::int64_t>(id);
  });
}

std::vector<Webhook> list_webhooks(Database& db) {
  return db.read([](soci::session& session) {
    std::vector<Webhook> out;
    soci::rowset<soci::row> rows = (session.prepare << "SELECT id, scope_kind, scope_value, url, CAST(created_at AS TEXT)"
                                                       " FROM webhooks ORDER BY scope_kind, scope_value, url");
    for (const auto& row : rows) {
      out.push_back(Webhook{workflow::row_integer(row, 0),
                            workflow::row_text(row, 1) + ":" + workflow::row_text(row, 2), workflow::row_text(row, 3),
                            workflow::normalize_timestamp(workflow::row_text(row, 4))});
    }
    return out;
  });
}

std::string rotate_webhook_secret(Database& db, std::int64_t id) {
  const std::string secret = workflow::random_token("whsec_");
  const long long key = id;
  db.transact([&](soci::session& sql) {
    soci::statement update = (sql.prepare << "UPDATE webhooks SET secret = :s WHERE id = :id", soci::use(secret),
                              soci::use(key));
    update.execute(true);
    if (update.get_affected_rows() != 1) {
      throw NotificationError("no webhook " + std::to_string(id), workflow::ErrorCategory::not_found);
    }
  });
  return secret;
}

void remove_webhook(Database& db, std::int64_t id) {
  const long long key = id;
  db.transact([&](soci::session& sql) {
    soci::statement remove = (sql.prepare << "DELETE FROM webhooks WHERE id = :id", soci::use(key));
    remove.execute(true);
    if (remove.get_affected_rows() != 1) {
      throw NotificationError("no webhook " + std::to_string(id), workflow::ErrorCategory::not_found);
    }
  });
}

}  // namespace s2s::notifications
