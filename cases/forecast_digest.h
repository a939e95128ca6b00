#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "cases/forecast.h"
#include "cases/users.h"
#include "notifications/delivery_store.h"
#include "notifications/mailer.h"
#include "workflow/database.h"
#include "workflow/engine.h"

// The monthly forecast (docs/need.md, "Will we make it?"): on the first
// working day of each month, from the digest time (Europe/London), every lead
// with an email gets one message (or within the week after, when no process
// was running then): the forecast of their scope, teaching
// schools that will miss or are at risk first, and the ratings. Each lead's
// message of a month is a row of forecast_digests, made once whichever
// process gets there first; it is claimed with a lease while it is sent,
// retried with backoff, and dead after the last try, like a delivery. A
// process that dies mid-send loses nothing: the lease ends and the message is
// sent again, with the same Message-ID.
namespace s2s::cases {

struct ForecastDigestOptions {
  std::string public_url = "http://127.0.0.1:8080";  // the link to the KPI page
  std::string message_id_domain = "s2s.localhost";   // Message-ID: <forecast-2026-12-USER@DOMAIN>
  std::chrono::minutes send_at{7 * 60};              // Europe/London time of day, on the month's first working day
  notifications::RetryPolicy retry;
  std::chrono::seconds lease{120};
  std::string owner = "s2sd";                        // this process's claims
  std::function<std::chrono::system_clock::time_point()> clock = [] { return std::chrono::system_clock::now(); };
};

struct ForecastDigestReport {
  std::size_t sent = 0;     // messages the mail server accepted
  std::size_t retried = 0;  // failed, to be tried again later
  std::size_t dead = 0;     // failed for the last time
};

// The first working day of `month` on `calendar`.
[[nodiscard]] std::chrono::year_month_day first_working_day(const workflow::Calendar& calendar,
                                                            std::chrono::year_month month);

// The message of one lead's forecast, made on `today` (pure).
[[nodiscard]] notifications::Email forecast_email(const User& lead, const Forecast& forecast,
                                                  std::chrono::year_month_day today,
                                                  const ForecastDigestOptions& options);

class ForecastDigests {
 public:
  // `db` and `engine` (its calendar and today) must outlive this.
  ForecastDigests(workflow::Database& db, const workflow::Engine& engine, ForecastDigestOptions options);

  // Sends what is due at `now`: nothing before the month's first working day
  // at the digest time, nor a week after it; between, each lead's message
  // not yet sent. Once every
  // lead's message of the month is sent or dead, it only checks the clock
  // until the next month. Throws workflow::DatabaseUnavailable; a mail
  // server's failure is recorded, never thrown. Not thread-safe: one caller.
  ForecastDigestReport run_once(const notifications::Mailer& mailer, std::chrono::system_clock::time_point now);

 private:
  workflow::Database& db_;
  const workflow::Engine& engine_;
  ForecastDigestOptions options_;
  std::string done_month_;  // "2026-12" once every lead's message of it is settled
  std::chrono::system_clock::time_point next_check_{};  // nothing to claim before then
};

}  // namespace s2s::cases
