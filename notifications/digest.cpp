#include "notifications/digest.h"

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "notifications/delivery_store.h"
#include "notifications/message_fields.h"
#include "notifications/templates.h"
#include "workflow/date.h"
#include "workflow/errors.h"
#include "workflow/text.h"
#include "workflow/timestamp.h"

namespace s2s::notifications {

using workflow::format_timestamp;

void send_digests(workflow::Database& db, const Directory& directory, const Mailer& mailer,
                  const DispatcherOptions& options, const std::string& owner, DispatchReport& report) {
  const auto now_time = options.clock();
  const auto now_seconds = std::chrono::floor<std::chrono::seconds>(now_time);
  const auto offset = workflow::london_utc_offset(now_seconds);
  const auto local = now_seconds + offset;
  const auto local_day = std::chrono::floor<std::chrono::days>(local);
  if (local - local_day < options.digest_at) return;
  const std::string cutoff = format_timestamp(local_day + options.digest_at - offset);
  const std::string now = format_timestamp(now_time);
  const std::string lease_until = format_timestamp(now_time + options.lease);
  const auto held = db.transact([&](workflow::Database::Connection& connection) {
    return DeliveryStore(connection, owner).claim_held(cutoff, now, lease_until, 1000);
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
        const auto fields =
            message_fields(db, directory, options.public_url, payload, held[i].case_id, held[i].recipient_name);
        const Rendered r = render(held[i].message, fields);
        const std::string& link = fields.at("page");
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
          "<digest-" + day_text + "-" + std::to_string(held[begin].id) + "@" + options.message_id_domain + ">";
      mailer.send(Email{message_id, held[begin].recipient, name, subject, text, html});
      ok = true;
      outcome = "digest accepted by " + mailer.redacted_url();
    } catch (const workflow::DatabaseUnavailable&) {
      throw;
    } catch (const std::exception& e) {
      outcome = e.what();
    }
    bool gave_up = false;
    db.transact([&](workflow::Database::Connection& connection) {
      DeliveryStore store(connection, owner);
      for (std::size_t i = begin; i < end; ++i) {
        gave_up = store.record_attempt(options.retry(), options.clock(), held[i], ok, outcome, "held") || gave_up;
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

}  // namespace s2s::notifications
