#pragma once

// The Boost.MSM glue: turns a front-end machine into a CaseKind. Heavy: include
// it only from the one .cpp file that defines a kind.
//
// A kind's front end derives from MachineBase<Self> and declares:
//   static constexpr std::string_view kKind, kPrefix;
//   static constexpr StateInfo kStates[];        the stable name table
//   static constexpr DeadlineSpec kDeadlines[];  (may be empty: std::array<DeadlineSpec, 0>)
//   static constexpr FieldSpec kOpenFields[];
//   static constexpr std::string_view kOpenedBy;  roles that may open one: "lead,school"
//   static constexpr MessageSpec kMessages[];    every message it queues, with who hears it
//   static constexpr ProviderSpec kProvider;     what matching asks of its provider
//   static void on_open(EventContext&);
//   using initial_state = ...;
//   struct transition_table : boost::mpl::vector<Row<...>, ...> {};
// States are msm::front::state<> with `static constexpr std::string_view name`.
// Events carry `name`, `who`, `summary` and `fields` (their payload); guards and
// actions are functors with a `name`, reaching the event's context through
// fsm.ctx. Guards say why they refuse through ctx->refuse().

#include <boost/mpl/for_each.hpp>
#include <boost/msm/back/state_machine.hpp>
#include <boost/msm/front/functor_row.hpp>
#include <boost/msm/front/state_machine_def.hpp>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>

#include "workflow/case_kind.h"

namespace s2s::workflow {

template <class Derived>
struct MachineBase : boost::msm::front::state_machine_def<Derived> {
  // Exceptions from actions propagate to the engine, which rolls the event back.
  using no_exception_thrown = int;
  // Events are never queued: one event, one dispatch.
  using no_message_queue = int;

  EventContext* ctx = nullptr;

  // An event the current state does not take: reported by dispatch(), not an error here.
  template <class Fsm, class Event>
  void no_transition(Event const&, Fsm&, int) {}
};

// The names a kind's file writes its states, events and table with:
// `using namespace workflow::kind_table;`.
namespace kind_table {
using boost::msm::front::none;
using boost::msm::front::Row;
using workflow::EventContext;
using workflow::FieldSpec;
using workflow::FieldType;
using workflow::Phase;
}  // namespace kind_table

namespace msm_detail {

template <class T, class = void>
struct has_name : std::false_type {};
template <class T>
struct has_name<T, std::void_t<decltype(T::name)>> : std::true_type {};

template <class T>
constexpr std::string_view name_of() {
  if constexpr (has_name<T>::value) {
    return T::name;
  } else {
    return {};
  }
}

// mpl::for_each hands each type over wrapped (never constructed); this names it.
template <class T>
T unwrap(boost::msm::wrap<T>);

// A Boost.Serialization-shaped visitor that sets the machine's current state
// and nothing else: how a case is restored without running entry actions.
struct RestoreState {
  int state_id;
  template <class T>
  RestoreState& operator&(T& member) {
    if constexpr (std::is_same_v<T, int[1]>) member[0] = state_id;
    return *this;
  }
};

}  // namespace msm_detail

template <class Machine>
class MsmKind final : public CaseKind {
 public:
  using Back = boost::msm::back::state_machine<Machine>;
  using Table = typename Machine::transition_table;

  MsmKind() {
    using StateSet = typename boost::msm::back::generate_state_set<typename Back::stt>::type;
    boost::mpl::for_each<StateSet, boost::msm::wrap<boost::mpl::placeholders::_1>>([this](auto wrapped) {
      using S = decltype(msm_detail::unwrap(wrapped));
      const int id = boost::msm::back::get_state_id<typename Back::stt, S>::value;
      state_ids_.emplace(std::string(S::name), id);
      if (state_names_.size() <= static_cast<std::size_t>(id)) state_names_.resize(id + 1);
      state_names_[id] = S::name;
    });
    boost::mpl::for_each<Table, boost::msm::wrap<boost::mpl::placeholders::_1>>([this](auto wrapped) {
      using R = decltype(msm_detail::unwrap(wrapped));
      using Event = typename R::Evt;
      const bool internal = std::is_same_v<typename R::Target, boost::msm::front::none>;
      std::string_view to = internal ? std::string_view(R::Source::name) : msm_detail::name_of<typename R::Target>();
      transitions_.push_back(TransitionInfo{R::Source::name, Event::name, to, msm_detail::name_of<typename R::Guard>(),
                                            msm_detail::name_of<typename R::Action>(), internal});
      if (std::none_of(events_.begin(), events_.end(), [](const EventInfo& e) { return e.name == Event::name; })) {
        events_.push_back(
            EventInfo{Event::name, Event::who, Event::summary, std::span<const FieldSpec>(Event::fields)});
        dispatchers_.emplace(std::string(Event::name), [](Back& fsm) { return fsm.process_event(Event{}); });
      }
    });
  }

  std::string_view name() const noexcept override { return Machine::kKind; }
  std::string_view reference_prefix() const noexcept override { return Machine::kPrefix; }
  std::string_view initial_state() const noexcept override { return Machine::initial_state::name; }
  std::span<const StateInfo> states() const noexcept override { return Machine::kStates; }
  std::span<const EventInfo> events() const noexcept override { return events_; }
  std::span<const DeadlineSpec> deadlines() const noexcept override { return Machine::kDeadlines; }
  std::span<const FieldSpec> open_fields() const noexcept override { return Machine::kOpenFields; }
  std::string_view opened_by() const noexcept override { return Machine::kOpenedBy; }
  std::span<const MessageSpec> messages() const noexcept override { return Machine::kMessages; }
  const ProviderSpec& provider() const noexcept override { return Machine::kProvider; }
  std::vector<TransitionInfo> transitions() const override { return transitions_; }

  void on_open(EventContext& ctx) const override { Machine::on_open(ctx); }

  DispatchResult dispatch(std::string_view state, std::string_view event, EventContext& ctx) const override {
    const auto dispatcher = dispatchers_.find(std::string(event));
    if (dispatcher == dispatchers_.end()) return {DispatchResult::Outcome::not_allowed, state};
    Back fsm;
    restore(fsm, state);
    fsm.ctx = &ctx;
    const auto handled = dispatcher->second(fsm);
    fsm.ctx = nullptr;
    switch (handled) {
      case boost::msm::back::HANDLED_TRUE:
        return {DispatchResult::Outcome::moved, state_names_.at(static_cast<std::size_t>(fsm.current_state()[0]))};
      case boost::msm::back::HANDLED_GUARD_REJECT:
        return {DispatchResult::Outcome::guard_rejected, state};
      default:
        return {DispatchResult::Outcome::not_allowed, state};
    }
  }

  bool accepts(std::string_view state, std::string_view event) const noexcept override {
    return std::any_of(transitions_.begin(), transitions_.end(),
                       [&](const TransitionInfo& t) { return t.from == state && t.event == event; });
  }

  std::vector<std::string_view> allowed_events(std::string_view state) const override {
    std::vector<std::string_view> out;
    for (const TransitionInfo& t : transitions_) {
      if (t.from == state && std::find(out.begin(), out.end(), t.event) == out.end()) out.push_back(t.event);
    }
    return out;
  }

  std::vector<std::string_view> machine_states() const override {
    std::vector<std::string_view> out;
    for (const auto& name : state_names_) {
      if (!name.empty()) out.push_back(name);
    }
    return out;
  }

 private:
  void restore(Back& fsm, std::string_view state) const {
    const auto it = state_ids_.find(std::string(state));
    if (it == state_ids_.end()) {
      throw std::logic_error("state '" + std::string(state) + "' is not in the " + std::string(Machine::kKind) +
                             " machine");
    }
    msm_detail::RestoreState visitor{it->second};
    fsm.serialize(visitor, 0);
  }

  std::unordered_map<std::string, int> state_ids_;
  std::vector<std::string_view> state_names_;
  std::vector<TransitionInfo> transitions_;
  std::vector<EventInfo> events_;
  std::unordered_map<std::string, boost::msm::back::HandledEnum (*)(Back&)> dispatchers_;
};

}  // namespace s2s::workflow
