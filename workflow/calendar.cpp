#include "workflow/calendar.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <iterator>
#include <limits>
#include <optional>
#include <span>
#include <utility>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "workflow/date.h"
#include "workflow/embedded.h"
#include "workflow/text.h"

namespace s2s::workflow {
namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::weekday;
using std::chrono::year;
using std::chrono::year_month_day;

// Titles exactly as the published data spells them (note U+2019 in New Year’s Day).
constexpr std::string_view kNewYearsDay = "New Year\u2019s Day";
constexpr std::string_view kNewYearsDaySubstitute = "New Year\u2019s Day (substitute day)";
constexpr std::string_view kGoodFriday = "Good Friday";
constexpr std::string_view kEasterMonday = "Easter Monday";
constexpr std::string_view kEarlyMay = "Early May bank holiday";
constexpr std::string_view kSpring = "Spring bank holiday";
constexpr std::string_view kSummer = "Summer bank holiday";
constexpr std::string_view kChristmasDay = "Christmas Day";
constexpr std::string_view kChristmasDaySubstitute = "Christmas Day (substitute day)";
constexpr std::string_view kBoxingDay = "Boxing Day";
constexpr std::string_view kBoxingDaySubstitute = "Boxing Day (substitute day)";

constexpr std::string_view kSaturday = "Saturday";
constexpr std::string_view kSunday = "Sunday";

constexpr std::string_view kCsvHeader = "date,title";
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Rule holidays are precomputed for every year in this range (and every year between
// the data's years); lookups outside it compute the year's rules on the fly.
constexpr int kPrecomputedFirstYear = 1900;
constexpr int kPrecomputedLastYear = 2199;

// The Gregorian computus repeats every 5,700,000 years; shifting non-positive years by
// that keeps the arithmetic below on non-negative numbers without changing the answer.
constexpr long long kEasterCycleYears = 5'700'000;

bool is_weekend(sys_days day) noexcept {
  const weekday w{day};
  return w == std::chrono::Saturday || w == std::chrono::Sunday;
}

// Easter Sunday by the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
sys_days easter_sunday(int y) noexcept {
  const long long yy = y > 0 ? y : y + kEasterCycleYears;
  const long long a = yy % 19;
  const long long b = yy / 100;
  const long long c = yy % 100;
  const long long d = b / 4;
  const long long e = b % 4;
  const long long f = (b + 8) / 25;
  const long long g = (b - f + 1) / 3;
  const long long h = (19 * a + b - d - g + 15) % 30;
  const long long i = c / 4;
  const long long k = c % 4;
  const long long l = (32 + 2 * e + 2 * i - h - k) % 7;
  const long long m = (a + 11 * h + 22 * l) / 451;
  const long long month_number = (h + l - 7 * m + 114) / 31;
  const long long day_number = (h + l - 7 * m + 114) % 31 + 1;
  return sys_days{year{y} / std::chrono::month{static_cast<unsigned>(month_number)} /
                  std::chrono::day{static_cast<unsigned>(day_number)}};
}

struct RuleDay {
  sys_days day;
  std::string_view name;
};

// One year's rule holidays in a fixed-size buffer, so that lookups outside the
// precomputed range do not allocate. The rules always give exactly eight days.
class RuleYear {
 public:
  explicit RuleYear(int y) noexcept {
    const year yr{y};
    const sys_days easter = easter_sunday(y);
    add(easter - days{2}, kGoodFriday);
    add(easter + days{1}, kEasterMonday);
    add(sys_days{yr / std::chrono::May / std::chrono::Monday[1]}, kEarlyMay);
    add(sys_days{yr / std::chrono::May / std::chrono::Monday[std::chrono::last]}, kSpring);
    add(sys_days{yr / std::chrono::August / std::chrono::Monday[std::chrono::last]}, kSummer);

    struct Fixed {
      sys_days day;
      std::string_view name;
      std::string_view substitute;
    };
    const std::array<Fixed, 3> fixed{{
        {sys_days{yr / std::chrono::January / 1}, kNewYearsDay, kNewYearsDaySubstitute},
        {sys_days{yr / std::chrono::December / 25}, kChristmasDay, kChristmasDaySubstitute},
        {sys_days{yr / std::chrono::December / 26}, kBoxingDay, kBoxingDaySubstitute},
    }};
    // Weekday fixed holidays first, so a substitute never lands on one (Christmas on a
    // Sunday: Boxing Day keeps Monday 26th and Christmas moves to Tuesday 27th).
    for (const Fixed& f : fixed) {
      if (!is_weekend(f.day)) {
        add(f.day, f.name);
      }
    }
    // Then substitutes in calendar order, each on the next free weekday.
    for (const Fixed& f : fixed) {
      if (is_weekend(f.day)) {
        sys_days candidate = f.day + days{1};
        while (is_weekend(candidate) || contains(candidate)) {
          candidate += days{1};
        }
        add(candidate, f.substitute);
      }
    }
    std::sort(days_.begin(), days_.begin() + static_cast<std::ptrdiff_t>(size_),
              [](const RuleDay& x, const RuleDay& y2) { return x.day < y2.day; });
  }

  [[nodiscard]] std::span<const RuleDay> entries() const noexcept { return {days_.data(), size_}; }

  [[nodiscard]] std::optional<std::string_view> find(sys_days day) const noexcept {
    for (const RuleDay& d : entries()) {
      if (d.day == day) {
        return d.name;
      }
    }
    return std::nullopt;
  }

 private:
  [[nodiscard]] bool contains(sys_days day) const noexcept { return find(day).has_value(); }

  void add(sys_days day, std::string_view name) noexcept { days_[size_++] = {day, name}; }

  std::array<RuleDay, 8> days_{};
  std::size_t size_ = 0;
};

void require_ok(year_month_day date, std::string_view what) {
  if (!date.ok()) {
    throw std::invalid_argument(fmt::format("{}: invalid date (year {}, month {}, day {})", what,
                                            static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                                            static_cast<unsigned>(date.day())));
  }
}

[[noreturn]] void throw_csv_error(std::size_t line, std::string_view problem) {
  throw CalendarError(fmt::format("bank holiday CSV line {}: {}", line, problem));
}

// The title field: everything after the first comma, or an RFC 4180 quoted field.
std::string parse_title(std::string_view field, std::size_t line) {
  if (field.empty() || field.front() != '"') {
    return std::string(field);
  }
  std::string title;
  std::size_t i = 1;
  for (;;) {
    if (i >= field.size()) {
      throw_csv_error(line, fmt::format("unterminated quoted title {}", field));
    }
    if (field[i] == '"') {
      if (i + 1 < field.size() && field[i + 1] == '"') {
        title += '"';
        i += 2;
        continue;
      }
      if (i + 1 != field.size()) {
        throw_csv_error(line, fmt::format("text after closing quote in title {}", field));
      }
      return title;
    }
    title += field[i++];
  }
}

bool is_blank(std::string_view text) noexcept {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == ' ' || c == '\t'; });
}

}  // namespace

struct Calendar::Table {
  struct Entry {
    sys_days day;
    std::string_view name;  // into `titles` or a string literal
  };

  // Owns the data's titles. A deque, because it never moves elements on growth, so the
  // string_views in `entries` stay valid.
  std::deque<std::string> titles;
  std::vector<Entry> entries;   // sorted by day, no duplicates
  std::vector<int> data_years;  // sorted, unique
  sys_days covered_first;       // `entries` is complete for covered_first..covered_last
  sys_days covered_last;

  [[nodiscard]] bool is_data_year(int y) const noexcept {
    return std::binary_search(data_years.begin(), data_years.end(), y);
  }

  [[nodiscard]] std::optional<std::string_view> holiday_name(sys_days day) const noexcept {
    if (day < covered_first || day > covered_last) {
      return RuleYear(static_cast<int>(year_month_day{day}.year())).find(day);
    }
    const auto it =
        std::lower_bound(entries.begin(), entries.end(), day, [](const Entry& e, sys_days d) { return e.day < d; });
    if (it != entries.end() && it->day == day) {
      return it->name;
    }
    return std::nullopt;
  }
};

struct Calendar::ClosureSet {
  std::vector<sys_days> days;  // sorted, unique; parallel to `closures`
  std::vector<Closure> closures;

  [[nodiscard]] std::optional<std::string_view> reason(sys_days day) const noexcept {
    const auto it = std::lower_bound(days.begin(), days.end(), day);
    if (it != days.end() && *it == day) {
      return closures[static_cast<std::size_t>(it - days.begin())].reason;
    }
    return std::nullopt;
  }
};

std::string_view to_string(SkipReason reason) noexcept {
  static constexpr std::string_view kNames[] = {"weekend", "bank_holiday", "closure"};
  static_assert(std::size(kNames) == static_cast<std::size_t>(SkipReason::closure) + 1);
  return enum_name(reason, kNames, "unknown");
}

Calendar::Calendar(std::shared_ptr<const Table> table, std::shared_ptr<const ClosureSet> closures)
    : table_(std::move(table)), closures_(std::move(closures)) {}

Calendar Calendar::from_csv(std::string_view csv) {
  if (csv.starts_with(kUtf8Bom)) {
    csv.remove_prefix(kUtf8Bom.size());
  }
  auto table = std::make_shared<Table>();
  struct Row {
    sys_days day;
    std::size_t line;
  };
  std::vector<Row> rows;  // parallel to table->titles until sorted below

  std::size_t line_number = 0;
  bool seen_header = false;
  while (!csv.empty()) {
    const std::size_t end = csv.find('\n');
    std::string_view line = csv.substr(0, end);
    csv.remove_prefix(end == std::string_view::npos ? csv.size() : end + 1);
    ++line_number;
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    if (!seen_header) {
      if (line != kCsvHeader) {
        throw_csv_error(line_number, fmt::format("expected header \"{}\", got \"{}\"", kCsvHeader, line));
      }
      seen_header = true;
      continue;
    }
    if (is_blank(line)) {
      continue;
    }
    const std::size_t comma = line.find(',');
    const std::string_view date_text = line.substr(0, comma);
    const auto date = parse_date(date_text);
    if (!date) {
      throw_csv_error(line_number, fmt::format("bad date \"{}\" (expected YYYY-MM-DD)", date_text));
    }
    std::string title =
        comma == std::string_view::npos ? std::string{} : parse_title(line.substr(comma + 1), line_number);
    if (is_blank(title)) {
      throw_csv_error(line_number, fmt::format("missing title for {}", date_text));
    }
    rows.push_back({sys_days{*date}, line_number});
    table->titles.push_back(std::move(title));
  }
  if (!seen_header) {
    throw_csv_error(1, fmt::format("missing header \"{}\"", kCsvHeader));
  }

  table->entries.reserve(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    table->entries.push_back({rows[i].day, table->titles[i]});
  }
  // Sort row indices rather than entries so a duplicate can name both lines.
  std::vector<std::size_t> order(rows.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return rows[a].day < rows[b].day; });
  for (std::size_t i = 1; i < order.size(); ++i) {
    const Row& previous = rows[order[i - 1]];
    const Row& current = rows[order[i]];
    if (previous.day == current.day) {
      const Row& later = previous.line > current.line ? previous : current;
      const Row& earlier = previous.line > current.line ? current : previous;
      throw_csv_error(later.line, fmt::format("duplicate date {} (first on line {})",
                                              format_date(year_month_day{later.day}), earlier.line));
    }
  }
  std::vector<Table::Entry> data_entries;
  data_entries.reserve(order.size());
  for (const std::size_t i : order) {
    data_entries.push_back(table->entries[i]);
    const int y = static_cast<int>(year_month_day{rows[i].day}.year());
    if (table->data_years.empty() || table->data_years.back() != y) {
      table->data_years.push_back(y);
    }
  }

  // Precompute the rules for every other year in range, so that lookups are a binary
  // search in one sorted vector.
  const int first_year =
      table->data_years.empty() ? kPrecomputedFirstYear : std::min(kPrecomputedFirstYear, table->data_years.front());
  const int last_year =
      table->data_years.empty() ? kPrecomputedLastYear : std::max(kPrecomputedLastYear, table->data_years.back());
  table->entries.clear();
  table->entries.reserve(data_entries.size() + 8 * static_cast<std::size_t>(last_year - first_year + 1));
  auto next_data = data_entries.begin();
  for (int y = first_year; y <= last_year; ++y) {
    if (table->is_data_year(y)) {
      while (next_data != data_entries.end() && year_month_day{next_data->day}.year() == year{y}) {
        table->entries.push_back(*next_data++);
      }
    } else {
      // Named, not a temporary in the range-for: the temporary would die before the loop.
      const RuleYear rules(y);
      for (const RuleDay& d : rules.entries()) {
        table->entries.push_back({d.day, d.name});
      }
    }
  }
  table->covered_first = sys_days{year{first_year} / std::chrono::January / 1};
  table->covered_last = sys_days{year{last_year} / std::chrono::December / 31};
  return Calendar(std::move(table), std::make_shared<const ClosureSet>());
}

Calendar Calendar::with_closures(std::vector<Closure> closures) const {
  for (const Closure& c : closures) {
    require_ok(c.date, "Calendar::with_closures");
  }
  std::stable_sort(closures.begin(), closures.end(),
                   [](const Closure& a, const Closure& b) { return sys_days{a.date} < sys_days{b.date}; });
  closures.erase(std::unique(closures.begin(), closures.end(),
                             [](const Closure& a, const Closure& b) { return a.date == b.date; }),
                 closures.end());
  auto set = std::make_shared<ClosureSet>();
  set->days.reserve(closures.size());
  for (const Closure& c : closures) {
    set->days.push_back(sys_days{c.date});
  }
  set->closures = std::move(closures);
  return Calendar(table_, std::move(set));
}

std::vector<Closure> Calendar::closures() const { return closures_->closures; }

std::vector<Holiday> Calendar::holidays(int y) const {
  if (!table_->is_data_year(y)) {
    return rule_holidays(y);
  }
  const sys_days first{year{y} / std::chrono::January / 1};
  const sys_days last{year{y} / std::chrono::December / 31};
  const auto by_day = [](const Table::Entry& e, sys_days d) { return e.day < d; };
  auto it = std::lower_bound(table_->entries.begin(), table_->entries.end(), first, by_day);
  std::vector<Holiday> result;
  for (; it != table_->entries.end() && it->day <= last; ++it) {
    result.push_back({year_month_day{it->day}, std::string(it->name)});
  }
  return result;
}

std::vector<Holiday> Calendar::rule_holidays(int y) {
  std::vector<Holiday> result;
  const RuleYear rules(y);
  for (const RuleDay& d : rules.entries()) {
    result.push_back({year_month_day{d.day}, std::string(d.name)});
  }
  return result;
}

std::optional<Calendar::NonWorking> Calendar::classify(sys_days day) const noexcept {
  if (const auto name = table_->holiday_name(day)) {
    return NonWorking{SkipReason::bank_holiday, *name};
  }
  if (const auto reason = closures_->reason(day)) {
    return NonWorking{SkipReason::closure, *reason};
  }
  const weekday w{day};
  if (w == std::chrono::Saturday) {
    return NonWorking{SkipReason::weekend, kSaturday};
  }
  if (w == std::chrono::Sunday) {
    return NonWorking{SkipReason::weekend, kSunday};
  }
  return std::nullopt;
}

bool Calendar::is_working_day(year_month_day date) const {
  require_ok(date, "Calendar::is_working_day");
  return !classify(sys_days{date}).has_value();
}

std::optional<SkippedDay> Calendar::non_working_reason(year_month_day date) const {
  require_ok(date, "Calendar::non_working_reason");
  const auto why = classify(sys_days{date});
  if (!why) {
    return std::nullopt;
  }
  return SkippedDay{date, why->reason, std::string(why->name)};
}

year_month_day Calendar::add_working_days(year_month_day date, int n) const {
  require_ok(date, "Calendar::add_working_days");
  sys_days day{date};
  const days step{n > 0 ? 1 : -1};
  // long long: -INT_MIN does not fit in an int.
  long long remaining = n > 0 ? static_cast<long long>(n) : -static_cast<long long>(n);
  while (remaining > 0) {
    day += step;
    if (!classify(day)) {
      --remaining;
    }
  }
  return year_month_day{day};
}

DeadlineComputation Calendar::compute_deadline(year_month_day start, int working_days) const {
  DeadlineComputation result;
  result.start = start;
  result.working_days = working_days;
  result.due = add_working_days(start, working_days);
  const sys_days first = std::min(sys_days{start}, sys_days{result.due});
  const sys_days last = std::max(sys_days{start}, sys_days{result.due});
  for (sys_days day = first + days{1}; day < last; day += days{1}) {
    if (const auto why = classify(day)) {
      result.skipped.push_back({year_month_day{day}, why->reason, std::string(why->name)});
    }
  }
  return result;
}

int Calendar::working_days_between(year_month_day from, year_month_day to) const {
  require_ok(from, "Calendar::working_days_between");
  require_ok(to, "Calendar::working_days_between");
  int count = 0;
  for (sys_days day = sys_days{from} + days{1}; day <= sys_days{to}; day += days{1}) {
    if (!classify(day)) {
      ++count;
    }
  }
  return count;
}

namespace {

namespace json = boost::json;

json::string_view to_json_view(std::string_view text) { return {text.data(), text.size()}; }

// A field's name in error messages: "due", or "skipped[3].date" for a
// skipped day's, put into words only when there is an error to report (a
// page reads every deadline's computation, most with a few skipped days).
struct FieldName {
  FieldName(const char* name) : name(name) {}  // NOLINT: implicit from a top-level field's name
  FieldName(std::size_t skipped_index, std::string_view name) : name(name), skipped_index(skipped_index) {}
  [[nodiscard]] std::string text() const {
    if (!skipped_index) return std::string(name);
    return fmt::format("skipped[{}]{}{}", *skipped_index, name.empty() ? "" : ".", name);
  }
  std::string_view name;
  std::optional<std::size_t> skipped_index;
};

[[noreturn]] void throw_field_error(const FieldName& field, std::string_view problem) {
  throw std::invalid_argument(fmt::format("DeadlineComputation JSON: field \"{}\": {}", field.text(), problem));
}

const json::value& require_field(const json::object& object, std::string_view key, const FieldName& field) {
  const json::value* value = object.if_contains(to_json_view(key));
  if (value == nullptr) {
    throw_field_error(field, "missing");
  }
  return *value;
}

std::string_view require_string(const json::object& object, std::string_view key, const FieldName& field) {
  const json::string* text = require_field(object, key, field).if_string();
  if (text == nullptr) {
    throw_field_error(field, "expected a string");
  }
  return {text->data(), text->size()};
}

year_month_day require_date(const json::object& object, std::string_view key, const FieldName& field) {
  const std::string_view text = require_string(object, key, field);
  const auto date = parse_date(text);
  if (!date) {
    throw_field_error(field, fmt::format("expected a YYYY-MM-DD date, got \"{}\"", text));
  }
  return *date;
}

int require_int(const json::object& object, std::string_view key, const FieldName& field) {
  const json::value& value = require_field(object, key, field);
  constexpr auto kMin = static_cast<std::int64_t>(std::numeric_limits<int>::min());
  constexpr auto kMax = static_cast<std::int64_t>(std::numeric_limits<int>::max());
  if (const std::int64_t* v = value.if_int64(); v != nullptr && *v >= kMin && *v <= kMax) {
    return static_cast<int>(*v);
  }
  if (const std::uint64_t* v = value.if_uint64(); v != nullptr && *v <= static_cast<std::uint64_t>(kMax)) {
    return static_cast<int>(*v);
  }
  throw_field_error(field, "expected an integer in the range of int");
}

SkipReason require_reason(const json::object& object, std::string_view key, const FieldName& field) {
  const std::string_view text = require_string(object, key, field);
  for (const SkipReason reason : {SkipReason::weekend, SkipReason::bank_holiday, SkipReason::closure}) {
    if (text == to_string(reason)) {
      return reason;
    }
  }
  throw_field_error(field, fmt::format("expected weekend, bank_holiday or closure, got \"{}\"", text));
}

}  // namespace

std::string DeadlineComputation::to_json() const { return json::serialize(to_json_object()); }

json::object DeadlineComputation::to_json_object() const {
  json::array skipped_days;
  skipped_days.reserve(skipped.size());
  for (const SkippedDay& s : skipped) {
    json::object day;
    day["date"] = to_json_view(format_date(s.date));
    day["reason"] = to_json_view(to_string(s.reason));
    day["name"] = to_json_view(s.name);
    skipped_days.push_back(std::move(day));
  }
  json::object object;
  object["start"] = to_json_view(format_date(start));
  object["working_days"] = working_days;
  object["due"] = to_json_view(format_date(due));
  object["skipped"] = std::move(skipped_days);
  return object;
}

DeadlineComputation DeadlineComputation::from_json(std::string_view text) {
  boost::system::error_code ec;
  // The parsed text lives only while it is read: its memory from the stack
  // (more only for an unusually long computation), freed at once.
  unsigned char buffer[4096];
  json::monotonic_resource memory(buffer, sizeof buffer);
  const json::value parsed = json::parse(to_json_view(text), ec, &memory);
  if (ec) {
    throw std::invalid_argument(fmt::format("DeadlineComputation JSON: not valid JSON ({})", ec.message()));
  }
  const json::object* object = parsed.if_object();
  if (object == nullptr) {
    throw std::invalid_argument("DeadlineComputation JSON: expected an object");
  }
  DeadlineComputation result;
  result.start = require_date(*object, "start", "start");
  result.working_days = require_int(*object, "working_days", "working_days");
  result.due = require_date(*object, "due", "due");
  const sys_days start{result.start};
  const sys_days due{result.due};
  if ((result.working_days > 0 && due <= start) || (result.working_days == 0 && due != start) ||
      (result.working_days < 0 && due >= start)) {
    throw_field_error("due", "inconsistent with start and working_days");
  }

  const json::array* skipped = require_field(*object, "skipped", "skipped").if_array();
  if (skipped == nullptr) {
    throw_field_error("skipped", "expected an array");
  }
  const sys_days first = std::min(start, due);
  const sys_days last = std::max(start, due);
  result.skipped.reserve(skipped->size());
  for (std::size_t i = 0; i < skipped->size(); ++i) {
    const json::object* day = (*skipped)[i].if_object();
    if (day == nullptr) {
      throw_field_error({i, ""}, "expected an object");
    }
    const FieldName date_field{i, "date"};
    SkippedDay s{require_date(*day, "date", date_field), require_reason(*day, "reason", {i, "reason"}),
                 std::string(require_string(*day, "name", {i, "name"}))};
    const sys_days d{s.date};
    if (d <= first || d >= last) {
      throw_field_error(date_field, "not strictly between start and due");
    }
    if (!result.skipped.empty() && d <= sys_days{result.skipped.back().date}) {
      throw_field_error(date_field, "not after the previous skipped day");
    }
    result.skipped.push_back(std::move(s));
  }
  return result;
}

const Calendar& england_and_wales() {
  // A function-local static: initialised once, thread-safe (C++11 "magic statics").
  static const Calendar calendar = Calendar::from_csv(embedded::bank_holidays_england_wales_csv());
  return calendar;
}

}  // namespace s2s::workflow
