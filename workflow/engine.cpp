#include "workflow/engine.h"

#include <fmt/format.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cctype>
#include <charconv>
#include <map>
#include <mutex>
#include <set>

#include "workflow/case_store.h"
#include "workflow/date.h"
#include "workflow/kept_history.h"
#include "workflow/text.h"
#include "workflow/timestamp.h"

namespace s2s::workflow {
namespace {

using std::chrono::year_month_day;

// Events the engine itself raises from timers, on any kind.
constexpr std::string_view kReminderDue = "reminder_due";
constexpr std::string_view kDeadlinePassed = "deadline_passed";
// The history event that opens a case.
constexpr std::string_view kOpened = "opened";
constexpr std::string_view kSystemActor = "system";
// Attempts at one event when no expected version was given and others keep moving the case.
constexpr int kConflictRetries = 5;

year_month_day parse_stored_date(const std::string& text) {
  const auto date = parse_date(text);
  if (!date) throw DatabaseError("stored date is not YYYY-MM-DD: '" + text + "'");
  return *date;
}

Case to_case(const CaseRow& row, boost::json::object data) {
  Case c;
  c.id = row.id;
  c.kind = row.kind;
  c.reference = row.reference;
  c.school_urn = row.school_urn;
  c.state = row.state;
  c.phase = phase_from_string(row.phase).value_or(Phase::referral);
  c.version = row.version;
  c.data = std::move(data);
  c.opened_on = parse_stored_date(row.opened_on);
  c.opened_at = row.opened_at;
  c.closed_at = row.closed_at;
  c.updated_at = row.updated_at;
  c.overdue = row.overdue;
  return c;
}

}  // namespace

Case case_from_row(const CaseRow& row) {
  boost::system::error_code ec;
  auto data = boost::json::parse(row.data, ec);
  if (ec || !data.is_object()) {
    throw DatabaseError("case " + std::to_string(row.id) + ": stored data is not a JSON object");
  }
  return to_case(row, std::move(data.as_object()));
}

Deadline deadline_from_row(const DeadlineRow& r) {
  std::optional<year_month_day> settled;
  if (r.settled_on) settled = parse_stored_date(*r.settled_on);
  Deadline out{r.id, r.purpose, r.armed_in_state, parse_stored_date(r.due_on), {}, r.status, settled};
  out.computation = DeadlineComputation::from_json(r.computation);
  return out;
}

HistoryEntry history_from_row(const HistoryRow& r) {
  boost::system::error_code ec;
  auto payload = boost::json::parse(r.payload, ec);
  if (ec || !payload.is_object()) {
    throw DatabaseError("history entry " + std::to_string(r.sequence) + ": stored payload is not a JSON object");
  }
  return HistoryEntry{r.sequence,
                      r.event,
                      r.from_state,
                      r.to_state,
                      r.actor,
                      parse_stored_date(r.occurred_on),
                      r.recorded_at,
                      std::move(payload.as_object()),
                      r.timer_id};
}

struct Engine::Impl {
  std::shared_ptr<Database> db;
  std::shared_ptr<const KindRegistry> kinds;
  EngineOptions options;
  mutable std::mutex calendar_mutex;
  std::shared_ptr<const Calendar> calendar;
  std::unique_ptr<KeptHistory> kept_history;

  const CaseKind& kind_of(const std::string& name) const {
    const CaseKind* kind = kinds->find(name);
    if (kind == nullptr) {
      throw EngineError(EngineError::Code::unknown_kind, "unknown case kind '" + name + "'", "kind",
                        "unknown case kind");
    }
    return *kind;
  }

  std::shared_ptr<const Calendar> current_calendar() const {
    std::lock_guard lock(calendar_mutex);
    return calendar;
  }

  int working_days(const CaseKind& kind, std::string_view purpose) const {
    if (const auto configured = options.policy.days_for(purpose)) return *configured;
    if (const DeadlineSpec* spec = kind.find_deadline(purpose)) return spec->default_working_days;
    throw std::logic_error("case kind " + std::string(kind.name()) + " arms undeclared deadline " +
                           std::string(purpose));
  }

  year_month_day today() const { return london_date(options.clock()); }

  void check_occurred_on(year_month_day occurred_on, std::optional<year_month_day> opened_on,
                         const Actor& actor) const {
    if (!occurred_on.ok()) throw payload_error("occurred_on", "is not a date that exists");
    const auto now = today();
    if (!actor.is_system()) {
      // The academic year starts on 1 September; terms on 1 September, 1 January and 1 April.
      const int year = static_cast<int>(now.year());
      const unsigned month = static_cast<unsigned>(now.month());
      const bool far = names_role(options.backdate_roles, actor.role);
      const year_month_day earliest =
          far ? std::chrono::year(year - (month >= 9 ? 0 : 1) - options.backdate_years) / std::chrono::September / 1
          : month >= 9 ? std::chrono::year(year) / std::chrono::September / 1
          : month >= 4 ? std::chrono::year(year) / std::chrono::April / 1
                       : std::chrono::year(year) / std::chrono::January / 1;
      if (std::chrono::sys_days(occurred_on) < std::chrono::sys_days(earliest)) {
        throw payload_error("occurred_on", format_date(occurred_on) + " is too far back: a " + actor.role +
                                               " may date it from " + format_date(earliest) +
                                               (far ? "" : " (the start of this term)"));
      }
    }
    if (std::chrono::sys_days(occurred_on) > std::chrono::sys_days(now)) {
      throw payload_error("occurred_on", format_date(occurred_on) + " is in the future (today is " + format_date(now) +
                                             " in Europe/London)");
    }
    if (opened_on && std::chrono::sys_days(occurred_on) < std::chrono::sys_days(*opened_on)) {
      throw payload_error("occurred_on",
                          format_date(occurred_on) + " is before the case was opened on " + format_date(*opened_on));
    }
  }

  // Arms the deadlines an event asked for, in `state`, with their timers.
  void arm(CaseStore& store, const CaseKind& kind, std::int64_t case_id, const std::string& state,
           const std::vector<EventContext::ArmedDeadline>& armed, const Calendar& cal, const std::string& now) {
    for (const auto& a : armed) {
      const DeadlineSpec* spec = kind.find_deadline(a.purpose);
      if (spec == nullptr) {
        throw std::logic_error("case kind " + std::string(kind.name()) + " arms undeclared deadline " + a.purpose);
      }
      const auto computation = cal.compute_deadline(a.from, a.working_days);
      DeadlineRow row;
      row.case_id = case_id;
      row.purpose = a.purpose;
      row.armed_in_state = state;
      row.due_on = format_date(computation.due);
      row.computation = computation.to_json();
      const auto deadline_id = store.insert_deadline(row, now);
      insert_timers(store, *spec, case_id, deadline_id, a.from, computation.due, cal, now);
    }
  }

  void insert_timers(CaseStore& store, const DeadlineSpec& spec, std::int64_t case_id, std::int64_t deadline_id,
                     year_month_day from, year_month_day due, const Calendar& cal, const std::string& now) {
    const int reminder_days = options.policy.reminder_working_days;
    if (spec.remind && reminder_days > 0) {
      const auto remind_on = cal.add_working_days(due, -reminder_days);
      // No reminder on the day the deadline starts, nor one whose day has gone
      // (an event recorded late, a deadline moved by a closure).
      if (std::chrono::sys_days(remind_on) > std::chrono::sys_days(from) &&
          std::chrono::sys_days(remind_on) >= std::chrono::sys_days(today())) {
        store.insert_timer(case_id, deadline_id, std::string(kReminderDue), format_date(remind_on), now);
      }
    }
    // A deadline is met on its due date; it has passed from the next day on.
    const auto day_after = year_month_day(std::chrono::sys_days(due) + std::chrono::days(1));
    const std::string event(spec.due_event.empty() ? kDeadlinePassed : spec.due_event);
    store.insert_timer(case_id, deadline_id, event, format_date(day_after), now);
  }

  // Settles deadlines when the case leaves `from_state`, and those an event
  // answered without leaving it. Returns whether an overdue deadline remains.
  bool settle(CaseStore& store, std::int64_t case_id, const std::string& from_state, bool left_state, Phase new_phase,
              const std::vector<std::string>& settled_purposes, year_month_day occurred_on) {
    const auto on = format_date(occurred_on);
    bool overdue_remains = false;
    for (const DeadlineRow& d : store.unsettled_deadlines(case_id)) {
      const bool leaving = left_state && d.armed_in_state == from_state;
      const bool answered =
          std::find(settled_purposes.begin(), settled_purposes.end(), d.purpose) != settled_purposes.end();
      if (!leaving && !answered) {
        overdue_remains = overdue_remains || d.status == "overdue";
        continue;
      }
      std::string status;
      if (leaving && (new_phase == Phase::withdrawn || new_phase == Phase::declined)) {
        status = "cancelled";
      } else {
        status = on <= d.due_on ? "met" : "late";
      }
      store.set_deadline_status(d.id, status, on);
      store.cancel_timers(d.id);
    }
    return overdue_remains;
  }

  // A notification's payload: what it says (`extra`) and the case it is about.
  static std::string notification_payload(const CaseRow& row, std::string_view event, boost::json::object extra) {
    extra["case_id"] = row.id;
    extra["reference"] = row.reference;
    extra["kind"] = row.kind;
    extra["school_urn"] = row.school_urn;
    extra["event"] = event;
    extra["state"] = row.state;
    return boost::json::serialize(extra);
  }

  void queue_notifications(CaseStore& store, const CaseRow& row, std::string_view event,
                           const std::vector<EventContext::Notification>& notifications, const std::string& now) {
    for (const auto& n : notifications) {
      store.insert_outbox(row.id, n.message, notification_payload(row, event, n.extra), now);
    }
  }

  // Opens a case inside the caller's transaction.
  CaseRow open_in(CaseStore& store, const CaseKind& kind, std::int32_t school_urn, const boost::json::object& payload,
                  const Actor& actor, year_month_day occurred_on, const Calendar& cal) {
    const auto now_time = options.clock();
    const std::string now = format_timestamp(now_time);
    const int year = static_cast<int>(london_date(now_time).year());
    CaseRow row;
    row.kind = std::string(kind.name());
    row.reference = fmt::format("{}-{}-{:04}", kind.reference_prefix(), year,
                                store.next_reference_number(kind.reference_prefix(), year));
    row.school_urn = school_urn;
    row.state = std::string(kind.initial_state());
    row.phase = std::string(to_string(kind.phase_of(row.state).value_or(Phase::referral)));
    row.version = 1;
    row.opened_on = format_date(occurred_on);
    row.opened_at = now;
    row.updated_at = now;

    CaseSnapshot snapshot{0, row.kind, row.reference, school_urn, row.state, 0, occurred_on, &kind};
    if (!actor.is_system()) check_scope(store, actor, snapshot, fmt::format("school {}", school_urn));
    boost::json::object data;
    EventContext ctx(snapshot, kOpened, payload, data, actor, occurred_on, cal,
                     [this, &kind](std::string_view purpose) { return working_days(kind, purpose); });
    kind.on_open(ctx);
    if (!ctx.refusals().empty()) {
      const std::string reason = join(ctx.refusals(), "; ");
      throw EngineError(EngineError::Code::guard_failed,
                        fmt::format("a {} cannot be opened as asked: {}", row.kind, reason), {}, reason);
    }
    check_declared(kind, ctx);
    row.data = boost::json::serialize(data);
    row.id = store.insert_case(row);
    snapshot.id = row.id;
    run_effects(store, snapshot, ctx);
    store.insert_history(row.id, HistoryRow{1, std::string(kOpened), std::nullopt, row.state, actor.name, row.opened_on,
                                            now, boost::json::serialize(payload), std::nullopt});
    arm(store, kind, row.id, row.state, ctx.armed(), cal, now);
    queue_notifications(store, row, kOpened, ctx.notifications(), now);
    return row;
  }

  // Every message a kind queues is one it declares with its recipients: a
  // kind that forgets one fails here, in its first test, not in the field.
  static void check_declared(const CaseKind& kind, const EventContext& ctx) {
    for (const auto& n : ctx.notifications()) {
      if (kind.find_message(n.message) == nullptr) {
        throw std::logic_error("case kind " + std::string(kind.name()) + " queues message " + n.message +
                               " without declaring who hears it (kMessages)");
      }
    }
  }

  // Runs the domain effects the kind asked for, in the event's transaction.
  void run_effects(CaseStore& store, const CaseSnapshot& snapshot, const EventContext& ctx) const {
    for (const auto& effect : ctx.effects()) {
      const EffectHandler* handler = kinds->find_effect(effect.name);
      if (handler == nullptr) throw std::logic_error("no handler is registered for effect " + effect.name);
      (*handler)(store.connection(), snapshot, effect.args);
    }
  }

  // Throws out_of_scope unless the registry's scope check accepts the case for `actor`.
  void check_scope(CaseStore& store, const Actor& actor, const CaseSnapshot& snapshot, std::string_view what) const {
    if (!kinds->scope_check()) return;
    if (const auto reason = kinds->scope_check()(store.connection(), actor, snapshot)) {
      throw EngineError(EngineError::Code::out_of_scope, fmt::format("{} is not within your scope", what), {}, *reason);
    }
  }

  static EngineError not_allowed(const CaseKind& kind, const CaseRow& row, std::string_view event) {
    const auto allowed = kind.allowed_events(row.state);
    std::vector<std::string> names(allowed.begin(), allowed.end());
    // The message first: the order in which arguments are evaluated is unspecified,
    // and `names` is moved into the last one.
    std::string message = fmt::format("{} is {}: it does not take '{}' (it takes: {})", row.reference, row.state, event,
                                      names.empty() ? std::string("nothing, it is finished") : join(names, ", "));
    return EngineError(EngineError::Code::event_not_allowed, std::move(message), {}, {}, std::move(names));
  }

  static EngineError unknown_event(const CaseKind& kind, std::string_view event) {
    std::vector<std::string> names;
    for (const EventInfo& e : kind.events()) names.emplace_back(e.name);
    std::string message =
        fmt::format("{} has no event '{}' (its events: {})", with_article(kind.name()), event, join(names, ", "));
    return EngineError(EngineError::Code::unknown_event, std::move(message), "event", "unknown event",
                       std::move(names));
  }

  // Applies one event inside the caller's transaction and returns the case as it now is.
  Case apply_in(CaseStore& store, std::int64_t case_id, std::string_view event, const boost::json::object& payload,
                const Actor& actor, year_month_day occurred_on, std::optional<int> expected_version,
                std::optional<std::int64_t> timer_id, const Calendar& cal) {
    auto loaded = store.load_case(case_id, true);
    if (!loaded) {
      throw EngineError(EngineError::Code::unknown_case, "case " + std::to_string(case_id) + " does not exist");
    }
    CaseRow row = std::move(*loaded);
    const auto opened_on = parse_stored_date(row.opened_on);
    CaseSnapshot snapshot{row.id, row.kind, row.reference, row.school_urn, row.state, row.version, opened_on};
    // Outside their scope, a person learns nothing of the case, not even its version.
    if (!actor.is_system()) check_scope(store, actor, snapshot, "case " + std::to_string(case_id));
    const CaseKind& kind = kind_of(row.kind);
    snapshot.case_kind = &kind;
    const EventInfo* info = kind.find_event(event);
    if (info == nullptr) throw unknown_event(kind, event);
    if (expected_version && *expected_version != row.version) {
      throw EngineError(EngineError::Code::version_conflict,
                        fmt::format("case {} is at version {}, not {}: reload it and try again", row.reference,
                                    row.version, *expected_version));
    }
    if (!actor.is_system() && !names_role(info->who, actor.role)) {
      throw EngineError(EngineError::Code::not_permitted,
                        fmt::format("a {} may not send '{}' (it is sent by: {})", actor.role, event, info->who));
    }
    check_occurred_on(occurred_on, opened_on, actor);
    if (!kind.accepts(row.state, event)) throw not_allowed(kind, row, event);
    validate_payload(payload, info->fields);

    boost::json::object data = boost::json::parse(row.data).as_object();
    EventContext ctx(snapshot, event, payload, data, actor, occurred_on, cal,
                     [this, &kind](std::string_view purpose) { return working_days(kind, purpose); });
    const auto result = kind.dispatch(row.state, event, ctx);
    if (result.outcome == DispatchResult::Outcome::guard_rejected) {
      const std::string reason = ctx.refusals().empty() ? "its conditions are not met" : join(ctx.refusals(), "; ");
      throw EngineError(EngineError::Code::guard_failed,
                        fmt::format("{} cannot take '{}' now: {}", row.reference, event, reason), {}, reason);
    }
    if (result.outcome == DispatchResult::Outcome::not_allowed) throw not_allowed(kind, row, event);
    check_declared(kind, ctx);

    run_effects(store, snapshot, ctx);

    const std::string from_state = row.state;
    const std::string to_state(result.state);
    const Phase phase = kind.phase_of(to_state).value_or(Phase::referral);
    const std::string now = format_timestamp(options.clock());

    for (const auto& linked : ctx.linked_cases()) {
      boost::json::object linked_payload = linked.payload;
      linked_payload["linked_case"] = row.reference;
      const CaseRow opened =
          open_in(store, kind_of(linked.kind), row.school_urn, linked_payload, Actor(actor.name), occurred_on, cal);
      auto& links = data["linked_cases"];
      if (!links.is_array()) links = boost::json::array();
      links.as_array().push_back(
          boost::json::object{{"id", opened.id}, {"reference", opened.reference}, {"kind", opened.kind}});
    }

    const std::optional<std::string> closed_at = is_terminal(phase) ? std::optional<std::string>(now) : row.closed_at;
    const std::string data_text = boost::json::serialize(data);
    if (!store.update_case(row.id, row.version, to_state, std::string(to_string(phase)), data_text, now, closed_at)) {
      throw EngineError(
          EngineError::Code::version_conflict,
          fmt::format("case {} changed while '{}' was being applied: reload it and try again", row.reference, event));
    }
    store.insert_history(row.id, HistoryRow{row.version + 1, std::string(event), from_state, to_state, actor.name,
                                            format_date(occurred_on), now, boost::json::serialize(payload), timer_id});
    // Staying put with nothing answered settles nothing: skip the round trip.
    if (from_state != to_state || !ctx.settled().empty()) {
      row.overdue = settle(store, row.id, from_state, from_state != to_state, phase, ctx.settled(), occurred_on);
    }
    arm(store, kind, row.id, to_state, ctx.armed(), cal, now);

    row.state = to_state;
    row.phase = std::string(to_string(phase));
    row.version += 1;
    row.data = data_text;
    row.updated_at = now;
    row.closed_at = closed_at;
    queue_notifications(store, row, event, ctx.notifications(), now);
    return to_case(row, std::move(data));
  }

  // reminder_due and deadline_passed: recorded on the case without moving it.
  void apply_deadline_event(CaseStore& store, const ClaimedTimer& timer) {
    const std::string now = format_timestamp(options.clock());
    // The state does not move: bump the version and learn what the history and
    // the message need in one statement, no read first.
    auto bumped = store.bump_version(timer.case_id, now);
    if (!bumped) {
      throw EngineError(EngineError::Code::unknown_case, "case of timer " + std::to_string(timer.id) + " is gone");
    }
    const CaseRow& row = *bumped;
    const bool passed = timer.event == kDeadlinePassed;
    if (passed) store.set_deadline_status(timer.deadline_id, "overdue", std::nullopt);
    boost::json::object payload{
        {"deadline_id", timer.deadline_id}, {"purpose", timer.purpose}, {"due_on", timer.due_on}};
    store.insert_history(row.id, HistoryRow{row.version, timer.event, row.state, row.state, std::string(kSystemActor),
                                            timer.fire_on, now, boost::json::serialize(payload), timer.id});
    // The lead hears of a passed deadline (escalation); everyone on the case of a reminder.
    payload["escalate_to"] = passed ? "lead" : "case";
    queue_notifications(store, row, timer.event, {{passed ? "deadline_passed" : "deadline_reminder", payload}}, now);
  }

  static bool is_deadline_event(const ClaimedTimer& timer) {
    return timer.event == kReminderDue || timer.event == kDeadlinePassed;
  }

  // Fires a batch's reminders and passed deadlines together, each write one
  // statement for them all (as apply_deadline_event writes one timer's), in
  // the batch's order; then the rest one by one. A case with a kind's own
  // timer in the batch has all its timers fired one by one, in order.
  // `owner` holds the batch's leases, marking each timer fired if it still
  // does; without one, the batch was taken (CaseStore::take_due_timers) and
  // is marked already. Adds to report's fired and skipped; throws on the
  // first failure.
  void fire_together(CaseStore& store, const std::vector<ClaimedTimer>& claimed,
                     const std::optional<std::string>& owner, const std::string& now, const Calendar& cal,
                     FireReport& report) {
    std::set<std::int64_t> alone_cases;
    for (const auto& t : claimed) {
      if (!is_deadline_event(t)) alone_cases.insert(t.case_id);
    }
    std::vector<std::int64_t> ids;
    for (const auto& t : claimed) {
      if (!alone_cases.contains(t.case_id)) ids.push_back(t.id);
    }
    const auto marked = owner ? store.mark_timers_fired(ids, *owner, now) : ids;
    const std::set<std::int64_t> fired(marked.begin(), marked.end());
    report.skipped += ids.size() - fired.size();  // cancelled, or taken over after our lease ran out
    std::vector<const ClaimedTimer*> timers;
    std::map<std::int64_t, int> per_case;
    for (const auto& t : claimed) {
      if (fired.contains(t.id)) {
        timers.push_back(&t);
        ++per_case[t.case_id];
      }
    }
    std::map<std::int64_t, CaseRow> rows;
    for (auto& row : store.bump_versions(per_case, now)) rows.emplace(row.id, std::move(row));
    std::vector<std::int64_t> overdue;
    std::vector<std::pair<std::int64_t, HistoryRow>> history;
    std::vector<CaseStore::OutboxRow> outbox;
    std::map<std::int64_t, int> sequence;  // each case's next version, from the first of its bump
    for (const ClaimedTimer* timer : timers) {
      const auto found = rows.find(timer->case_id);
      if (found == rows.end()) {
        throw EngineError(EngineError::Code::unknown_case, "case of timer " + std::to_string(timer->id) + " is gone");
      }
      const CaseRow& row = found->second;
      auto [next, first] = sequence.try_emplace(row.id, row.version - per_case[row.id] + 1);
      const bool passed = timer->event == kDeadlinePassed;
      if (passed) overdue.push_back(timer->deadline_id);
      boost::json::object payload{
          {"deadline_id", timer->deadline_id}, {"purpose", timer->purpose}, {"due_on", timer->due_on}};
      history.emplace_back(row.id, HistoryRow{next->second++, timer->event, row.state, row.state,
                                              std::string(kSystemActor), timer->fire_on, now,
                                              boost::json::serialize(payload), timer->id});
      // The lead hears of a passed deadline (escalation); everyone on the case of a reminder.
      payload["escalate_to"] = passed ? "lead" : "case";
      outbox.push_back({row.id, passed ? "deadline_passed" : "deadline_reminder",
                        notification_payload(row, timer->event, std::move(payload))});
    }
    store.set_deadlines_overdue(overdue);
    store.insert_history_rows(history);
    store.insert_outbox_rows(outbox, now);
    report.fired += timers.size();
    for (const auto& t : claimed) {
      if (!alone_cases.contains(t.case_id)) continue;
      if (owner && !store.mark_timer_fired(t.id, *owner, now)) {
        ++report.skipped;
      } else {
        fire(store, t, cal);
        ++report.fired;
      }
    }
  }

  void fire(CaseStore& store, const ClaimedTimer& timer, const Calendar& cal) {
    if (is_deadline_event(timer)) {
      apply_deadline_event(store, timer);
    } else {
      // A kind's own event (an appeal window closing): it happened on the due date.
      apply_in(store, timer.case_id, timer.event, {}, kSystemActor, parse_stored_date(timer.due_on), std::nullopt,
               timer.id, cal);
    }
  }

  void load_closures() {
    auto connection = db->acquire();
    std::vector<ClosureRow> rows;
    try {
      CaseStore store(connection);
      rows = store.closures();
    } catch (...) {
      connection.rethrow_translated();
    }
    std::vector<Closure> closures;
    for (const auto& r : rows) closures.push_back(Closure{parse_stored_date(r.day), r.reason});
    auto updated = std::make_shared<const Calendar>(england_and_wales().with_closures(std::move(closures)));
    std::lock_guard lock(calendar_mutex);
    calendar = std::move(updated);
  }
};

Engine::Engine(std::shared_ptr<Database> db, std::shared_ptr<const KindRegistry> kinds, EngineOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->db = std::move(db);
  impl_->kinds = std::move(kinds);
  impl_->options = std::move(options);
  impl_->kept_history = std::make_unique<KeptHistory>(impl_->options.kept_history_bytes);
  try {
    impl_->load_closures();
  } catch (const Error& e) {
    // An unmigrated database (serve --no-migrate): bank holidays only until the next reload.
    spdlog::warn("calendar closures not loaded: {}", e.what());
    impl_->calendar = std::make_shared<const Calendar>(england_and_wales());
  }
}

Engine::~Engine() = default;

Case Engine::open_case(std::string_view kind_name, std::int32_t school_urn, const boost::json::object& payload,
                       const Actor& actor, std::optional<year_month_day> occurred_on, const InTransaction& also) {
  const CaseKind& kind = impl_->kind_of(std::string(kind_name));
  if (!actor.is_system() && !names_role(kind.opened_by(), actor.role)) {
    throw EngineError(EngineError::Code::not_permitted, fmt::format("a {} may not open a {} (it is opened by: {})",
                                                                    actor.role, kind.name(), kind.opened_by()));
  }
  if (school_urn <= 0) throw payload_error("school_urn", "must be a positive URN");
  validate_payload(payload, kind.open_fields());
  const auto on = occurred_on.value_or(impl_->today());
  impl_->check_occurred_on(on, std::nullopt, actor);
  const auto cal = impl_->current_calendar();
  const CaseRow row = impl_->db->transact([&](Database::Connection& connection) {
    CaseStore store(connection);
    CaseRow opened = impl_->open_in(store, kind, school_urn, payload, actor, on, *cal);
    if (also) also(connection, opened.id);
    return opened;
  });
  return case_from_row(row);
}

Case Engine::apply(std::int64_t case_id, std::string_view event, const boost::json::object& payload, const Actor& actor,
                   year_month_day occurred_on, std::optional<int> expected_version, const InTransaction& also) {
  const auto cal = impl_->current_calendar();
  for (int attempt = 1;; ++attempt) {
    try {
      return impl_->db->transact([&](Database::Connection& connection) {
        CaseStore store(connection);
        auto moved = impl_->apply_in(store, case_id, event, payload, actor, occurred_on, expected_version,
                                     std::nullopt, *cal);
        if (also) also(connection, case_id);
        return moved;
      });
    } catch (const EngineError& e) {
      // Without an expected version the caller wants the event applied to whatever the case is now.
      if (e.code() != EngineError::Code::version_conflict || expected_version || attempt >= kConflictRetries) throw;
    }
  }
}

std::optional<Case> Engine::find(std::int64_t case_id) {
  auto connection = impl_->db->acquire();
  try {
    CaseStore store(connection);
    const auto row = store.load_case(case_id);
    if (!row) return std::nullopt;
    return case_from_row(*row);
  } catch (...) {
    connection.rethrow_translated();
  }
}

std::optional<CaseKey> case_key(std::string_view id_or_reference) {
  const bool digits = !id_or_reference.empty() && std::all_of(id_or_reference.begin(), id_or_reference.end(),
                                                              [](char c) { return c >= '0' && c <= '9'; });
  if (digits) {
    std::int64_t id = 0;
    const auto parsed = std::from_chars(id_or_reference.data(), id_or_reference.data() + id_or_reference.size(), id);
    if (parsed.ec != std::errc() || id <= 0) return std::nullopt;
    return CaseKey{id, {}};
  }
  // References are stored upper case (SR-2026-0042).
  std::string reference(id_or_reference);
  for (char& c : reference) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return CaseKey{0, std::move(reference)};
}

std::optional<Case> Engine::lookup(std::string_view id_or_reference) {
  const auto key = case_key(id_or_reference);
  if (!key) return std::nullopt;
  if (key->id != 0) return find(key->id);
  auto connection = impl_->db->acquire();
  try {
    CaseStore store(connection);
    const auto row = store.load_case_by_reference(key->reference);
    if (!row) return std::nullopt;
    return case_from_row(*row);
  } catch (...) {
    connection.rethrow_translated();
  }
}

Case Engine::get(std::int64_t case_id) {
  auto found = find(case_id);
  if (!found) throw EngineError(EngineError::Code::unknown_case, "case " + std::to_string(case_id) + " does not exist");
  return std::move(*found);
}

std::vector<HistoryEntry> Engine::history(std::int64_t case_id) {
  auto connection = impl_->db->acquire();
  std::vector<HistoryRow> rows;
  try {
    CaseStore store(connection);
    rows = store.history(case_id);
  } catch (...) {
    connection.rethrow_translated();
  }
  std::vector<HistoryEntry> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(history_from_row(r));
  return out;
}

std::vector<Deadline> Engine::deadlines(std::int64_t case_id) {
  auto connection = impl_->db->acquire();
  std::vector<DeadlineRow> rows;
  try {
    CaseStore store(connection);
    rows = store.deadlines(case_id);
  } catch (...) {
    connection.rethrow_translated();
  }
  std::vector<Deadline> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(deadline_from_row(r));
  return out;
}

std::vector<std::string_view> Engine::allowed_events(const Case& c) const {
  return impl_->kind_of(c.kind).allowed_events(c.state);
}

FireReport Engine::fire_due_timers(std::string_view owner_name, std::size_t batch, std::chrono::seconds lease) {
  FireReport report;
  const std::string owner(owner_name);
  const auto now_time = impl_->options.clock();
  const std::string now = format_timestamp(now_time);
  const std::string today = format_date(london_date(now_time));
  const std::string lease_until = format_timestamp(now_time + lease);
  Database& db = *impl_->db;
  const auto cal = impl_->current_calendar();

  // Most batches fire without a failure: take them and fire them together in
  // one transaction, their rows locked against other processes until it
  // commits. A failure rolls it all back, leaving the timers due as they were.
  try {
    return db.transact([&](Database::Connection& connection) {
      CaseStore store(connection);
      FireReport taken;
      const auto timers = store.take_due_timers(today, now, static_cast<int>(batch));
      taken.claimed = timers.size();
      impl_->fire_together(store, timers, std::nullopt, now, *cal, taken);
      return taken;
    });
  } catch (const DatabaseUnavailable&) {
    throw;
  } catch (const std::exception& e) {
    spdlog::debug("a batch of timers failed together, firing each alone: {}", e.what());
  }

  // Some timer failed. Claim and commit first: the lease then tells other
  // processes the timers are taken, and counts this attempt whatever follows.
  const auto claimed = db.transact([&](Database::Connection& connection) {
    CaseStore store(connection);
    return store.claim_due_timers(owner, today, now, lease_until, static_cast<int>(batch));
  });
  report.claimed = claimed.size();
  if (claimed.empty()) return report;

  struct Failure {
    std::int64_t id;
    std::string error;
    int attempts;
    bool give_up;
  };
  std::vector<Failure> failures;
  // Fires the batch in one transaction, each timer in its own savepoint
  // (releasing one and starting the next share a round trip), so that a
  // failure is recorded and the others commit.
  db.transact([&](Database::Connection& connection) {
    CaseStore store(connection);
    connection.exec_script("SAVEPOINT fire_timer");
    for (const ClaimedTimer& timer : claimed) {
      try {
        if (!store.mark_timer_fired(timer.id, owner, now)) {
          ++report.skipped;  // cancelled, or taken over after our lease ran out
        } else {
          impl_->fire(store, timer, *cal);
          ++report.fired;
        }
      } catch (const std::exception& e) {
        connection.exec_script("ROLLBACK TO SAVEPOINT fire_timer");
        failures.push_back({timer.id, e.what(), timer.attempts, timer.attempts >= impl_->options.max_timer_attempts});
      }
      connection.exec_script("RELEASE SAVEPOINT fire_timer; SAVEPOINT fire_timer");
    }
    connection.exec_script("RELEASE SAVEPOINT fire_timer");
    for (const Failure& f : failures) {
      // Back off a minute per attempt so a failing timer does not spin.
      const auto retry_at = format_timestamp(now_time + std::chrono::minutes(1) * std::max(1, f.attempts));
      store.release_timer(f.id, owner, f.error, f.give_up, retry_at);
    }
  });
  for (const Failure& f : failures) {
    spdlog::warn("timer {} failed{}: {}", f.id, f.give_up ? " for good" : ", will retry", f.error);
  }
  report.failed = failures.size();
  return report;
}

int Engine::add_closure(year_month_day day, std::string_view reason, std::string_view actor) {
  if (!day.ok()) throw payload_error("day", "is not a date that exists");
  if (reason.empty()) throw payload_error("reason", "is required");
  int moved = 0;
  impl_->db->transact([&](Database::Connection& connection) {
    CaseStore store(connection);
    const std::string now = format_timestamp(impl_->options.clock());
    for (const auto& existing : store.closures()) {
      if (existing.day == format_date(day)) throw payload_error("day", format_date(day) + " is already closed");
    }
    store.insert_closure(format_date(day), std::string(reason), std::string(actor), now);
    std::vector<Closure> closures;
    for (const auto& r : store.closures()) closures.push_back(Closure{parse_stored_date(r.day), r.reason});
    const Calendar cal = england_and_wales().with_closures(std::move(closures));
    for (const DeadlineRow& d : store.unsettled_deadlines(std::nullopt)) {
      const auto before = DeadlineComputation::from_json(d.computation);
      const auto after = cal.compute_deadline(before.start, before.working_days);
      if (after == before) continue;
      store.move_deadline(d.id, format_date(after.due), after.to_json());
      auto row = store.load_case(d.case_id);
      const DeadlineSpec* spec = row ? impl_->kind_of(row->kind).find_deadline(d.purpose) : nullptr;
      // A deadline the closure pushes back past today is no longer overdue.
      const bool reopened = d.status == "overdue" && std::chrono::sys_days(after.due) >= std::chrono::sys_days(today());
      if (reopened) store.set_deadline_status(d.id, "open", std::nullopt);
      if (spec != nullptr && (d.status == "open" || reopened)) {
        store.cancel_timers(d.id);
        impl_->insert_timers(store, *spec, d.case_id, d.id, before.start, after.due, cal, now);
      }
      ++moved;
    }
  });
  impl_->load_closures();
  return moved;
}

void Engine::reload_calendar() { impl_->load_closures(); }

Calendar Engine::calendar() const { return *impl_->current_calendar(); }

year_month_day Engine::today() const { return impl_->today(); }

std::chrono::system_clock::time_point Engine::now() const { return impl_->options.clock(); }

const KindRegistry& Engine::kinds() const noexcept { return *impl_->kinds; }

Database& Engine::database() noexcept { return *impl_->db; }

KeptHistory& Engine::kept_history() noexcept { return *impl_->kept_history; }

}  // namespace s2s::workflow
