#pragma once

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "workflow/calendar.h"
#include "workflow/case_kind.h"
#include "workflow/date.h"

// GoogleTest would print a JSON object or array as a container of raw bytes; print JSON.
namespace boost::json {
inline void PrintTo(const object& value, std::ostream* os) { *os << serialize(value); }
inline void PrintTo(const array& value, std::ostream* os) { *os << serialize(value); }
}  // namespace boost::json

// The table-driven harness every case kind's test uses: dispatch one event to
// a machine restored to a state, and check a table of such steps.
namespace s2s::cases::testing {

using workflow::DispatchResult;
using Outcome = DispatchResult::Outcome;

inline constexpr std::string_view kToday = "2026-03-10";  // a Tuesday, three weeks before Easter

inline std::chrono::year_month_day day(std::string_view text) { return workflow::parse_date(text).value(); }

inline boost::json::object object_of(std::string_view json) { return boost::json::parse(json).as_object(); }

// `Kind()`'s documented default for `purpose`; -1 flags a purpose it does not declare.
template <const workflow::CaseKind& (*Kind)()>
int default_days(std::string_view purpose) {
  const auto* deadline = Kind().find_deadline(purpose);
  return deadline != nullptr ? deadline->default_working_days : -1;
}

// One event dispatched to a case of kind `Kind()` restored to `from`.
template <const workflow::CaseKind& (*Kind)()>
class Dispatch {
 public:
  Dispatch(std::string_view from, std::string_view event, std::string_view payload, std::string_view data = "{}",
           std::string_view occurred_on = kToday,
           std::function<int(std::string_view)> working_days = default_days<Kind>)
      : snapshot_{1,      std::string(Kind().name()), std::string(Kind().reference_prefix()) + "-2026-0001",
                  100001, std::string(from),          3,
                  {},     &Kind()},
        event_(event),
        payload_(object_of(payload)),
        data_(object_of(data)),
        ctx_(snapshot_, event_, payload_, data_, "actor", day(occurred_on), workflow::england_and_wales(),
             std::move(working_days)),
        result_(Kind().dispatch(from, event_, ctx_)) {}

  [[nodiscard]] Outcome outcome() const { return result_.outcome; }
  [[nodiscard]] std::string_view state() const { return result_.state; }
  [[nodiscard]] const workflow::EventContext& ctx() const { return ctx_; }
  [[nodiscard]] const boost::json::object& data() const { return data_; }

 private:
  workflow::CaseSnapshot snapshot_;
  std::string event_;
  boost::json::object payload_;
  boost::json::object data_;
  workflow::EventContext ctx_;
  DispatchResult result_;
};

// A case of kind `Kind()` being opened with `payload`: on_open has run.
template <const workflow::CaseKind& (*Kind)()>
class Opening {
 public:
  explicit Opening(std::string_view payload)
      : snapshot_{0,
                  std::string(Kind().name()),
                  std::string(Kind().reference_prefix()) + "-2026-0001",
                  100001,
                  std::string(Kind().initial_state()),
                  0,
                  day(kToday),
                  &Kind()},
        payload_(object_of(payload)),
        ctx_(snapshot_, "opened", payload_, data_, "actor", day(kToday), workflow::england_and_wales(),
             default_days<Kind>) {
    Kind().on_open(ctx_);
  }

  [[nodiscard]] const workflow::EventContext& ctx() const { return ctx_; }
  [[nodiscard]] const boost::json::object& data() const { return data_; }
  [[nodiscard]] const boost::json::object& payload() const { return payload_; }

 private:
  workflow::CaseSnapshot snapshot_;
  boost::json::object payload_;
  boost::json::object data_;
  workflow::EventContext ctx_;
};

// One row of the behaviour table: an event sent to a case in `from`.
struct Step {
  std::string_view from;
  std::string_view event;
  std::string_view payload;
  Outcome outcome;
  std::string_view to;
  std::string_view refusal = {};  // for guard_rejected: the reason given
  std::string_view data = "{}";   // the case's data before the event
  std::string_view occurred_on = kToday;
};

inline constexpr Outcome moved = Outcome::moved;
inline constexpr Outcome not_allowed = Outcome::not_allowed;
inline constexpr Outcome guard_rejected = Outcome::guard_rejected;

inline std::string describe(const Step& step) {
  return std::string(step.from) + " + " + std::string(step.event) + " " + std::string(step.payload) + " on " +
         std::string(step.occurred_on) + " with " + std::string(step.data);
}

// Every step has the outcome and next state it says; refused steps change nothing.
template <const workflow::CaseKind& (*Kind)()>
void expect_steps(const std::vector<Step>& steps) {
  for (const Step& step : steps) {
    SCOPED_TRACE(describe(step));
    Dispatch<Kind> d(step.from, step.event, step.payload, step.data, step.occurred_on);
    EXPECT_EQ(d.outcome(), step.outcome);
    EXPECT_EQ(d.state(), step.to);
    for (const auto& armed : d.ctx().armed()) {
      EXPECT_NE(Kind().find_deadline(armed.purpose), nullptr) << "undeclared deadline " << armed.purpose;
    }
    if (step.outcome == guard_rejected) {
      const auto& refusals = d.ctx().refusals();
      EXPECT_NE(std::find(refusals.begin(), refusals.end(), step.refusal), refusals.end())
          << "refusals: " << (refusals.empty() ? std::string("none") : refusals.front());
    } else {
      EXPECT_TRUE(d.ctx().refusals().empty());
    }
    if (step.outcome != moved) {
      EXPECT_EQ(d.data(), object_of(step.data)) << "a refused event changed the case";
      EXPECT_TRUE(d.ctx().armed().empty() && d.ctx().notifications().empty() && d.ctx().linked_cases().empty() &&
                  d.ctx().settled().empty());
    }
  }
}

// Every row of the kind's transition table is taken by some step.
template <const workflow::CaseKind& (*Kind)()>
void expect_every_row_covered(const std::vector<Step>& steps) {
  for (const auto& t : Kind().transitions()) {
    const bool covered = std::any_of(steps.begin(), steps.end(), [&](const Step& step) {
      return step.from == t.from && step.event == t.event && step.outcome == moved && step.to == t.to;
    });
    EXPECT_TRUE(covered) << t.from << " --" << t.event << "--> " << t.to;
  }
}

}  // namespace s2s::cases::testing

// Binds the harness to the kind `make()` builds, in a test file's anonymous
// namespace: `kind()`, `Dispatch` and `default_days`, with the harness's names in scope.
#define S2S_KIND_UNDER_TEST(make)                                 \
  using namespace ::s2s::cases::testing;                          \
  const ::s2s::workflow::CaseKind& kind() {                       \
    static const auto instance = make();                          \
    return *instance;                                             \
  }                                                               \
  using Dispatch = ::s2s::cases::testing::Dispatch<kind>;         \
  [[maybe_unused]] constexpr auto default_days = ::s2s::cases::testing::default_days<kind>
