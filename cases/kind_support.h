#pragma once

// Small pieces every case kind's table uses: the state and functor shapes, and
// payload helpers. Included by the kind .cpp files, after workflow/msm_kind.h.

#include <boost/json.hpp>

#include <string>
#include <string_view>

#include "workflow/date.h"
#include "workflow/msm_kind.h"

namespace s2s::cases {

using boost::msm::front::none;
using boost::msm::front::Row;
using workflow::EventContext;
using workflow::FieldSpec;
using workflow::FieldType;
using workflow::Phase;

template <class Event>
using NoFields = std::array<FieldSpec, 0>;

// A state's stable name as a template argument: `struct referred : State<"referred"> {};`.
template <std::size_t N>
struct StateName {
  constexpr StateName(const char (&text)[N]) {  // NOLINT: implicit on purpose, from a literal
    for (std::size_t i = 0; i < N; ++i) chars[i] = text[i];
  }
  char chars[N];
};

template <StateName Name>
struct State : boost::msm::front::state<> {
  static constexpr std::string_view name{Name.chars, sizeof(Name.chars) - 1};
};

// Copies every field of the event's payload into the case's data, so the
// latest value of each is on the case and every value is in its history.
struct record_payload {
  static constexpr std::string_view name = "record_payload";
  template <class Evt, class Fsm, class Source, class Target>
  void operator()(Evt const&, Fsm& fsm, Source&, Target&) const {
    for (const auto& [key, value] : fsm.ctx->payload()) fsm.ctx->data()[key] = value;
  }
};

// The payload's string field, or "" when absent.
inline std::string payload_string(const EventContext& ctx, std::string_view key) {
  const auto* value = ctx.payload().if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

// A JSON number (integer or not) as a double; 0 for anything else.
inline double number_of(const boost::json::value* value) {
  if (value == nullptr) return 0;
  if (value->is_double()) return value->get_double();
  if (value->is_int64()) return static_cast<double>(value->get_int64());
  if (value->is_uint64()) return static_cast<double>(value->get_uint64());
  return 0;
}

// The payload's numeric field, or 0 when absent.
inline double payload_number(const EventContext& ctx, std::string_view key) {
  return number_of(ctx.payload().if_contains(key));
}

inline bool data_has(const EventContext& ctx, std::string_view key) {
  const auto* value = const_cast<EventContext&>(ctx).data().if_contains(key);
  return value != nullptr && !value->is_null();
}

// "YYYY-MM-DD" for storing dates in case data.
inline boost::json::string date_value(std::chrono::year_month_day day) {
  return boost::json::string(workflow::format_date(day));
}

// Guards and actions several kinds share.

// A day log: 0.5 or 1 day for one date that is not after the event's occurred_on.
struct valid_day_log {
  static constexpr std::string_view name = "valid_day_log";
  template <class E, class F, class S, class T>
  bool operator()(E const&, F& fsm, S&, T&) const {
    EventContext& ctx = *fsm.ctx;
    const double days = payload_number(ctx, "days");
    if (days <= 0 || days > 1 || days * 2 != static_cast<double>(static_cast<int>(days * 2))) {
      return ctx.refuse("days must be 0.5 or 1 for one date (half-day steps)");
    }
    const auto date = workflow::parse_date(payload_string(ctx, "date"));
    if (!date) return ctx.refuse("date must be a date (YYYY-MM-DD)");
    if (*date > ctx.occurred_on()) {
      return ctx.refuse("date is after the event's occurred_on: days cannot be logged ahead");
    }
    return true;
  }
};

// Satisfaction ratings use Ofsted's scale: 1 outstanding to 4 inadequate.
struct grade_in_range {
  static constexpr std::string_view name = "grade_in_range";
  template <class E, class F, class S, class T>
  bool operator()(E const&, F& fsm, S&, T&) const {
    const double grade = payload_number(*fsm.ctx, "grade");
    return (grade >= 1 && grade <= 4 && grade == static_cast<int>(grade)) ||
           fsm.ctx->refuse("grade must be 1, 2, 3 or 4");
  }
};

struct add_logged_days {
  static constexpr std::string_view name = "add_logged_days";
  template <class E, class F, class S, class T>
  void operator()(E const&, F& fsm, S&, T&) const {
    auto& data = fsm.ctx->data();
    const double logged = number_of(data.if_contains("days_logged"));
    data["days_logged"] = logged + payload_number(*fsm.ctx, "days");
  }
};

// A referral or request declined: its reason and date.
struct record_decision {
  static constexpr std::string_view name = "record_decision";
  template <class E, class F, class S, class T>
  void operator()(E const& e, F& fsm, S& s, T& t) const {
    record_payload{}(e, fsm, s, t);
    fsm.ctx->data()["declined_on"] = date_value(fsm.ctx->occurred_on());
  }
};

struct record_withdrawal {
  static constexpr std::string_view name = "record_withdrawal";
  template <class E, class F, class S, class T>
  void operator()(E const&, F& fsm, S&, T&) const {
    auto& ctx = *fsm.ctx;
    ctx.data()["withdrawn_reason"] = boost::json::string(payload_string(ctx, "reason"));
    ctx.data()["withdrawn_from"] = boost::json::string(ctx.snapshot().state);
    ctx.data()["withdrawn_on"] = date_value(ctx.occurred_on());
  }
};

// Moves the proposed provider to declined_provider_ids, so matching can skip them.
inline void record_declined_provider(EventContext& ctx) {
  auto& data = ctx.data();
  const auto* proposed = data.if_contains("provider_id");
  // Copy before writing: object::operator[] may move the object's storage.
  boost::json::value provider = proposed != nullptr ? *proposed : boost::json::value();
  auto& declined = data["declined_provider_ids"];
  if (!declined.is_array()) declined = boost::json::array();
  declined.as_array().push_back(std::move(provider));
  data.erase("provider_id");
}

// The school's rating, replacing any earlier one (history keeps every one).
inline void store_rating(EventContext& ctx) {
  boost::json::object rating{
      {"grade", ctx.payload().at("grade")}, {"rated_on", date_value(ctx.occurred_on())}, {"by", ctx.actor()}};
  if (const auto* comment = ctx.payload().if_contains("comment")) rating["comment"] = *comment;
  ctx.data()["rating"] = std::move(rating);
}

}  // namespace s2s::cases
