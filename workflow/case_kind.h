#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "workflow/calendar.h"
#include "workflow/database.h"

// What the engine knows of a case kind: a generic interface that cases/
// implements once per kind with a Boost.MSM machine (see workflow/msm_kind.h).
// Nothing here names a kind.
namespace s2s::workflow {

// Every state of every kind sits in one phase; dashboards group by it.
enum class Phase { referral, matching, deployment, evaluation, closed, declined, withdrawn };

[[nodiscard]] std::string_view to_string(Phase phase) noexcept;
[[nodiscard]] std::optional<Phase> phase_from_string(std::string_view text) noexcept;
// closed, declined and withdrawn: no event leaves them.
[[nodiscard]] bool is_terminal(Phase phase) noexcept;

struct StateInfo {
  std::string_view name;  // persisted: never rename, never reuse
  Phase phase;
};

// The type of one payload field.
enum class FieldType { string, integer, number, boolean, date, string_list };

[[nodiscard]] std::string_view to_string(FieldType type) noexcept;

// What any payload field holds at most (docs/machines.md, step 7): a text, a list and
// its items, and a number without a range of its own.
inline constexpr std::size_t kMaxTextBytes = 10000;
inline constexpr std::size_t kMaxListItems = 50;
inline constexpr std::size_t kMaxListItemBytes = 200;
inline constexpr double kMaxNumber = 1e9;

struct FieldSpec {
  std::string_view name;
  FieldType type;
  bool required = true;
  std::string_view one_of{};  // strings only: allowed values, comma-separated; empty: any
  std::string_view help{};
  // integers and numbers only: the least and greatest values taken; none: no bound.
  std::optional<double> min{};
  std::optional<double> max{};
};

struct EventInfo {
  std::string_view name;     // "provider_accepts"
  std::string_view who;      // roles that may send it, for documentation and the API: "lead", "system_leader"
  std::string_view summary;  // what happened
  std::span<const FieldSpec> fields;
};

// Where a deadline's default number of working days comes from (docs/deadlines.md).
enum class DeadlineSourceKind {
  unstated,  // nobody has said: a test refuses it
  seed,      // an action plan states the period; the text quotes it
  design,    // the product design (docs/) sets it, though the plans do not
  policy,    // a local policy default: the plans set no period
};

// "unstated", "seed", "design" or "policy".
[[nodiscard]] std::string_view to_string(DeadlineSourceKind kind) noexcept;

struct DeadlineSource {
  DeadlineSourceKind kind = DeadlineSourceKind::unstated;
  std::string_view text{};  // for people: the plan's words, the design's rule, or why it is a policy default

  [[nodiscard]] static constexpr DeadlineSource seed(std::string_view text) noexcept {
    return {DeadlineSourceKind::seed, text};
  }
  [[nodiscard]] static constexpr DeadlineSource design(std::string_view text) noexcept {
    return {DeadlineSourceKind::design, text};
  }
  [[nodiscard]] static constexpr DeadlineSource policy(std::string_view text) noexcept {
    return {DeadlineSourceKind::policy, text};
  }
};

// A deadline a kind arms, with its documented, configurable default.
struct DeadlineSpec {
  std::string_view purpose;  // "risk_assessment.report": set with --deadline-days PURPOSE=N
  int default_working_days;
  std::string_view description;
  std::string_view due_event{};  // fired when it passes: empty means the generic deadline_passed
  bool remind = true;            // send reminder_due some working days before
  // The role whose move it is while the deadline runs ("lead", "system_leader",
  // "school"): a role some event of the kind names in its `who`.
  std::string_view owner{};
  DeadlineSource source{};  // where default_working_days comes from
};

// Days per deadline purpose (defaults from the kinds' DeadlineSpecs, overridable
// by configuration), and how many working days before a deadline its reminder goes.
struct DeadlinePolicy {
  std::vector<std::pair<std::string, int>> working_days;  // purpose -> days
  int reminder_working_days = 2;

  // The configured days for `purpose`, or nullopt when nothing configures it.
  [[nodiscard]] std::optional<int> days_for(std::string_view purpose) const;
};

// A message a kind queues (EventContext::notify), and who of the case's
// people hears it. Every message a kind queues is declared: the engine
// refuses to queue one that is not, so a kind cannot forget its recipients.
struct MessageSpec {
  std::string_view message;     // "provider_proposed"
  std::string_view recipients;  // comma-separated: lead, system_leader, school, referrer (the LA officer who referred)
};

// What a kind asks of the system leader who takes one of its cases, for
// matching (docs/matching.md). Interpreted by cases/; the engine only keeps it.
struct ProviderSpec {
  // The designations that fit, comma-separated: a code fits always ("NLE");
  // "SLE:focus" fits when one of its specialisms is a focus area of the case;
  // "NLG:governance" when governance is one. Empty: no provider is matched.
  std::string_view fits;
  // Another designation the provider must hold as well, active ("NLE,LLE": either); empty: none.
  std::string_view also{};
  // How the fitting designation is named in a refusal ("an NLE or LLE designation").
  std::string_view needed{};
  // Days reserved on acceptance when the case names none (requested or planned days).
  double default_days = 0;
  // How the second designation is named in a refusal; empty: from `also`'s codes.
  std::string_view also_needed{};
};

// Who sends an event or opens a case. `name` is recorded in the history. An
// actor with a role is a person: the engine lets them send only the events
// whose `who` names their role, on cases the registry's scope check accepts.
// An actor without a role is the system itself (timers, the CLI, imports).
struct Actor {
  Actor(const char* system_name) : name(system_name) {}         // NOLINT: implicit, a system actor
  Actor(std::string_view system_name) : name(system_name) {}    // NOLINT: implicit, a system actor
  Actor(const std::string& system_name) : name(system_name) {}  // NOLINT: implicit, a system actor
  Actor(std::string name, std::string role, std::string scope)
      : name(std::move(name)), role(std::move(role)), scope(std::move(scope)) {}

  [[nodiscard]] bool is_system() const noexcept { return role.empty(); }

  std::string name;   // "user:12 amy@example.org", "s2sd"
  std::string role;   // lead, system_leader, school, la_officer, admin; empty: the system
  std::string scope;  // mini_region:Derby City, alliance:3, school:100012, system_leader:7, la:831; empty: none
};

// Whether the comma-separated role list `who` ("lead,school") names `role`.
[[nodiscard]] bool names_role(std::string_view who, std::string_view role) noexcept;

class CaseKind;

struct CaseSnapshot {
  std::int64_t id = 0;
  std::string kind;
  std::string reference;
  std::int32_t school_urn = 0;
  std::string state;
  int version = 0;
  std::chrono::year_month_day opened_on{};
  // The kind itself, from the registry the engine was given (what its
  // effects ask of it, e.g. its provider rule); null outside an event.
  const CaseKind* case_kind = nullptr;
};

// What a kind's guards and actions see of one event, and the effects they ask
// for. The engine applies the effects in the event's transaction; a guard that
// refuses leaves nothing behind. Not thread-safe: one event, one context.
class EventContext {
 public:
  // `working_days` answers how many working days a deadline purpose runs for.
  EventContext(const CaseSnapshot& snapshot, std::string_view event, const boost::json::object& payload,
               boost::json::object& data, Actor actor, std::chrono::year_month_day occurred_on,
               const Calendar& calendar, std::function<int(std::string_view)> working_days)
      : snapshot_(snapshot),
        event_(event),
        payload_(payload),
        data_(data),
        actor_(std::move(actor)),
        occurred_on_(occurred_on),
        calendar_(calendar),
        working_days_(std::move(working_days)) {}

  [[nodiscard]] const CaseSnapshot& snapshot() const noexcept { return snapshot_; }
  [[nodiscard]] std::string_view event() const noexcept { return event_; }
  [[nodiscard]] const boost::json::object& payload() const noexcept { return payload_; }
  // The case's kind-specific data; changes are saved with the event.
  [[nodiscard]] boost::json::object& data() noexcept { return data_; }
  // The actor's name, as the history records it.
  [[nodiscard]] std::string_view actor() const noexcept { return actor_.name; }
  [[nodiscard]] const Actor& caller() const noexcept { return actor_; }
  [[nodiscard]] std::chrono::year_month_day occurred_on() const noexcept { return occurred_on_; }
  [[nodiscard]] const Calendar& calendar() const noexcept { return calendar_; }

  // For guards: records why the event is refused and returns false, so a
  // guard reads `return has_x || ctx.refuse("x is needed")`.
  bool refuse(std::string reason);
  [[nodiscard]] const std::vector<std::string>& refusals() const noexcept { return refusals_; }

  // Arms the deadline `purpose` in the state the event enters: due the
  // configured number of working days after `from` (default: occurred_on).
  // Leaving that state settles it and cancels its timers. Returns the due date.
  std::chrono::year_month_day arm_deadline(std::string_view purpose,
                                           std::optional<std::chrono::year_month_day> from = std::nullopt);

  // Settles the case's open deadline `purpose` now (met, or late if past due),
  // for a deadline answered without leaving its state (a rating submitted).
  void settle_deadline(std::string_view purpose);

  // Queues a notification (outbox row) of kind `message`; the engine adds the
  // case reference, kind, event and state.
  void notify(std::string_view message, boost::json::object extra = {});

  // Opens a case of another kind for the same school in the same transaction,
  // linking the two both ways (e.g. a risk assessment recommending support).
  void open_linked_case(std::string_view kind, boost::json::object payload);

  // Asks for a domain effect (reserving a provider's capacity), run by the
  // handler registered under `effect` inside the event's transaction. A
  // handler that refuses throws, and the event leaves nothing behind.
  void request(std::string_view effect, boost::json::object args);

  struct ArmedDeadline {
    std::string purpose;
    std::chrono::year_month_day from;
    int working_days;
  };
  struct Notification {
    std::string message;
    boost::json::object extra;
  };
  struct LinkedCase {
    std::string kind;
    boost::json::object payload;
  };
  struct Effect {
    std::string name;
    boost::json::object args;
  };
  [[nodiscard]] const std::vector<ArmedDeadline>& armed() const noexcept { return armed_; }
  [[nodiscard]] const std::vector<Notification>& notifications() const noexcept { return notifications_; }
  [[nodiscard]] const std::vector<LinkedCase>& linked_cases() const noexcept { return linked_; }
  [[nodiscard]] const std::vector<std::string>& settled() const noexcept { return settled_; }
  [[nodiscard]] const std::vector<Effect>& effects() const noexcept { return effects_; }

 private:
  const CaseSnapshot& snapshot_;
  std::string_view event_;
  const boost::json::object& payload_;
  boost::json::object& data_;
  Actor actor_;
  std::chrono::year_month_day occurred_on_;
  const Calendar& calendar_;
  std::function<int(std::string_view)> working_days_;
  std::vector<std::string> refusals_;
  std::vector<std::string> settled_;
  std::vector<ArmedDeadline> armed_;
  std::vector<Notification> notifications_;
  std::vector<LinkedCase> linked_;
  std::vector<Effect> effects_;
};

// A transition as the kind's table declares it, for diagrams and tests.
struct TransitionInfo {
  std::string_view from;
  std::string_view event;
  std::string_view to;      // equal to from for an internal transition
  std::string_view guard;   // empty: none
  std::string_view action;  // empty: none
  bool internal = false;    // stays in the state without leaving it
};

struct DispatchResult {
  enum class Outcome { moved, not_allowed, guard_rejected };
  Outcome outcome;
  std::string_view state;  // the state after the event (unchanged unless moved)
};

// One kind of case. Implementations are immutable and thread-safe.
class CaseKind {
 public:
  virtual ~CaseKind() = default;

  [[nodiscard]] virtual std::string_view name() const noexcept = 0;              // "support_request"
  [[nodiscard]] virtual std::string_view reference_prefix() const noexcept = 0;  // "SR"
  [[nodiscard]] virtual std::string_view initial_state() const noexcept = 0;
  // The stable name table: every state with its phase.
  [[nodiscard]] virtual std::span<const StateInfo> states() const noexcept = 0;
  // Every event the machine reacts to, with its payload.
  [[nodiscard]] virtual std::span<const EventInfo> events() const noexcept = 0;
  [[nodiscard]] virtual std::span<const DeadlineSpec> deadlines() const noexcept = 0;
  // The roles that may open a case of this kind ("lead,school,la_officer").
  [[nodiscard]] virtual std::string_view opened_by() const noexcept = 0;
  // The payload of the referral that opens a case.
  [[nodiscard]] virtual std::span<const FieldSpec> open_fields() const noexcept = 0;
  // The messages it queues and who hears each; what it asks of a provider.
  [[nodiscard]] virtual std::span<const MessageSpec> messages() const noexcept = 0;
  [[nodiscard]] virtual const ProviderSpec& provider() const noexcept = 0;
  // The MSM transition table, row by row.
  [[nodiscard]] virtual std::vector<TransitionInfo> transitions() const = 0;
  // The states the MSM table itself defines, to check against states().
  [[nodiscard]] virtual std::vector<std::string_view> machine_states() const = 0;

  // Runs when a case is opened: keeps referral fields, arms first deadlines.
  virtual void on_open(EventContext& ctx) const = 0;
  // Runs `event` through the machine restored to `state` (no entry actions replayed).
  [[nodiscard]] virtual DispatchResult dispatch(std::string_view state, std::string_view event,
                                                EventContext& ctx) const = 0;
  // The events `state` accepts, in table order, without duplicates.
  [[nodiscard]] virtual std::vector<std::string_view> allowed_events(std::string_view state) const = 0;
  // Whether `state` takes `event` (its guards aside). Allocates nothing.
  [[nodiscard]] virtual bool accepts(std::string_view state, std::string_view event) const noexcept = 0;

  // Helpers on the tables above.
  [[nodiscard]] std::optional<Phase> phase_of(std::string_view state) const noexcept;
  [[nodiscard]] const EventInfo* find_event(std::string_view event) const noexcept;
  [[nodiscard]] const DeadlineSpec* find_deadline(std::string_view purpose) const noexcept;
  [[nodiscard]] const MessageSpec* find_message(std::string_view message) const noexcept;
};

// Runs one requested effect on the event's transaction, for the case as it
// was before the event. Throws (EngineError guard_failed, to refuse) to undo the event.
using EffectHandler = std::function<void(Database::Connection& connection, const CaseSnapshot& snapshot,
                                         const boost::json::object& args)>;

// Whether a case lies within a person's scope: nullopt when it does, else why
// not. Runs on the event's transaction (the case as it was before the event).
using ScopeCheck = std::function<std::optional<std::string>(Database::Connection& connection, const Actor& actor,
                                                            const CaseSnapshot& snapshot)>;

// The kinds a process knows, by name, the handlers of the effects they
// request, and the scope check for people. Built once at start-up, then read-only.
class KindRegistry {
 public:
  void add(std::unique_ptr<CaseKind> kind);                  // throws std::logic_error on a duplicate name or prefix
  void add_effect(std::string name, EffectHandler handler);  // throws std::logic_error on a duplicate
  [[nodiscard]] const CaseKind* find(std::string_view name) const noexcept;
  [[nodiscard]] const EffectHandler* find_effect(std::string_view name) const noexcept;
  [[nodiscard]] std::vector<const CaseKind*> all() const;
  // Without one, every case is within every person's scope.
  void set_scope_check(ScopeCheck check) { scope_check_ = std::move(check); }
  [[nodiscard]] const ScopeCheck& scope_check() const noexcept { return scope_check_; }

 private:
  ScopeCheck scope_check_;
  std::vector<std::unique_ptr<CaseKind>> kinds_;
  std::vector<std::pair<std::string, EffectHandler>> effects_;
};

}  // namespace s2s::workflow
