#pragma once

// The working-day calendar (docs/timers.md, docs/vocabulary.md): Monday to Friday,
// excluding England and Wales bank holidays (substitute and one-off days included) and
// any closure days an admin adds. Dates are civil dates in Europe/London; see
// workflow/date.h for turning an instant into one.

#include <boost/json/object.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "workflow/errors.h"

namespace s2s::workflow {

// A bank holiday. `name` is the published title, UTF-8, e.g. "New Year’s Day" (with
// U+2019) or "Christmas Day (substitute day)".
struct Holiday {
  std::chrono::year_month_day date;
  std::string name;

  bool operator==(const Holiday&) const = default;
};

// Why a day is not a working day.
enum class SkipReason { weekend, bank_holiday, closure };

// The stable name of `reason`: "weekend", "bank_holiday" or "closure". These names are
// stored in deadline records (DeadlineComputation::to_json) and must not change.
[[nodiscard]] std::string_view to_string(SkipReason reason) noexcept;

// A non-working day and why. `name` is the holiday title for bank_holiday, the closure
// reason for closure, and "Saturday" or "Sunday" for weekend.
struct SkippedDay {
  std::chrono::year_month_day date;
  SkipReason reason;
  std::string name;

  bool operator==(const SkippedDay&) const = default;
};

// A day an admin has closed (e.g. an alliance-wide INSET day), with a free-text reason.
struct Closure {
  std::chrono::year_month_day date;
  std::string reason;

  bool operator==(const Closure&) const = default;
};

// How a deadline was computed, so anyone can check and recompute it: `due` is
// Calendar::add_working_days(start, working_days) on the calendar used at the time.
struct DeadlineComputation {
  std::chrono::year_month_day start;
  int working_days = 0;
  std::chrono::year_month_day due;
  // Every non-working day strictly between start and due (whichever is earlier comes
  // first), in ascending date order. Empty when working_days == 0.
  std::vector<SkippedDay> skipped;

  bool operator==(const DeadlineComputation&) const = default;

  // Compact JSON with keys in this order, dates as YYYY-MM-DD, reasons as to_string():
  // {"start":"2026-12-18","working_days":10,"due":"2027-01-06",
  //  "skipped":[{"date":"2026-12-19","reason":"weekend","name":"Saturday"},...]}
  // Throws std::invalid_argument if a date is not representable (see format_date).
  [[nodiscard]] std::string to_json() const;
  // The same as a JSON object (what the API shows of a deadline), not made text first.
  [[nodiscard]] boost::json::object to_json_object() const;

  // The inverse of to_json. Unknown keys are ignored so that later versions may add
  // fields. Throws std::invalid_argument whose message names the offending field (e.g.
  // `field "skipped[1].reason"`) when the text is not JSON, a field is missing or has the
  // wrong type or value, the sign of working_days disagrees with due vs start, or the
  // skipped days are not ascending and strictly between start and due. It does not
  // check the record against any calendar; recompute with Calendar::compute_deadline
  // for that.
  [[nodiscard]] static DeadlineComputation from_json(std::string_view json);
};

// Bad calendar data, e.g. a malformed bank-holiday CSV line. The message names the line
// number ("line 3") and the offending value.
class CalendarError : public Error {
 public:
  explicit CalendarError(const std::string& message) : Error(ErrorCategory::internal, message) {}
};

// An immutable working-day calendar. Copies are cheap (the holiday table and the closure
// set are shared, never modified) and all const members are safe to call concurrently.
//
// Bank holidays for a year come from the data if that year has any row in the data,
// otherwise from rule_holidays(year). Rules are today's England and Wales rules applied
// to every year, so years before 1978 (or far in the future) are an extrapolation.
// All members taking dates require date.ok(); they throw std::invalid_argument otherwise.
class Calendar {
 public:
  // Bank holidays from CSV text: a `date,title` header line, then one `YYYY-MM-DD,title`
  // per line. UTF-8 with an optional BOM; LF or CRLF line ends; blank lines ignored; the
  // title is the rest of the line after the first comma, or an RFC 4180 quoted field.
  // Rows may come in any order. Throws CalendarError naming the line number and value on
  // a bad header, a bad date, a missing title or a duplicate date.
  [[nodiscard]] static Calendar from_csv(std::string_view csv);

  // The same calendar with exactly these closure days (replacing any earlier set). If a
  // date appears more than once the first reason given wins. Throws
  // std::invalid_argument if a date is not ok().
  [[nodiscard]] Calendar with_closures(std::vector<Closure> closures) const;

  // The closure days in date order.
  [[nodiscard]] std::vector<Closure> closures() const;

  // The bank holidays of `year` in date order: the data's rows when the year is in the
  // data, rule_holidays(year) otherwise.
  [[nodiscard]] std::vector<Holiday> holidays(int year) const;

  // The published England and Wales rules only, in date order: New Year's Day, Good
  // Friday, Easter Monday, Early May (first Monday of May), Spring (last Monday of May),
  // Summer (last Monday of August), Christmas Day, Boxing Day; a fixed-date holiday on a
  // weekend is replaced by "<title> (substitute day)" on the next weekday that is not
  // already a holiday. Never includes one-off or moved days; those only come from data.
  [[nodiscard]] static std::vector<Holiday> rule_holidays(int year);

  // True on Monday to Friday when the day is neither a bank holiday nor a closure.
  [[nodiscard]] bool is_working_day(std::chrono::year_month_day date) const;

  // nullopt on a working day; otherwise why not. When several reasons apply the first of
  // bank_holiday, closure, weekend is reported: the most specific and most stable one
  // (a closure may be added on a bank holiday; a bank holiday is always a weekday in the
  // published data).
  [[nodiscard]] std::optional<SkippedDay> non_working_reason(std::chrono::year_month_day date) const;

  // n > 0: the nth working day after `date` (whether or not `date` itself is a working
  // day; from a Saturday, +1 is the Monday if that is a working day). n == 0: `date`
  // unchanged. n < 0: the |n|th working day before `date`. Does not allocate.
  [[nodiscard]] std::chrono::year_month_day add_working_days(std::chrono::year_month_day date, int n) const;

  // add_working_days(start, working_days) together with every non-working day passed
  // over, for storing with a deadline.
  [[nodiscard]] DeadlineComputation compute_deadline(std::chrono::year_month_day start, int working_days) const;

  // The number of working days d with from < d <= to; 0 if to <= from. For KPIs such as
  // "working days from referral to match". Does not allocate.
  [[nodiscard]] int working_days_between(std::chrono::year_month_day from, std::chrono::year_month_day to) const;

 private:
  struct Table;       // bank holidays, defined in calendar.cpp
  struct ClosureSet;  // closure days, defined in calendar.cpp
  struct NonWorking {
    SkipReason reason;
    std::string_view name;  // points into *table_, *closures_ or a literal
  };

  Calendar(std::shared_ptr<const Table> table, std::shared_ptr<const ClosureSet> closures);

  [[nodiscard]] std::optional<NonWorking> classify(std::chrono::sys_days day) const noexcept;

  std::shared_ptr<const Table> table_;
  std::shared_ptr<const ClosureSet> closures_;
};

// The England and Wales calendar built from the bank-holiday CSV compiled into the binary
// (workflow/embedded.h), with no closures. Built once on first use, thread-safe; the
// reference is valid for the life of the process. Throws CalendarError if the embedded
// data is bad (the next call tries again).
[[nodiscard]] const Calendar& england_and_wales();

}  // namespace s2s::workflow
