#pragma once

// Small pieces every case kind's table uses: the state and functor shapes, and
// payload helpers. Included by the kind .cpp files, after workflow/msm_kind.h.

#include <boost/json.hpp>

#include <string>
#include <string_view>

#include "workflow/date.h"
#include "workflow/msm_kind.h"

namespace s2s::cases {

using workflow::EventContext;
using workflow::FieldSpec;
using workflow::FieldType;
using workflow::Phase;
using boost::msm::front::none;
using boost::msm::front::Row;

template <class Event>
using NoFields = std::array<FieldSpec, 0>;

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

}  // namespace s2s::cases
