#include "cases/forecast_digest.h"

#include <fmt/format.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include "cases/kpis.h"
#include "cases/providers.h"
#include "workflow/date.h"
#include "workflow/errors.h"
#include "workflow/text.h"
#include "workflow/timestamp.h"

namespace s2s::cases {
namespace {

using namespace std::chrono;
using workflow::format_timestamp;
using workflow::html_escape;

std::string month_key(year_month month) {
  return fmt::format("{:04}-{:02}", static_cast<int>(month.year()), static_cast<unsigned>(month.month()));
}

// Will miss first, then at risk, then on course; the report's order within each.
std::vector<const DaysForecast*> most_behind_first(const Forecast& forecast) {
  std::vector<const DaysForecast*> out;
  for (const auto& t : forecast.teaching_schools) out.push_back(&t);
  const auto rank = [](Outlook o) { return o == Outlook::will_miss ? 0 : o == Outlook::at_risk ? 1 : 2; };
  std::stable_sort(out.begin(), out.end(),
                   [&](const DaysForecast* a, const DaysForecast* b) { return rank(a->outlook) < rank(b->outlook); });
  return out;
}

// How long after the first working day a month's message may still go.
constexpr int kCatchUpDays = 7;
// Messages claimed a round.
constexpr int kPerRound = 5;

// One lead's message of the month, claimed by this process.
struct Claimed {
  std::int64_t user_id = 0;
  int attempts = 0;
};

}  // namespace

year_month_day first_working_day(const workflow::Calendar& calendar, year_month month) {
  // The first working day after the last day of the month before.
  return calendar.add_working_days(year_month_day(sys_days(month / 1) - days(1)), 1);
}

notifications::Email forecast_email(const User& lead, const Forecast& forecast, year_month_day today,
                                    const ForecastDigestOptions& options) {
  const auto month = today.year() / today.month();
  const std::size_t n = forecast.teaching_schools.size();
  std::size_t behind = 0;
  for (const auto& t : forecast.teaching_schools) behind += t.outlook == Outlook::on_course ? 0 : 1;
  std::string subject = "s2s forecast for " + workflow::month_name(month);
  if (n > 0 && behind == 0) subject += n == 1 ? ": the teaching school is on course" : ": every teaching school is on course";
  if (behind > 0) subject += fmt::format(": {} of {} teaching {} not on course", behind, n, n == 1 ? "school" : "schools");
  const std::string last_day = "31 August " + forecast.academic_year.substr(0, 2) + forecast.academic_year.substr(5, 2);
  const std::string link = options.public_url + "/kpis";
  const std::string opening =
      fmt::format("Where the teaching schools in your area stand on {}, with {} working {} left to {}.",
                  workflow::long_date(today), forecast.working_days_left,
                  forecast.working_days_left == 1 ? "day" : "days", last_day);

  std::string text = "Hello " + lead.name + ",\n\n" + opening + "\n\n";
  std::string html = "<p>Hello " + html_escape(lead.name) + ",</p>\n<p>" + html_escape(opening) + "</p>\n";
  text += "Days to schools in need (30 for each teaching school by 31 August):\n";
  html += "<h2>Days to schools in need (30 for each teaching school by 31 August)</h2>\n";
  if (n == 0) {
    text += "No teaching school is in your area.\n";
    html += "<p>No teaching school is in your area.</p>\n";
  } else {
    html += "<ul>\n";
    for (const auto* t : most_behind_first(forecast)) {
      const std::string outlook(to_string(t->outlook));
      text += "- " + t->name + ": " + outlook + ". " + t->reason + "\n";
      html += "<li><strong>" + html_escape(t->name) + ": " + html_escape(outlook) + ".</strong> " +
              html_escape(t->reason) + "</li>\n";
    }
    html += "</ul>\n";
  }
  const std::string ratings =
      std::string(to_string(forecast.ratings.outlook)) + ". " + forecast.ratings.reason;
  text += "\nSupport rated good or better (90%): " + ratings + "\n";
  html += "<h2>Support rated good or better (90%)</h2>\n<p>" + html_escape(ratings) + "</p>\n";
  text += "\nThe KPI page has every figure: " + link + "\n\ns2s, school-to-school support\n" +
          "Leads get this forecast on the first working day of each month.\n";
  html += "<p>The <a href=\"" + html_escape(link) + "\">KPI page</a> has every figure.</p>\n" +
          "<p>s2s, school-to-school support<br>Leads get this forecast on the first working day of each month.</p>\n";
  return notifications::Email{
      fmt::format("<forecast-{}-{}@{}>", month_key(month), lead.id, options.message_id_domain), lead.email, lead.name,
      subject, text, html};
}

ForecastDigests::ForecastDigests(workflow::Database& db, const workflow::Engine& engine, ForecastDigestOptions options)
    : db_(db), engine_(engine), options_(std::move(options)) {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  options_.owner += fmt::format(":{}:{}:{}", host, ::getpid(), std::random_device{}());
}

ForecastDigestReport ForecastDigests::run_once(const notifications::Mailer& mailer, system_clock::time_point now) {
  ForecastDigestReport report;
  const auto now_seconds = floor<seconds>(now);
  const auto local = now_seconds + workflow::london_utc_offset(now_seconds);
  const year_month_day today(floor<days>(local));
  const auto month = today.year() / today.month();
  const std::string key = month_key(month);
  if (key == done_month_ || now < next_check_) return report;
  const auto calendar = engine_.calendar();
  const auto first = first_working_day(calendar, month);
  // From the first working day at the digest time, for a week (a process
  // that was not running then catches up); not late in the month.
  if (sys_days(today) < sys_days(first) || sys_days(today) >= sys_days(first) + days(kCatchUpDays)) {
    done_month_ = sys_days(today) < sys_days(first) ? std::string() : key;
    return report;
  }
  if (today == first && local - floor<days>(local) < options_.send_at) return report;

  const std::string now_text = format_timestamp(now);
  const std::string lease_until = format_timestamp(now + options_.lease);
  // Each lead of today has a message of the month, made once whoever comes first.
  const auto claimed = db_.transact([&](workflow::Database::Connection& connection) {
    auto& sql = connection.session();
    sql << "INSERT INTO forecast_digests (month, user_id, next_attempt_at) SELECT :m, u.id, :now FROM users u"
           " WHERE u.role = 'lead' AND u.revoked_at IS NULL AND u.email <> '' AND NOT EXISTS (SELECT 1 FROM"
           " forecast_digests f WHERE f.month = :m2 AND f.user_id = u.id) ON CONFLICT DO NOTHING",
        soci::use(key), soci::use(now_text), soci::use(key);
    std::vector<Claimed> out;
    Claimed c;
    long long user = 0;
    // A few a round, so that a round (and the deliveries after it) is not held up for long.
    soci::statement st = (sql.prepare << "UPDATE forecast_digests SET claimed_by = :o, next_attempt_at = :l"
                                         " WHERE month = :m AND user_id IN (SELECT user_id FROM forecast_digests"
                                         " WHERE month = :m2 AND status = 'pending' AND next_attempt_at <= :now"
                                         " ORDER BY user_id LIMIT :n) AND status = 'pending' AND next_attempt_at <= :now2"
                                         " RETURNING user_id, attempts",
                          soci::use(options_.owner), soci::use(lease_until), soci::use(key), soci::use(key),
                          soci::use(now_text), soci::use(kPerRound), soci::use(now_text), soci::into(user),
                          soci::into(c.attempts));
    st.execute();
    while (st.fetch()) {
      c.user_id = user;
      out.push_back(c);
    }
    std::sort(out.begin(), out.end(), [](const Claimed& a, const Claimed& b) { return a.user_id < b.user_id; });
    return out;
  });

  for (const auto& c : claimed) {
    // Renewed just before sending: one whose lease ran out while earlier ones
    // were made may have been taken by another process.
    const std::string renewed_until = format_timestamp(options_.clock() + options_.lease);
    const bool still_ours = db_.transact([&](workflow::Database::Connection& connection) {
      soci::statement st = (connection.session().prepare
                                << "UPDATE forecast_digests SET next_attempt_at = :l WHERE month = :m AND user_id = :u"
                                   " AND claimed_by = :o AND status = 'pending'",
                            soci::use(renewed_until), soci::use(key),
                            soci::use(c.user_id), soci::use(options_.owner));
      st.execute(true);
      return st.get_affected_rows() == 1;
    });
    if (!still_ours) continue;
    bool ok = false;
    bool final = false;  // nothing to send, ever: no longer a lead
    std::string outcome;
    try {
      const auto lead = find_user(db_, c.user_id);
      if (!lead || lead->role != "lead" || lead->email.empty()) {
        final = true;
        outcome = "no longer a lead";
      } else {
        KpiScope scope;
        scope.academic_year = academic_year_of(today);
        keep_report_scope_to(*lead, scope);
        scope.with_references = false;
        scope.with_overdue_items = false;
        scope.with_breakdowns = false;  // the forecast reads the KPIs only
        scope.with_ahead = true;
        const auto kpis = kpi_report(db_, calendar, scope, today);
        mailer.send(forecast_email(*lead, forecast(calendar, kpis, today), today, options_));
        ok = true;
        outcome = "accepted by " + mailer.redacted_url();
      }
    } catch (const workflow::DatabaseUnavailable&) {
      throw;
    } catch (const std::exception& e) {
      outcome = e.what();
    }
    const int attempts = c.attempts + 1;
    const bool dead = !ok && (final || attempts >= options_.retry.max_attempts);
    const std::string status = ok ? "sent" : dead ? "dead" : "pending";
    const auto at = options_.clock();
    const std::string next = format_timestamp(ok || dead ? at : at + notifications::backoff(options_.retry, attempts));
    db_.transact([&](workflow::Database::Connection& connection) {
      const std::string sent_at = ok ? format_timestamp(at) : std::string();
      soci::indicator sent_ind = ok ? soci::i_ok : soci::i_null;
      const std::string error = ok ? std::string() : outcome;
      soci::indicator error_ind = ok ? soci::i_null : soci::i_ok;
      connection.session() << "UPDATE forecast_digests SET status = :s, attempts = :a, claimed_by = NULL,"
                              " next_attempt_at = :n, sent_at = :t, last_error = :e WHERE month = :m AND user_id = :u"
                              " AND claimed_by = :o",
          soci::use(status), soci::use(attempts), soci::use(next), soci::use(sent_at, sent_ind),
          soci::use(error, error_ind), soci::use(key), soci::use(c.user_id), soci::use(options_.owner);
    });
    if (ok) {
      ++report.sent;
    } else if (dead) {
      ++report.dead;
      spdlog::warn("the monthly forecast to user {} is a dead letter: {}", c.user_id, outcome);
    } else {
      ++report.retried;
      spdlog::warn("the monthly forecast to user {} not sent, to be retried: {}", c.user_id, outcome);
    }
  }
  // Settled once no lead's message of the month waits: then only the clock until next month.
  const int waiting = db_.transact([&](workflow::Database::Connection& connection) {
    int n = 0;
    connection.session() << "SELECT count(*) FROM forecast_digests WHERE month = :m AND status = 'pending'",
        soci::use(key), soci::into(n);
    return n;
  });
  if (waiting == 0) done_month_ = key;
  // Those waiting are another process's, or wait for their next try: look again in a while.
  if (waiting > 0 && claimed.empty()) next_check_ = now + seconds(30);
  return report;
}

}  // namespace s2s::cases
