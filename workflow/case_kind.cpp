#include "workflow/case_kind.h"

#include <iterator>
#include <stdexcept>

#include "workflow/text.h"

namespace s2s::workflow {
namespace {

constexpr std::pair<Phase, std::string_view> kPhases[] = {
    {Phase::referral, "referral"},     {Phase::matching, "matching"}, {Phase::deployment, "deployment"},
    {Phase::evaluation, "evaluation"}, {Phase::closed, "closed"},     {Phase::declined, "declined"},
    {Phase::withdrawn, "withdrawn"},
};

}  // namespace

std::string_view to_string(Phase phase) noexcept {
  for (const auto& [p, name] : kPhases) {
    if (p == phase) return name;
  }
  return "unknown";
}

std::optional<Phase> phase_from_string(std::string_view text) noexcept {
  for (const auto& [p, name] : kPhases) {
    if (name == text) return p;
  }
  return std::nullopt;
}

bool is_terminal(Phase phase) noexcept {
  return phase == Phase::closed || phase == Phase::declined || phase == Phase::withdrawn;
}

bool names_role(std::string_view who, std::string_view role) noexcept {
  // No allocation: called for every event and every allowed-events answer.
  while (!who.empty()) {
    const auto comma = who.find(',');
    if (who.substr(0, comma) == role) return true;
    if (comma == std::string_view::npos) break;
    who.remove_prefix(comma + 1);
  }
  return false;
}

std::string_view to_string(DeadlineSourceKind kind) noexcept {
  static constexpr std::string_view kNames[] = {"unstated", "seed", "design", "policy"};
  static_assert(std::size(kNames) == static_cast<std::size_t>(DeadlineSourceKind::policy) + 1);
  return enum_name(kind, kNames, "unstated");
}

std::optional<int> DeadlinePolicy::days_for(std::string_view purpose) const {
  for (const auto& [name, days] : working_days) {
    if (name == purpose) return days;
  }
  return std::nullopt;
}

bool EventContext::refuse(std::string reason) {
  refusals_.push_back(std::move(reason));
  return false;
}

std::chrono::year_month_day EventContext::arm_deadline(std::string_view purpose,
                                                       std::optional<std::chrono::year_month_day> from) {
  const auto start = from.value_or(occurred_on_);
  const int days = working_days_(purpose);
  armed_.push_back(ArmedDeadline{std::string(purpose), start, days});
  return calendar_.add_working_days(start, days);
}

void EventContext::settle_deadline(std::string_view purpose) { settled_.emplace_back(purpose); }

void EventContext::notify(std::string_view message, boost::json::object extra) {
  notifications_.push_back(Notification{std::string(message), std::move(extra)});
}

void EventContext::request(std::string_view effect, boost::json::object args) {
  effects_.push_back(Effect{std::string(effect), std::move(args)});
}

void EventContext::open_linked_case(std::string_view kind, boost::json::object payload) {
  linked_.push_back(LinkedCase{std::string(kind), std::move(payload)});
}

std::optional<Phase> CaseKind::phase_of(std::string_view state) const noexcept {
  for (const StateInfo& s : states()) {
    if (s.name == state) return s.phase;
  }
  return std::nullopt;
}

const EventInfo* CaseKind::find_event(std::string_view event) const noexcept {
  for (const EventInfo& e : events()) {
    if (e.name == event) return &e;
  }
  return nullptr;
}

const MessageSpec* CaseKind::find_message(std::string_view message) const noexcept {
  for (const auto& m : messages()) {
    if (m.message == message) return &m;
  }
  return nullptr;
}

const DeadlineSpec* CaseKind::find_deadline(std::string_view purpose) const noexcept {
  for (const DeadlineSpec& d : deadlines()) {
    if (d.purpose == purpose) return &d;
  }
  return nullptr;
}

void KindRegistry::add(std::unique_ptr<CaseKind> kind) {
  for (const auto& existing : kinds_) {
    if (existing->name() == kind->name() || existing->reference_prefix() == kind->reference_prefix()) {
      throw std::logic_error("case kind " + std::string(kind->name()) + " registered twice or shares prefix " +
                             std::string(kind->reference_prefix()));
    }
  }
  kinds_.push_back(std::move(kind));
}

void KindRegistry::add_effect(std::string name, EffectHandler handler) {
  if (find_effect(name) != nullptr) throw std::logic_error("effect " + name + " registered twice");
  effects_.emplace_back(std::move(name), std::move(handler));
}

const EffectHandler* KindRegistry::find_effect(std::string_view name) const noexcept {
  for (const auto& [effect, handler] : effects_) {
    if (effect == name) return &handler;
  }
  return nullptr;
}

const CaseKind* KindRegistry::find(std::string_view name) const noexcept {
  for (const auto& kind : kinds_) {
    if (kind->name() == name) return kind.get();
  }
  return nullptr;
}

std::vector<const CaseKind*> KindRegistry::all() const {
  std::vector<const CaseKind*> out;
  for (const auto& kind : kinds_) out.push_back(kind.get());
  return out;
}

}  // namespace s2s::workflow
