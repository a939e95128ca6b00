#include "notifications/expansion.h"

#include <boost/json.hpp>

#include <set>
#include <utility>

#include "notifications/delivery_store.h"
#include "notifications/message_fields.h"
#include "notifications/webhooks.h"
#include "workflow/timestamp.h"
#include "workflow/text.h"

namespace s2s::notifications {
namespace {

struct Recipient {
  std::string address;  // empty: nobody to send to
  std::string name;     // "Amy Lead (lead)", or why there is nobody
  bool digest = false;  // hears in the daily digest
};

}  // namespace

std::vector<std::string> roles_for(const workflow::KindRegistry& kinds, const std::string& message,
                                   const boost::json::object& payload) {
  if (message == "deadline_passed") return {"lead"};
  if (message == "deadline_reminder") {
    const auto* to = payload.if_contains("escalate_to");
    if (to != nullptr && to->is_string() && to->get_string() == "lead") return {"lead"};
    return {"lead", "system_leader", "school", "referrer"};
  }
  const auto* kind = kinds.find(text_of(payload, "kind"));
  const auto* spec = kind != nullptr ? kind->find_message(message) : nullptr;
  std::vector<std::string> out;
  if (spec == nullptr) return out;
  for (const auto role : workflow::split_list(spec->recipients)) out.emplace_back(role);
  return out;
}

std::size_t expand_messages(workflow::Database& db, const workflow::KindRegistry& kinds, const Directory& directory,
                            std::size_t batch, std::chrono::system_clock::time_point now_time, DispatchReport& report) {
  const std::string now = workflow::format_timestamp(now_time);
  return db.transact([&](workflow::Database::Connection& connection) {
    // Expansion claims nothing for later: the store's owner is never written.
    DeliveryStore store(connection, "");
    const auto queued = store.claim_unexpanded(static_cast<int>(batch));
    for (const auto& q : queued) {
      boost::json::object payload;
      int urn = 0;
      try {
        payload = boost::json::parse(q.payload).as_object();
        if (payload.contains("school_urn")) urn = static_cast<int>(payload.at("school_urn").to_number<long long>());
      } catch (const std::exception& e) {
        // One unreadable message must not stop the others: it is dead at once.
        store.mark_unreadable(q.id, now, std::string("unreadable message: ") + e.what());
        ++report.expanded;
        continue;
      }
      std::vector<std::pair<std::string, Recipient>> recipients;  // role, recipient
      const auto roles = roles_for(kinds, q.message, payload);
      if (roles.empty()) {
        recipients.emplace_back("nobody", Recipient{"", "no recipients are declared for message " + q.message +
                                                            " of kind " + text_of(payload, "kind")});
      }
      for (const auto& role : roles) {
        const auto found = directory.people(connection, role, q.case_id, urn);
        // Every role but the referrer (only an LA officer's referral has one) is expected.
        if (found.empty() && role != "referrer") {
          recipients.emplace_back(role, Recipient{"", "no " + role + " user for this case"});
        }
        for (const auto& p : found)
          recipients.emplace_back(role, Recipient{p.email, p.name + " (" + role + ")", p.digest});
      }
      std::set<std::string> seen;
      for (const auto& [role, r] : recipients) {
        const std::string address = r.address.empty() ? "missing:" + role : r.address;
        if (!seen.insert(address).second) continue;  // one message per address
        const std::string status = r.address.empty() ? "undeliverable" : r.digest ? "held" : "pending";
        store.add_delivery(q.id, "email", address, r.name, status, r.address.empty() ? "no address: " + r.name : "",
                           now);
        if (r.address.empty()) ++report.undeliverable;
      }
      for (const auto hook : webhooks_covering(connection, directory.areas_of_school(connection, urn))) {
        store.add_delivery(q.id, "webhook", "webhook:" + std::to_string(hook), "webhook " + std::to_string(hook),
                           "pending", "", now);
      }
      store.mark_expanded(q.id, now);
      ++report.expanded;
    }
    return queued.size();
  });
}

}  // namespace s2s::notifications
