#include "notifications/dispatcher.h"

#include <soci/soci.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "notifications/templates.h"

#include <unistd.h>
#include "workflow/date.h"
#include "workflow/errors.h"
#include "workflow/text.h"
#include "workflow/timestamp.h"

namespace s2s::notifications {
namespace {

using workflow::Database;
using workflow::format_timestamp;

struct Recipient {
  std::string address;  // empty: nobody to send to
  std::string name;     // "Amy Lead (lead)", or why there is nobody
  bool digest = false;  // hears in the daily digest
};

std::string text_of(const boost::json::object& o, const char* key);

// The roles that hear of a message: the engine's own deadline messages by
// their escalation, every other by what the case's kind declares for it
// (workflow::MessageSpec). Empty when the kind declares nothing for it.
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
  std::string_view rest = spec->recipients;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    out.emplace_back(rest.substr(0, comma));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

// "support_request" as "support request".
std::string words(std::string text) {
  std::replace(text.begin(), text.end(), '_', ' ');
  return text;
}

std::string text_of(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return "";
  if (v->is_string()) return std::string(v->get_string());
  return boost::json::serialize(*v);
}

// Exponential backoff with +-25% jitter, so that retries from many messages
// do not arrive at a recovering server together.
std::chrono::milliseconds backoff(const DispatcherOptions& options, int attempts) {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  const double base = static_cast<double>(options.backoff_base.count()) * 1000.0;
  const double grown = std::min(base * std::pow(2.0, std::max(0, attempts - 1)),
                                static_cast<double>(options.backoff_cap.count()) * 1000.0);
  std::uniform_real_distribution<double> jitter(0.75, 1.25);
  const double cap = static_cast<double>(options.backoff_cap.count()) * 1000.0;
  return std::chrono::milliseconds(static_cast<long long>(std::min(grown * jitter(random), cap)));
}

struct Claimed {
  long long id = 0;
  std::string channel;
  long long outbox_id = 0;
  std::string recipient;
  std::string recipient_name;
  int attempts = 0;
  std::string message;
  std::string payload;
  long long case_id = 0;
};

// The school's name for messages ("URN 123456" when it is not in the register).
std::string school_name(Database& db, const Directory& directory, const std::string& urn_text) {
  int urn = 0;
  std::from_chars(urn_text.data(), urn_text.data() + urn_text.size(), urn);
  auto connection = db.acquire();
  return directory.school_name(connection, urn).value_or("URN " + urn_text);
}

// What a template may say of a message, for one recipient.
std::map<std::string, std::string> message_fields(Database& db, const Directory& directory,
                                                  const DispatcherOptions& options,
                                                  const boost::json::object& payload, long long case_id,
                                                  const std::string& recipient_name) {
  const std::string purpose = text_of(payload, "purpose");
  std::map<std::string, std::string> fields{
      {"reference", text_of(payload, "reference")},
      {"kind_title", words(text_of(payload, "kind"))},
      {"school_urn", text_of(payload, "school_urn")},
      {"state", text_of(payload, "state")},
      {"event", text_of(payload, "event")},
      {"purpose", purpose},
      {"purpose_title", workflow::purpose_title(purpose)},
      {"due_on", text_of(payload, "due_on")},
      {"risk_level", text_of(payload, "risk_level")},
      {"recommendations", text_of(payload, "recommendations")},
      {"designation", text_of(payload, "designation")},
      {"ended_on", text_of(payload, "ended_on")},
      {"ended_by", text_of(payload, "ended_by")},
      {"recipient_name", recipient_name.substr(0, recipient_name.rfind(" ("))},
      {"link", options.public_url + "/api/v1/cases/" + std::to_string(case_id)},
  };
  fields["school_name"] = school_name(db, directory, fields["school_urn"]);
  return fields;
}

// Marks the outbox message settled once none of its deliveries is pending:
// dead if any is dead, else sent.
void settle_outbox(soci::session& sql, long long outbox_id, const std::string& now) {
  // Two processes finishing its last deliveries at once must not each see the
  // other's as still pending: the row lock makes the second wait for the first.
  if (sql.get_backend_name() == "postgresql") {
    long long locked = 0;
    sql << "SELECT id FROM outbox WHERE id = :o FOR UPDATE", soci::use(outbox_id), soci::into(locked);
  }
  sql << "UPDATE outbox SET status = CASE WHEN EXISTS (SELECT 1 FROM deliveries WHERE outbox_id = :o1"
         " AND status = 'dead') THEN 'dead' ELSE 'sent' END, delivered_at = :now"
         " WHERE id = :o2 AND expanded_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM deliveries"
         " WHERE outbox_id = :o3 AND status IN ('pending', 'held'))",
      soci::use(outbox_id), soci::use(now), soci::use(outbox_id), soci::use(outbox_id);
}

// Records one attempt at a delivery this process has claimed: sent; or failed
// and due again after the backoff, with status `waiting` meanwhile (pending,
// or held for a digest); or dead after max_attempts. Returns whether it gave
// up. Writes nothing when the claim is no longer ours (its new owner records it).
bool record_attempt(soci::session& sql, const DispatcherOptions& options, const std::string& owner, long long delivery,
                    long long outbox, int earlier_attempts, bool ok, const std::string& outcome,
                    const std::string& waiting) {
  const int attempts = earlier_attempts + 1;
  const bool dead = !ok && attempts >= options.max_attempts;
  const std::string status = ok ? "sent" : dead ? "dead" : waiting;
  const std::string at = format_timestamp(options.clock());
  const std::string next = ok ? at : format_timestamp(options.clock() + backoff(options, attempts));
  const int ok_int = ok ? 1 : 0;
  soci::indicator error_ind = ok ? soci::i_null : soci::i_ok;
  soci::indicator sent_ind = ok ? soci::i_ok : soci::i_null;
  soci::statement update =
      (sql.prepare << "UPDATE deliveries SET status = :s, attempts = :a, next_attempt_at = :next, last_error = :e,"
                      " sent_at = :sent, claimed_by = NULL WHERE id = :id AND claimed_by = :me",
       soci::use(status), soci::use(attempts), soci::use(next), soci::use(outcome, error_ind), soci::use(at, sent_ind),
       soci::use(delivery), soci::use(owner));
  update.execute(true);
  if (update.get_affected_rows() == 0) return false;
  sql << "INSERT INTO delivery_attempts (delivery_id, attempted_at, ok, detail) VALUES (:d, :at, :ok, :detail)",
      soci::use(delivery), soci::use(at), soci::use(ok_int), soci::use(outcome);
  settle_outbox(sql, outbox, at);
  return dead;
}

// POSTs the message to the webhook the delivery names; returns what happened.
std::string send_webhook(Database& database, const Mailer& mailer, const Claimed& d, const boost::json::object& payload,
                         const std::string& link) {
  const long long hook = std::stoll(d.recipient.substr(d.recipient.find(':') + 1));
  std::string url;
  std::string secret;
  {
    auto connection = database.acquire();
    connection.session() << "SELECT url, secret FROM webhooks WHERE id = :id", soci::use(hook), soci::into(url),
        soci::into(secret);
    if (!connection.session().got_data()) throw DeliveryError("webhook " + std::to_string(hook) + " was removed");
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
                 mailer.options().timeout);
  } catch (const DeliveryError& e) {
    throw DeliveryError("webhook " + std::to_string(hook) + ": " + e.what());
  }
  return "accepted by webhook " + std::to_string(hook);
}

}  // namespace

Dispatcher::Dispatcher(std::shared_ptr<Database> db, std::shared_ptr<const workflow::KindRegistry> kinds,
                       std::shared_ptr<const Directory> directory, Mailer mailer, DispatcherOptions options)
    : db_(std::move(db)),
      kinds_(std::move(kinds)),
      directory_(std::move(directory)),
      mailer_(std::move(mailer)),
      options_(std::move(options)) {
  if (!kinds_) throw std::invalid_argument("a Dispatcher needs the case kinds: they say who hears each message");
  if (!directory_) throw std::invalid_argument("a Dispatcher needs a directory: it says who the people on a case are");
  check_templates();
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  owner_ = std::string(host) + ":" + std::to_string(::getpid()) + ":" + std::to_string(std::random_device{}());
}

std::size_t Dispatcher::expand(DispatchReport& report) {
  const auto now_time = options_.clock();
  const std::string now = format_timestamp(now_time);
  const bool postgres = db_->backend() == workflow::Backend::postgresql;
  const int limit = static_cast<int>(options_.batch);
  return db_->transact([&](Database::Connection& connection) {
    auto& sql = connection.session();
    std::vector<std::tuple<long long, long long, std::string, std::string>> rows;
    {
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
      while (st.fetch()) rows.emplace_back(id, case_ind == soci::i_null ? 0 : case_id, message, payload);
    }
    for (const auto& [id, case_id, message, payload_text] : rows) {
      boost::json::object payload;
      int urn = 0;
      try {
        payload = boost::json::parse(payload_text).as_object();
        if (payload.contains("school_urn")) urn = static_cast<int>(payload.at("school_urn").to_number<long long>());
      } catch (const std::exception& e) {
        // One unreadable message must not stop the others: it is dead at once.
        const std::string error = std::string("unreadable message: ") + e.what();
        sql << "UPDATE outbox SET expanded_at = :now, status = 'dead', last_error = :e WHERE id = :id", soci::use(now),
            soci::use(error), soci::use(id);
        ++report.expanded;
        continue;
      }
      std::vector<std::pair<std::string, Recipient>> recipients;  // role, recipient
      const auto roles = roles_for(*kinds_, message, payload);
      if (roles.empty()) {
        recipients.emplace_back("nobody", Recipient{"", "no recipients are declared for message " + message +
                                                            " of kind " + text_of(payload, "kind")});
      }
      for (const auto& role : roles) {
        std::vector<Recipient> found;
        for (auto& p : directory_->people(connection, role, case_id, urn)) {
          found.push_back(Recipient{std::move(p.email), p.name + " (" + role + ")", p.digest});
        }
        // Every role but the referrer (only an LA officer's referral has one) is expected.
        if (found.empty() && role != "referrer") {
          recipients.emplace_back(role, Recipient{"", "no " + role + " user for this case"});
        }
        for (auto& r : found) recipients.emplace_back(role, std::move(r));
      }
      std::set<std::string> seen;
      for (const auto& [role, r] : recipients) {
        const std::string address = r.address.empty() ? "missing:" + role : r.address;
        if (!seen.insert(address).second) continue;  // one message per address
        const std::string status = r.address.empty() ? "undeliverable" : r.digest ? "held" : "pending";
        const std::string error = r.address.empty() ? "no address: " + r.name : "";
        soci::indicator error_ind = error.empty() ? soci::i_null : soci::i_ok;
        sql << "INSERT INTO deliveries (outbox_id, channel, recipient, recipient_name, status, next_attempt_at,"
               " last_error, created_at) VALUES (:o, 'email', :r, :n, :s, :next, :e, :now)"
               " ON CONFLICT (outbox_id, channel, recipient) DO NOTHING",
            soci::use(id), soci::use(address), soci::use(r.name), soci::use(status), soci::use(now),
            soci::use(error, error_ind), soci::use(now);
        if (r.address.empty()) ++report.undeliverable;
      }
      // The webhooks of the school's alliances and mini region.
      {
        std::vector<long long> ids;
        for (const auto& area : directory_->areas_of_school(connection, urn)) {
          long long hook = 0;
          soci::statement hooks = (sql.prepare << "SELECT id FROM webhooks WHERE scope_kind = :k AND scope_value = :v",
                                   soci::use(area.kind), soci::use(area.value), soci::into(hook));
          hooks.execute();
          while (hooks.fetch()) ids.push_back(hook);
        }
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        for (const auto h : ids) {
          const std::string recipient = "webhook:" + std::to_string(h);
          const std::string name = "webhook " + std::to_string(h);
          sql << "INSERT INTO deliveries (outbox_id, channel, recipient, recipient_name, status, next_attempt_at,"
                 " created_at) VALUES (:o, 'webhook', :r, :n, 'pending', :next, :now)"
                 " ON CONFLICT (outbox_id, channel, recipient) DO NOTHING",
              soci::use(id), soci::use(recipient), soci::use(name), soci::use(now), soci::use(now);
        }
      }
      sql << "UPDATE outbox SET expanded_at = :now WHERE id = :id", soci::use(now), soci::use(id);
      settle_outbox(sql, id, now);
      ++report.expanded;
    }
    return rows.size();
  });
}

// Once a day, after digest_at (Europe/London), each person who asked for a
// digest gets one message listing what was held for them before that time.
// Claimed with a lease like any delivery; a failure is retried with backoff
// and, after max_attempts, makes them dead letters like any other.
void Dispatcher::send_digests(DispatchReport& report) {
  const auto now_time = options_.clock();
  const auto now_seconds = std::chrono::floor<std::chrono::seconds>(now_time);
  const auto offset = workflow::london_utc_offset(now_seconds);
  const auto local = now_seconds + offset;
  const auto local_day = std::chrono::floor<std::chrono::days>(local);
  if (local - local_day < options_.digest_at) return;
  const std::string cutoff = format_timestamp(local_day + options_.digest_at - offset);
  const std::string now = format_timestamp(now_time);
  const std::string lease_until = format_timestamp(now_time + options_.lease);
  const bool postgres = db_->backend() == workflow::Backend::postgresql;
  struct Held {
    long long id = 0;
    long long outbox_id = 0;
    std::string recipient;
    std::string recipient_name;
    std::string message;
    std::string payload;
    long long case_id = 0;
    int attempts = 0;
  };
  const auto held = db_->transact([&](soci::session& sql) {
    std::vector<Held> out;
    Held h;
    soci::indicator case_ind = soci::i_ok;
    soci::statement st =
        (sql.prepare << std::string("SELECT d.id, d.outbox_id, d.recipient, d.recipient_name, o.message,"
                                    " CAST(o.payload AS TEXT), o.case_id, d.attempts FROM deliveries d JOIN outbox o"
                                    " ON o.id = d.outbox_id WHERE d.status = 'held' AND d.created_at < :cutoff"
                                    " AND d.next_attempt_at <= :now ORDER BY d.recipient, d.id LIMIT 1000") +
                            (postgres ? " FOR UPDATE OF d SKIP LOCKED" : ""),
         soci::use(cutoff), soci::use(now), soci::into(h.id), soci::into(h.outbox_id), soci::into(h.recipient),
         soci::into(h.recipient_name), soci::into(h.message), soci::into(h.payload), soci::into(h.case_id, case_ind),
         soci::into(h.attempts));
    st.execute();
    while (st.fetch()) {
      if (case_ind == soci::i_null) h.case_id = 0;
      out.push_back(h);
    }
    for (const auto& d : out) {
      sql << "UPDATE deliveries SET next_attempt_at = :lease, claimed_by = :me WHERE id = :id", soci::use(lease_until),
          soci::use(owner_), soci::use(d.id);
    }
    return out;
  });
  std::size_t begin = 0;
  while (begin < held.size()) {
    std::size_t end = begin;
    while (end < held.size() && held[end].recipient == held[begin].recipient) ++end;
    const std::string name = held[begin].recipient_name.substr(0, held[begin].recipient_name.rfind(" ("));
    std::string text = "Hello " + name + ",\n\nWhat happened on your cases since your last digest:\n\n";
    std::string html = "<p>Hello " + workflow::html_escape(name) +
                       ",</p>\n<p>What happened on your cases since your last digest:</p>\n<ul>\n";
    std::string outcome;
    bool ok = false;
    try {
      for (std::size_t i = begin; i < end; ++i) {
        const auto payload = boost::json::parse(held[i].payload).as_object();
        const auto fields = message_fields(*db_, *directory_, options_, payload, held[i].case_id, held[i].recipient_name);
        const Rendered r = render(held[i].message, fields);
        const std::string& link = fields.at("link");
        text += "- " + r.subject + "\n  " + link + "\n";
        html +=
            "<li><a href=\"" + workflow::html_escape(link) + "\">" + workflow::html_escape(r.subject) + "</a></li>\n";
      }
      html += "</ul>\n<p>s2s, school-to-school support</p>\n";
      text += "\ns2s, school-to-school support\n";
      const auto day = std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(local_day));
      const std::string day_text = workflow::format_date(day);
      const std::string subject = "s2s daily digest for " + day_text + ": " + std::to_string(end - begin) + " update" +
                                  (end - begin == 1 ? "" : "s");
      const std::string message_id =
          "<digest-" + day_text + "-" + std::to_string(held[begin].id) + "@" + options_.message_id_domain + ">";
      mailer_.send(Email{message_id, held[begin].recipient, name, subject, text, html});
      ok = true;
      outcome = "digest accepted by " + mailer_.redacted_url();
    } catch (const workflow::DatabaseUnavailable&) {
      throw;
    } catch (const std::exception& e) {
      outcome = e.what();
    }
    bool gave_up = false;
    db_->transact([&](soci::session& sql) {
      for (std::size_t i = begin; i < end; ++i) {
        gave_up = record_attempt(sql, options_, owner_, held[i].id, held[i].outbox_id, held[i].attempts, ok, outcome,
                                 "held") ||
                  gave_up;
      }
    });
    if (ok) {
      ++report.digests;
    } else if (gave_up) {
      ++report.dead;
      spdlog::warn("digest to {} is a dead letter: {}", held[begin].recipient_name, outcome);
    } else {
      ++report.retried;
      spdlog::warn("digest to {} not sent, to be retried: {}", held[begin].recipient_name, outcome);
    }
    begin = end;
  }
}

DispatchReport Dispatcher::run_once() {
  DispatchReport report;
  while (expand(report) == options_.batch) {
  }
  send_digests(report);
  const auto now_time = options_.clock();
  const std::string now = format_timestamp(now_time);
  const std::string lease_until = format_timestamp(now_time + options_.lease);
  const bool postgres = db_->backend() == workflow::Backend::postgresql;
  const int limit = static_cast<int>(options_.batch);

  // Claim: due deliveries become this process's until the lease ends.
  std::vector<Claimed> claimed = db_->transact([&](soci::session& sql) {
    std::vector<Claimed> out;
    Claimed c;
    soci::indicator case_ind = soci::i_ok;
    soci::statement st =
        (sql.prepare << std::string("SELECT d.id, d.channel, d.outbox_id, d.recipient, d.recipient_name, d.attempts,"
                                    " o.message,"
                                    " CAST(o.payload AS TEXT), o.case_id FROM deliveries d JOIN outbox o"
                                    " ON o.id = d.outbox_id WHERE d.status = 'pending' AND d.next_attempt_at <= :now"
                                    " ORDER BY d.next_attempt_at, d.id LIMIT :n") +
                            (postgres ? " FOR UPDATE OF d SKIP LOCKED" : ""),
         soci::use(now), soci::use(limit), soci::into(c.id), soci::into(c.channel), soci::into(c.outbox_id),
         soci::into(c.recipient), soci::into(c.recipient_name), soci::into(c.attempts), soci::into(c.message),
         soci::into(c.payload), soci::into(c.case_id, case_ind));
    st.execute();
    while (st.fetch()) {
      if (case_ind == soci::i_null) c.case_id = 0;
      out.push_back(c);
    }
    for (const auto& d : out) {
      sql << "UPDATE deliveries SET next_attempt_at = :lease, claimed_by = :me WHERE id = :id", soci::use(lease_until),
          soci::use(owner_), soci::use(d.id);
    }
    return out;
  });

  for (const auto& d : claimed) {
    if (stopping_) break;  // the rest fall due again when their leases end
    // Renew the claim just before sending: a delivery whose lease ran out
    // while earlier ones were sent may have been taken by another process.
    const std::string renewed_until = format_timestamp(options_.clock() + options_.lease);
    const bool still_ours = db_->transact([&](soci::session& sql) {
      soci::statement renew = (sql.prepare << "UPDATE deliveries SET next_attempt_at = :lease WHERE id = :id"
                                              " AND claimed_by = :me AND status = 'pending'",
                               soci::use(renewed_until), soci::use(d.id), soci::use(owner_));
      renew.execute(true);
      return renew.get_affected_rows() > 0;
    });
    if (!still_ours) continue;
    std::map<std::string, std::string> fields;
    boost::json::object payload;
    std::string outcome;
    bool ok = false;
    try {
      payload = boost::json::parse(d.payload).as_object();
      fields = message_fields(*db_, *directory_, options_, payload, d.case_id, d.recipient_name);
      if (d.channel == "webhook") {
        outcome = send_webhook(*db_, mailer_, d, payload, fields["link"]);
      } else {
        const Rendered rendered = render(d.message, fields);
        mailer_.send(Email{"<outbox-" + std::to_string(d.outbox_id) + "@" + options_.message_id_domain + ">",
                           d.recipient, fields["recipient_name"], rendered.subject, rendered.text, rendered.html});
        outcome = "accepted by " + mailer_.redacted_url();
      }
      ok = true;
    } catch (const workflow::DatabaseUnavailable&) {
      throw;  // the round stops; the claim's lease brings it back
    } catch (const std::exception& e) {
      outcome = e.what();  // the server's refusal, or a message that cannot be rendered
    }
    const bool give_up = db_->transact([&](soci::session& sql) {
      return record_attempt(sql, options_, owner_, d.id, d.outbox_id, d.attempts, ok, outcome, "pending");
    });
    const int attempts = d.attempts + 1;
    if (ok) {
      ++report.sent;
    } else if (give_up) {
      ++report.dead;
      spdlog::warn("notification {} to {} is a dead letter after {} attempts: {}", d.outbox_id, d.recipient_name,
                   attempts, outcome);
    } else {
      ++report.retried;
    }
  }
  return report;
}

struct DispatchService::Impl {
  Dispatcher& dispatcher;
  std::chrono::milliseconds poll;
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::thread thread;

  void loop() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      lock.unlock();
      try {
        const auto r = dispatcher.run_once();
        if (r.sent + r.retried + r.dead + r.undeliverable > 0) {
          spdlog::info("notifications: {} sent, {} to retry, {} dead, {} undeliverable", r.sent, r.retried, r.dead,
                       r.undeliverable);
        }
      } catch (const std::exception& e) {
        spdlog::warn("notifications: round failed, trying again in {} ms: {}", poll.count(), e.what());
      }
      lock.lock();
      wake.wait_for(lock, poll, [this] { return stopping; });
    }
  }
};

DispatchService::DispatchService(Dispatcher& dispatcher, std::chrono::milliseconds poll)
    : impl_(std::make_unique<Impl>(dispatcher, poll)) {}

DispatchService::~DispatchService() { stop(); }

void DispatchService::start() {
  if (impl_->thread.joinable()) return;
  impl_->thread = std::thread([this] { impl_->loop(); });
}

void DispatchService::stop() {
  impl_->dispatcher.request_stop();
  {
    const std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::int64_t add_webhook(Database& db, const Directory& directory, const std::string& scope, const std::string& url, std::string& secret,
                         std::chrono::system_clock::time_point now) {
  const auto colon = scope.find(':');
  const std::string kind = colon == std::string::npos ? scope : scope.substr(0, colon);
  const std::string value = colon == std::string::npos ? "" : scope.substr(colon + 1);
  if ((kind != "alliance" && kind != "mini_region") || value.empty()) {
    throw NotificationError("--scope must be alliance:ID or mini_region:NAME, got '" + scope + "'");
  }
  if (!url.starts_with("http://") && !url.starts_with("https://")) {
    throw NotificationError("--url must be an http:// or https:// URL, got '" + url + "'");
  }
  std::array<unsigned char, 24> bytes{};
  std::random_device random;
  for (auto& b : bytes) b = static_cast<unsigned char>(random());
  static constexpr char kHex[] = "0123456789abcdef";
  secret = "whsec_";
  for (const auto b : bytes) {
    secret += kHex[b >> 4];
    secret += kHex[b & 15];
  }
  const std::string at = format_timestamp(now);
  return db.transact([&](Database::Connection& connection) {
    auto& sql = connection.session();
    if (!directory.area_exists(connection, Area{kind, value})) throw NotificationError("no " + kind + " '" + value + "'", workflow::ErrorCategory::not_found);
    int taken = 0;
    sql << "SELECT count(*) FROM webhooks WHERE scope_kind = :k AND scope_value = :v AND url = :u", soci::use(kind),
        soci::use(value), soci::use(url), soci::into(taken);
    if (taken > 0) throw NotificationError("a webhook to " + url + " for " + scope + " exists already", workflow::ErrorCategory::conflict);
    sql << "INSERT INTO webhooks (scope_kind, scope_value, url, secret, created_at) VALUES (:k, :v, :u, :s, :at)",
        soci::use(kind), soci::use(value), soci::use(url), soci::use(secret), soci::use(at);
    long long id = 0;
    sql << "SELECT id FROM webhooks WHERE scope_kind = :k AND scope_value = :v AND url = :u", soci::use(kind),
        soci::use(value), soci::use(url), soci::into(id);
    return static_cast<std::int64_t>(id);
  });
}

int resend(Database& db, std::int64_t outbox_id, std::chrono::system_clock::time_point now) {
  const long long id = outbox_id;
  const std::string at = format_timestamp(now);
  return db.transact([&](soci::session& sql) {
    std::string status;
    sql << "SELECT status FROM outbox WHERE id = :id", soci::use(id), soci::into(status);
    if (!sql.got_data()) throw NotificationError("no notification " + std::to_string(outbox_id), workflow::ErrorCategory::not_found);
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
