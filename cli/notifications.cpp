#include "cli/notifications.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cases/kinds.h"
#include "cases/recipients.h"
#include "notifications/dispatcher.h"
#include "notifications/mailer.h"
#include "workflow/database.h"
#include "workflow/errors.h"

namespace s2s::cli {
namespace notifications_commands {

int run_notifications(const Settings& settings) {
  auto db = open_migrated(settings);
  notifications::Dispatcher dispatcher(db, cases::all_kinds(), cases::directory(), make_mailer(settings),
                                       dispatcher_options(settings));
  const auto r = dispatcher.run_until_idle();
  std::cout << "sent " << r.sent << ", to retry " << r.retried << ", dead " << r.dead << ", undeliverable "
            << r.undeliverable << ", digests " << r.digests << '\n';
  return r.dead == 0 ? 0 : 1;
}

int run_notifications_resend(const Settings& settings) {
  char* end = nullptr;
  const long long id = std::strtoll(settings.positional[0].c_str(), &end, 10);
  if (*end != '\0' || id <= 0)
    throw UsageError("ID must be a notification's number, got '" + settings.positional[0] + "'");
  auto db = open_migrated(settings);
  const int n = notifications::resend(*db, id, std::chrono::system_clock::now());
  record(*db, "notification.resend", "notification " + std::to_string(id),
         std::to_string(n) + (n == 1 ? " delivery" : " deliveries") + " queued again");
  std::cout << "notification " << id << ": " << n << " deliveries queued again\n";
  return 0;
}

int run_notifications_list(const Settings& settings) {
  auto db = open_migrated(settings);
  const std::string status = settings.get("status").value_or("dead");
  std::vector<notifications::Notification> found;
  found = notifications::notifications(*db, status, 1000);
  for (const auto& n : found) {
    std::cout << n.outbox_id << "  " << n.message << "  " << n.status << "  " << n.created_at << '\n';
    for (const auto& d : n.deliveries) {
      std::cout << "    " << d.recipient_name << " <" << d.recipient << ">: " << d.status << " after " << d.attempts
                << " attempt(s)" << (d.last_error.empty() ? "" : ": " + d.last_error) << '\n';
    }
  }
  if (found.empty()) std::cout << "no " << status << " notifications\n";
  return 0;
}

int run_webhook_add(const Settings& settings) {
  auto db = open_migrated(settings);
  std::string secret;
  const auto id = notifications::add_webhook(*db, *cases::directory(), settings.require("scope"),
                                             settings.require("url"), secret, std::chrono::system_clock::now(),
                                             settings.enabled("allow-private-address"));
  record(*db, "webhook.add", "webhook to " + settings.require("url"), "for " + settings.require("scope"));
  std::cout << "webhook " << id << ": " << settings.require("scope") << " -> " << settings.require("url")
            << "\nits signing secret, shown only now (X-S2S-Signature: sha256=HMAC-SHA256 of the body):\n"
            << secret << '\n';
  return 0;
}

}  // namespace notifications_commands

std::vector<OptionSpec> smtp_option_specs() {
  return {
      {"smtp-url", "URL", "mail server: smtp://host:port (STARTTLS when offered) or smtps://host:port", ""},
      {"smtp-user", "USER", "login at the mail server (none: no login)", ""},
      {"smtp-password", "PASSWORD", "its password (better from the environment than a flag)", ""},
      {"smtp-from", "ADDRESS", "the From of every message", "s2s <s2s@localhost>"},
      {"public-url", "URL", "where people reach s2s: links in messages", "http://127.0.0.1:8080"},
      {"notify-max-attempts", "N", "failed attempts before a message is a dead letter", "6"},
      {"notify-backoff-seconds", "S", "first retry after this, doubling (with jitter) up to an hour", "30"},
      {"notify-poll-ms", "MS", "how often serve looks for messages to send", "5000"},
      {"notify-lease-seconds", "S", "a message being sent is this process's for this long (then sent again)", "120"},
      {"digest-at", "HH:MM", "when the daily digest and the monthly forecast go out (Europe/London)", "07:00"},
      {"webhooks-to-private-addresses", "", "let webhooks reach loopback and private addresses (a test receiver)", ""},
  };
}

notifications::Mailer make_mailer(const Settings& settings) {
  notifications::SmtpOptions smtp;
  smtp.url = settings.require("smtp-url");
  smtp.user = settings.get("smtp-user").value_or("");
  smtp.password = settings.get("smtp-password").value_or("");
  smtp.from = settings.get("smtp-from").value_or("s2s <s2s@localhost>");
  try {
    return notifications::Mailer(smtp);
  } catch (const workflow::ConfigError& e) {
    throw UsageError(settings.source("smtp-url") + ": " + e.what());
  }
}

notifications::DispatcherOptions dispatcher_options(const Settings& settings) {
  notifications::DispatcherOptions options;
  options.max_attempts = static_cast<int>(settings.integer("notify-max-attempts", 1, 100));
  options.backoff_base = std::chrono::seconds(settings.integer("notify-backoff-seconds", 0, 86400));
  options.public_url = settings.get("public-url").value_or("http://127.0.0.1:8080");
  // Longer than one send may take (the mail server's 15 s timeout), so that a
  // live process never loses a claim mid-send.
  options.lease = std::chrono::seconds(settings.integer("notify-lease-seconds", 30, 86400));
  options.webhooks_to_private_addresses = settings.enabled("webhooks-to-private-addresses");
  const std::string at = settings.get("digest-at").value_or("07:00");
  int hours = -1;
  int minutes = -1;
  if (at.size() != 5 || at[2] != ':' || std::sscanf(at.c_str(), "%2d:%2d", &hours, &minutes) != 2 || hours < 0 ||
      hours > 23 || minutes < 0 || minutes > 59) {
    throw UsageError(settings.source("digest-at") + ": digest-at must be HH:MM (24-hour), got '" + at + "'");
  }
  options.digest_at = std::chrono::minutes(hours * 60 + minutes);
  return options;
}

}  // namespace s2s::cli
