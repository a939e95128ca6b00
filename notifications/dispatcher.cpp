#include "notifications/dispatcher.h"

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <unistd.h>

#include "notifications/delivery_store.h"
#include "notifications/digest.h"
#include "notifications/expansion.h"
#include "notifications/message_fields.h"
#include "notifications/templates.h"
#include "notifications/webhooks.h"
#include "workflow/errors.h"
#include "workflow/timestamp.h"

namespace s2s::notifications {

using workflow::Database;
using workflow::format_timestamp;

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

DispatchReport Dispatcher::run_once() {
  DispatchReport report;
  while (expand_messages(*db_, *kinds_, *directory_, options_.batch, options_.clock(), report) == options_.batch) {
  }
  send_digests(*db_, *directory_, mailer_, options_, owner_, report);
  if (options_.each_round) options_.each_round(mailer_, options_.clock());
  const auto now_time = options_.clock();
  const std::string now = format_timestamp(now_time);
  const std::string lease_until = format_timestamp(now_time + options_.lease);

  // Claim: due deliveries become this process's until the lease ends.
  const std::vector<ClaimedDelivery> claimed = db_->transact([&](Database::Connection& connection) {
    return DeliveryStore(connection, owner_).claim_due(now, lease_until, static_cast<int>(options_.batch));
  });
  report.claimed = claimed.size();

  for (const auto& d : claimed) {
    if (stopping_) break;  // the rest fall due again when their leases end
    // Renew the claim just before sending: a delivery whose lease ran out
    // while earlier ones were sent may have been taken by another process.
    const std::string renewed_until = format_timestamp(options_.clock() + options_.lease);
    const bool still_ours = db_->transact(
        [&](Database::Connection& connection) { return DeliveryStore(connection, owner_).renew(d.id, renewed_until); });
    if (!still_ours) continue;
    std::map<std::string, std::string> fields;
    boost::json::object payload;
    std::string outcome;
    bool ok = false;
    try {
      payload = boost::json::parse(d.payload).as_object();
      fields = message_fields(*db_, *directory_, options_.public_url, payload, d.case_id, d.recipient_name);
      if (d.channel == "webhook") {
        outcome = send_webhook(*db_, mailer_, d, payload, fields["link"], options_.webhooks_to_private_addresses);
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
    const bool give_up = db_->transact([&](Database::Connection& connection) {
      return DeliveryStore(connection, owner_)
          .record_attempt(options_.retry(), options_.clock(), d, ok, outcome, "pending");
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

DispatchReport Dispatcher::run_until_idle() {
  DispatchReport total;
  for (;;) {
    const DispatchReport round = run_once();
    total.expanded += round.expanded;
    total.claimed += round.claimed;
    total.sent += round.sent;
    total.retried += round.retried;
    total.dead += round.dead;
    total.undeliverable += round.undeliverable;
    total.digests += round.digests;
    if (round.claimed < options_.batch || stopping_) return total;
  }
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
        const auto r = dispatcher.run_until_idle();
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

}  // namespace s2s::notifications
