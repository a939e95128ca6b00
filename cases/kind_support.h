#pragma once

// Small pieces every case kind's table uses: the state and functor shapes, and
// payload helpers. Included by the kind .cpp files, after workflow/msm_kind.h.

#include <fmt/format.h>
#include <boost/json.hpp>
#include <boost/mpl/joint_view.hpp>
#include <boost/mpl/vector.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <string_view>

#include "cases/deployments.h"
#include "cases/providers.h"
#include "workflow/date.h"
#include "workflow/msm_kind.h"

namespace s2s::cases {

using namespace workflow::kind_table;

template <class Event>
using NoFields = std::array<FieldSpec, 0>;

// A state's stable name as a template argument: `struct referred : State<"referred"> {};`.
template <std::size_t N>
struct StateName {
  constexpr StateName(const char (&text)[N]) {  // NOLINT: implicit on purpose, from a literal
    for (std::size_t i = 0; i < N; ++i) chars[i] = text[i];
  }
  [[nodiscard]] constexpr std::string_view view() const { return {chars, N - 1}; }
  char chars[N];
};

template <StateName Name>
struct State : boost::msm::front::state<> {
  static constexpr std::string_view name = Name.view();
};

// An action of the transition table written as a plain function of the
// event's context: `using start_matching = Action<"start_matching", do_start_matching>;`.
// The name is what diagrams and the table's checks show.
template <StateName Name, void (*Do)(EventContext&)>
struct Action {
  static constexpr std::string_view name = Name.view();
  template <class E, class F, class S, class T>
  void operator()(E const&, F& fsm, S&, T&) const {
    Do(*fsm.ctx);
  }
};

// The events of the matching half that the support request, the risk
// assessment and the pupil premium review share (docs/machines.md): each
// kind keeps its own event names (they are in every case's history) and
// words, the shapes are written once.

// An event's words: its name, who sends it and what it means.
template <StateName Name, StateName Who, StateName Summary>
struct EventWords {
  static constexpr std::string_view name = Name.view();
  static constexpr std::string_view who = Who.view();
  static constexpr std::string_view summary = Summary.view();
};

// The lead declines a referral or request, with a reason.
template <StateName Name, StateName Summary>
struct DeclineEvent : EventWords<Name, "lead", Summary> {
  static constexpr FieldSpec fields[] = {{"reason", FieldType::string}};
};

// The lead proposes a system leader; the note is internal unless shared.
template <StateName Name, StateName Summary, StateName ProviderHelp>
struct ProposeEvent : EventWords<Name, "lead", Summary> {
  static constexpr FieldSpec fields[] = {
      {"provider_id", FieldType::integer, true, {}, ProviderHelp.view(), 1},
      {"note", FieldType::string, false, {}, "internal to leads and the provider unless shared"},
      {"shared", FieldType::boolean, false, {}, "true: the school and the LA officer see the note too"},
  };
};

// The proposed system leader accepts (with a note) or declines (with a reason).
template <StateName Name, StateName Summary>
struct AcceptsEvent : EventWords<Name, "system_leader", Summary> {
  static constexpr FieldSpec fields[] = {{"note", FieldType::string, false}};
};
template <StateName Name, StateName Summary>
struct DeclinesEvent : EventWords<Name, "system_leader", Summary> {
  static constexpr FieldSpec fields[] = {{"reason", FieldType::string}};
};

// The case is withdrawn, with a reason, by the roles in `Who`.
template <StateName Who, StateName Summary>
struct WithdrawEvent : EventWords<"withdraw", Who, Summary> {
  static constexpr FieldSpec fields[] = {{"reason", FieldType::string}};
};

// A guard as a plain predicate that says why it refuses (ctx.refuse).
template <StateName Name, bool (*Check)(EventContext&)>
struct Guard {
  static constexpr std::string_view name = Name.view();
  template <class E, class F, class S, class T>
  bool operator()(E const&, F& fsm, S&, T&) const {
    return Check(*fsm.ctx);
  }
};

// Copies every field of the event's payload into the case's data, so the
// latest value of each is on the case and every value is in its history.
inline void keep_payload(EventContext& ctx) {
  for (const auto& [key, value] : ctx.payload()) ctx.data()[key] = value;
}

inline void do_record_payload(EventContext& ctx) {
  keep_payload(ctx);
}
using record_payload = Action<"record_payload", do_record_payload>;

// The payload's string field, or "" when absent.
inline std::string payload_string(const EventContext& ctx, std::string_view key) {
  const auto* value = ctx.payload().if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
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

// A referral's `source`: a school user's own referral is always a
// self-referral (the caller's role decides, docs/kpis.md): a school naming
// another source is refused, one naming none is stored as self; anyone else
// must say who referred.
inline void record_source(EventContext& ctx) {
  const std::string source = payload_string(ctx, "source");
  if (ctx.caller().role == "school") {
    if (!source.empty() && source != "self") {
      ctx.refuse("source: a school's own referral is a self-referral; send source 'self' or leave it out, not '" +
                 source + "'");
      return;
    }
    ctx.data()["source"] = "self";
  } else if (source.empty()) {
    ctx.refuse("source is required: who referred the school");
  }
}

// Guards and actions several kinds share.

// Day entries: days of support logged on a case, kept in its data as
// "day_entries" (and in deployment_days). Nothing is edited in place: a
// correction is a new entry naming the one it corrects (`corrects`), whose
// date and days it replaces; days 0 strikes the corrected entry out.

inline const boost::json::array* day_entries(EventContext& ctx) {
  const auto* entries = ctx.data().if_contains("day_entries");
  return entries != nullptr && entries->is_array() ? &entries->get_array() : nullptr;
}

// The entry numbers some later entry corrects: no longer in force.
inline std::set<std::int64_t> corrected_entries(const boost::json::array& entries) {
  std::set<std::int64_t> out;
  for (const auto& e : entries) {
    if (const auto n = entry_field(e, "corrects"); n != 0) out.insert(n);
  }
  return out;
}

inline const boost::json::object* find_entry(const boost::json::array& entries, std::int64_t number) {
  for (const auto& e : entries) {
    if (entry_field(e, "entry") == number) return &e.as_object();
  }
  return nullptr;
}

// A day entry: 0.5 or 1 day on one date within the deployment's dates (the
// agreed plan's, else from acceptance), not after the event's occurred_on, at
// most one day per date; a correction names an entry in force.
inline bool check_valid_day_entry(EventContext& ctx) {
  const bool correction = ctx.payload().contains("corrects");
  const double days = payload_number(ctx, "days");
  if (days < 0 || days > 1 || days * 2 != static_cast<double>(static_cast<int>(days * 2)) ||
      (days == 0 && !correction)) {
    return ctx.refuse("days must be 0.5 or 1 for one date (half-day steps); 0 only in a correction, to strike out");
  }
  const std::string date = payload_string(ctx, "date");
  const auto day = workflow::parse_date(date);
  if (!day) return ctx.refuse("date must be a date (YYYY-MM-DD)");
  if (*day > ctx.occurred_on()) {
    return ctx.refuse("date " + date + " is after the event's occurred_on: days cannot be logged ahead");
  }
  const auto& data = ctx.data();
  const auto* starts = data.if_contains("starts_on");
  if (starts == nullptr || !starts->is_string()) starts = data.if_contains("matched_on");
  const auto* ends = data.if_contains("ends_on");
  if (starts != nullptr && starts->is_string() && date < starts->get_string()) {
    return ctx.refuse("date " + date + " is before the deployment starts on " + std::string(starts->get_string()));
  }
  if (ends != nullptr && ends->is_string() && date > ends->get_string()) {
    return ctx.refuse("date " + date + " is after the deployment ends on " + std::string(ends->get_string()));
  }
  const boost::json::array none;
  const boost::json::array& entries = day_entries(ctx) != nullptr ? *day_entries(ctx) : none;
  const auto corrected = corrected_entries(entries);
  std::int64_t replaced = 0;
  if (correction) {
    replaced = ctx.payload().at("corrects").to_number<std::int64_t>();
    if (find_entry(entries, replaced) == nullptr) {
      return ctx.refuse("corrects: entry " + std::to_string(replaced) + " does not exist (this case has " +
                        std::to_string(entries.size()) + " entries)");
    }
    if (corrected.count(replaced) != 0) {
      for (const auto& e : entries) {
        if (entry_field(e, "corrects") == replaced) {
          return ctx.refuse("corrects: entry " + std::to_string(replaced) + " was already corrected by entry " +
                            std::to_string(entry_field(e, "entry")) + "; correct that one instead");
        }
      }
    }
  }
  double on_date = 0;
  for (const auto& e : entries) {
    const auto n = entry_field(e, "entry");
    if (corrected.count(n) != 0 || n == replaced) continue;
    const auto& entry = e.as_object();
    if (entry.at("date").as_string() == date) on_date += number_of(entry.if_contains("days"));
  }
  if (on_date + days > 1) {
    return ctx.refuse(fmt::format("{} already has {:g} day logged: at most 1 day per date", date, on_date));
  }
  return true;
}
using valid_day_entry = Guard<"valid_day_entry", check_valid_day_entry>;

// Appends the entry (numbered 1, 2, ... per case), keeps days_logged to the
// days in force, and records it with the provider's capacity.
inline void do_record_day_entry(EventContext& ctx) {
  auto& data = ctx.data();
  const double days = payload_number(ctx, "days");
  double change = days;
  boost::json::object entry{{"date", ctx.payload().at("date")},
                            {"days", days},
                            {"activity", ctx.payload().at("activity")},
                            {"logged_on", date_value(ctx.occurred_on())},
                            {"by", ctx.actor()}};
  if (const auto* corrects = ctx.payload().if_contains("corrects")) {
    entry["corrects"] = corrects->to_number<std::int64_t>();
    if (const auto* old = find_entry(*day_entries(ctx), corrects->to_number<std::int64_t>())) {
      change -= number_of(old->if_contains("days"));
    }
  }
  auto& entries = data["day_entries"];
  if (!entries.is_array()) entries = boost::json::array();
  const auto number = static_cast<std::int64_t>(entries.as_array().size()) + 1;
  entry["entry"] = number;
  entries.as_array().push_back(entry);
  data["days_logged"] = number_of(data.if_contains("days_logged")) + change;
  const auto* provider = data.if_contains("deployed_provider_id");
  if (provider == nullptr || provider->is_null()) return;
  boost::json::object args{{"system_leader_id", *provider}, {"entry", number},
                           {"date", entry["date"]},         {"days", days},
                           {"activity", entry["activity"]}, {"change", change}};
  if (const auto* corrects = entry.if_contains("corrects")) args["corrects"] = *corrects;
  if (const auto* year = data.if_contains("capacity_year")) args["academic_year"] = *year;
  if (const auto* funding = data.if_contains("funding_source")) args["funding_source"] = *funding;
  ctx.request("deployment.log_day", std::move(args));
}
using record_day_entry = Action<"record_day_entry", do_record_day_entry>;

// Satisfaction ratings use Ofsted's scale: 1 outstanding to 4 inadequate.
inline bool check_grade_in_range(EventContext& ctx) {
  const double grade = payload_number(ctx, "grade");
  return (grade >= 1 && grade <= 4 && grade == static_cast<int>(grade)) ||
         ctx.refuse("grade must be 1, 2, 3 or 4");
}
using grade_in_range = Guard<"grade_in_range", check_grade_in_range>;

// The case closes: the closing event's fields (an outcome, a note) and the date.
inline void do_record_closure(EventContext& ctx) {
  keep_payload(ctx);
  ctx.data()["closed_on"] = date_value(ctx.occurred_on());
}
using record_closure = Action<"record_closure", do_record_closure>;

// A referral or request declined: its reason and date.
inline void do_record_decision(EventContext& ctx) {
  keep_payload(ctx);
  ctx.data()["declined_on"] = date_value(ctx.occurred_on());
}
using record_decision = Action<"record_decision", do_record_decision>;

// The provider a case has now: the deployed one, else the proposed one.
inline const boost::json::value* current_provider(EventContext& ctx) {
  for (const char* key : {"deployed_provider_id", "provider_id"}) {
    const auto* provider = ctx.data().if_contains(key);
    if (provider != nullptr && !provider->is_null()) return provider;
  }
  return nullptr;
}

// A lead's proposal: the payload's fields kept on the case, but its note as
// `proposal_note`, internal to leads and the provider unless `shared` (the
// API keeps it from everyone else: redact_case_data in deployments.h).
// `proposal_note_shared` is always set, so a case proposed before notes had
// an audience can be told apart.
inline void record_proposal(EventContext& ctx) {
  for (const auto& [key, value] : ctx.payload()) {
    if (key == "note" || key == "shared") continue;
    ctx.data()[key] = value;
  }
  const auto* note = ctx.payload().if_contains("note");
  const auto* shared = ctx.payload().if_contains("shared");
  ctx.data()["proposal_note_shared"] = shared != nullptr && shared->is_bool() && shared->get_bool();
  if (note != nullptr && note->is_string()) {
    ctx.data()["proposal_note"] = *note;
  } else {
    ctx.data().erase("proposal_note");
  }
}

// The lead proposes the payload's `field`: deployment.propose checks the
// provider is eligible (docs/matching.md) and refuses the event with every reason if not.
inline void ask_provider(EventContext& ctx, std::string_view field = "provider_id") {
  auto& data = ctx.data();
  const auto* focus = data.if_contains("focus_areas");
  ctx.request("deployment.propose", {{"system_leader_id", ctx.payload().at(field)},
                                     {"days", days_needed(*ctx.snapshot().case_kind, data)},
                                     {"focus_areas", focus != nullptr ? *focus : boost::json::array()},
                                     {"on", date_value(ctx.occurred_on())}});
}

// The proposed provider accepts: deployed from today, and the days the case
// needs reserved in this academic year (refused when they are not there).
inline void deploy_provider(EventContext& ctx) {
  auto& data = ctx.data();
  const auto* proposed = data.if_contains("provider_id");
  // Copied before writing: object::operator[] may move the object's storage.
  boost::json::value provider = proposed != nullptr ? *proposed : boost::json::value();
  const double days = days_needed(*ctx.snapshot().case_kind, data);
  const std::string year = academic_year_of(ctx.occurred_on());
  data["deployed_provider_id"] = provider;
  data["matched_on"] = date_value(ctx.occurred_on());
  data["reserved_days"] = days;
  data["capacity_year"] = year;
  ctx.request(
      "deployment.accept",
      {{"system_leader_id", provider}, {"days", days}, {"academic_year", year}, {"on", date_value(ctx.occurred_on())}});
}

// The proposed provider declines: moved to declined_provider_ids, so matching skips them.
inline void record_declined_provider(EventContext& ctx) {
  auto& data = ctx.data();
  const auto* proposed = data.if_contains("provider_id");
  boost::json::value provider = proposed != nullptr ? *proposed : boost::json::value();
  if (!provider.is_null()) {
    ctx.request("deployment.decline", {{"system_leader_id", provider}, {"on", date_value(ctx.occurred_on())}});
  }
  auto& declined = data["declined_provider_ids"];
  if (!declined.is_array()) declined = boost::json::array();
  declined.as_array().push_back(std::move(provider));
  data.erase("provider_id");
}

// The lead proposes a provider: the proposal kept (its note internal unless
// shared), the provider checked and asked, their answer due under `response_deadline`.
inline void propose_and_wait(EventContext& ctx, std::string_view response_deadline) {
  record_proposal(ctx);
  ask_provider(ctx);
  ctx.data()["proposed_on"] = date_value(ctx.occurred_on());
  ctx.arm_deadline(response_deadline);
  ctx.notify("provider_proposed");
}

// The proposed provider declined: matching starts again, due under `matching_deadline`.
inline void match_again(EventContext& ctx, std::string_view matching_deadline) {
  record_declined_provider(ctx);
  ctx.arm_deadline(matching_deadline);
}

// The provider's part ends (`status` ended, or withdrawn with the case); the
// reserved days it did not use go back to their capacity.
inline void end_deployment(EventContext& ctx, std::string_view status) {
  const auto* current = current_provider(ctx);
  if (current == nullptr) return;
  boost::json::value provider = *current;
  auto& data = ctx.data();
  const double logged = number_of(data.if_contains("days_logged"));
  const double unused = std::max(0.0, number_of(data.if_contains("reserved_days")) - logged);
  boost::json::object args{
      {"system_leader_id", provider}, {"status", status}, {"release", unused}, {"on", date_value(ctx.occurred_on())}};
  if (const auto* year = data.if_contains("capacity_year")) args["academic_year"] = *year;
  if (unused > 0) data["reserved_days"] = logged;
  ctx.request("deployment.end", std::move(args));
}

inline void do_record_withdrawal(EventContext& ctx) {
  ctx.data()["withdrawn_reason"] = boost::json::string(payload_string(ctx, "reason"));
  ctx.data()["withdrawn_from"] = boost::json::string(ctx.snapshot().state);
  ctx.data()["withdrawn_on"] = date_value(ctx.occurred_on());
  end_deployment(ctx, "withdrawn");
}
using record_withdrawal = Action<"record_withdrawal", do_record_withdrawal>;

// The school's rating, replacing any earlier one (history keeps every one),
// and kept with the deployment for matching's record of earlier ratings.
inline void store_rating(EventContext& ctx) {
  boost::json::object rating{
      {"grade", ctx.payload().at("grade")}, {"rated_on", date_value(ctx.occurred_on())}, {"by", ctx.actor()}};
  if (const auto* comment = ctx.payload().if_contains("comment")) rating["comment"] = *comment;
  ctx.data()["rating"] = std::move(rating);
  const auto* provider = ctx.data().if_contains("deployed_provider_id");
  if (provider != nullptr && !provider->is_null()) {
    ctx.request("deployment.rate", {{"system_leader_id", *provider}, {"grade", ctx.payload().at("grade")}});
  }
}

// A referral arrives: its fields kept, its source checked, the lead told and
// the triage deadline armed.
inline void receive_referral(EventContext& ctx, std::string_view triage_deadline) {
  keep_payload(ctx);
  record_source(ctx);
  ctx.arm_deadline(triage_deadline);
  ctx.notify("referral_received");
}

// The states of the matching half, the same in every kind that has it.
namespace half {
struct matching : State<"matching"> {};
struct awaiting_provider : State<"awaiting_provider"> {};
struct declined : State<"declined"> {};
struct withdrawn : State<"withdrawn"> {};
}  // namespace half

// The referral -> matching -> awaiting-provider half that the support
// request, the risk assessment and the pupil premium review share
// (docs/machines.md), written once. `Words` gives the kind's own names:
//   states   first (where a case opens), deployed (where acceptance leads)
//   events   accept, decline, propose, accepts, declines, withdraw
//   action   on_accepted (after acceptance: deploy_provider and the kind's next deadline)
//   deadlines matching_deadline, response_deadline
// The kind's table is MatchingHalf<Words>::table<its own rows...>: these eight first, then its own.
template <class Words>
struct MatchingHalf {
  using first = typename Words::first;
  using withdraw = typename Words::withdraw;

  // Accepted: the terms kept, and a provider due under the matching deadline.
  static void do_start_matching(EventContext& ctx) {
    keep_payload(ctx);
    ctx.data()["accepted_on"] = date_value(ctx.occurred_on());
    ctx.arm_deadline(Words::matching_deadline);
  }
  static void do_await_provider(EventContext& ctx) { propose_and_wait(ctx, Words::response_deadline); }
  static void do_restart_matching(EventContext& ctx) { match_again(ctx, Words::matching_deadline); }
  using start_matching = Action<"start_matching", do_start_matching>;
  using await_provider = Action<"await_provider", do_await_provider>;
  using restart_matching = Action<"restart_matching", do_restart_matching>;

  // clang-format off
  using rows = boost::mpl::vector<
      //   Source                  Event                      Target                   Action                          Guard
      Row < first                  , typename Words::accept  , half::matching         , start_matching                , none >,
      Row < first                  , typename Words::decline , half::declined         , record_decision               , none >,
      Row < first                  , withdraw                , half::withdrawn        , record_withdrawal             , none >,
      Row < half::matching         , typename Words::propose , half::awaiting_provider, await_provider                , none >,
      Row < half::matching         , withdraw                , half::withdrawn        , record_withdrawal             , none >,
      Row < half::awaiting_provider, typename Words::accepts , typename Words::deployed, typename Words::on_accepted, none >,
      Row < half::awaiting_provider, typename Words::declines, half::matching         , restart_matching              , none >,
      Row < half::awaiting_provider, withdraw                , half::withdrawn        , record_withdrawal             , none >>;
  // clang-format on

  // The kind's whole table: the half's rows, then the kind's own.
  template <class... Own>
  using table = boost::mpl::joint_view<rows, boost::mpl::vector<Own...>>;
};

}  // namespace s2s::cases
