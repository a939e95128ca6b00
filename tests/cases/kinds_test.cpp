#include "cases/kinds.h"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "cases/deployments.h"

#include "workflow/calendar.h"
#include "workflow/case_kind.h"
#include "workflow/engine.h"
#include "workflow/text.h"

namespace s2s::cases {
namespace {

using workflow::CaseKind;
using workflow::DispatchResult;

// What every registered kind is called, its reference prefix, and how its
// deadline purposes begin.
struct ExpectedKind {
  std::string_view name;
  std::string_view prefix;
  std::string_view purpose_prefix;
};
constexpr ExpectedKind kExpectedKinds[] = {
    {"support_request", "SR", "support_request."},
    {"risk_assessment", "RA", "risk_assessment."},
    {"designation_review", "DR", "designation_review."},
    {"pupil_premium_review", "PP", "pupil_premium."},
};

std::vector<const CaseKind*> kinds() { return all_kinds()->all(); }

const ExpectedKind& expected_for(const CaseKind& kind) {
  for (const ExpectedKind& expected : kExpectedKinds) {
    if (expected.name == kind.name()) return expected;
  }
  throw std::logic_error("unexpected kind " + std::string(kind.name()));
}

std::set<std::string_view> state_names(const CaseKind& kind) {
  std::set<std::string_view> names;
  for (const auto& state : kind.states()) names.insert(state.name);
  return names;
}

TEST(KindsTest, RegistersTheFourKindsWithTheirPrefixes) {
  std::set<std::pair<std::string_view, std::string_view>> registered;
  for (const CaseKind* kind : kinds()) registered.emplace(kind->name(), kind->reference_prefix());
  std::set<std::pair<std::string_view, std::string_view>> expected;
  for (const ExpectedKind& kind : kExpectedKinds) expected.emplace(kind.name, kind.prefix);
  EXPECT_EQ(registered, expected);
  for (const ExpectedKind& kind : kExpectedKinds) {
    ASSERT_NE(all_kinds()->find(kind.name), nullptr) << kind.name;
    EXPECT_EQ(all_kinds()->find(kind.name)->name(), kind.name);
  }
}

TEST(KindsTest, StateNameTableMatchesTheMachine) {
  for (const CaseKind* kind : kinds()) {
    SCOPED_TRACE(std::string(kind->name()));
    const auto machine = kind->machine_states();
    EXPECT_EQ(std::set<std::string_view>(machine.begin(), machine.end()), state_names(*kind));
    EXPECT_EQ(machine.size(), kind->states().size());
  }
}

TEST(KindsTest, StateNamesAreUnique) {
  for (const CaseKind* kind : kinds()) {
    SCOPED_TRACE(std::string(kind->name()));
    EXPECT_EQ(state_names(*kind).size(), kind->states().size());
  }
}

TEST(KindsTest, InitialStateIsInTheTableAndInTheReferralPhase) {
  for (const CaseKind* kind : kinds()) {
    SCOPED_TRACE(std::string(kind->name()));
    ASSERT_TRUE(state_names(*kind).contains(kind->initial_state()));
    EXPECT_EQ(kind->phase_of(kind->initial_state()), workflow::Phase::referral);
  }
}

TEST(KindsTest, EveryTransitionJoinsStatesOfTheTable) {
  for (const CaseKind* kind : kinds()) {
    SCOPED_TRACE(std::string(kind->name()));
    const auto names = state_names(*kind);
    ASSERT_FALSE(kind->transitions().empty());
    for (const auto& t : kind->transitions()) {
      EXPECT_TRUE(names.contains(t.from)) << t.from << " --" << t.event << "-->";
      EXPECT_TRUE(names.contains(t.to)) << t.event << "--> " << t.to;
      EXPECT_NE(kind->find_event(t.event), nullptr) << t.event;
      if (t.internal) {
        EXPECT_EQ(t.from, t.to) << t.event;
      }
    }
  }
}

TEST(KindsTest, EveryStateIsReachableFromTheInitialState) {
  for (const CaseKind* kind : kinds()) {
    SCOPED_TRACE(std::string(kind->name()));
    std::set<std::string_view> reached{kind->initial_state()};
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto& t : kind->transitions()) {
        if (reached.contains(t.from) && reached.insert(t.to).second) grew = true;
      }
    }
    EXPECT_EQ(reached, state_names(*kind));
  }
}

TEST(KindsTest, TerminalStatesAcceptNoEvents) {
  for (const CaseKind* kind : kinds()) {
    SCOPED_TRACE(std::string(kind->name()));
    for (const auto& state : kind->states()) {
      if (workflow::is_terminal(state.phase)) {
        EXPECT_TRUE(kind->allowed_events(state.name).empty()) << state.name;
      }
    }
  }
}

TEST(KindsTest, EveryOpenStateAcceptsSomeEvent) {
  for (const CaseKind* kind : kinds()) {
    SCOPED_TRACE(std::string(kind->name()));
    for (const auto& state : kind->states()) {
      if (!workflow::is_terminal(state.phase)) {
        EXPECT_FALSE(kind->allowed_events(state.name).empty()) << state.name;
      }
    }
  }
}

TEST(KindsTest, EveryOpenStateCanReachATerminalState) {
  for (const CaseKind* kind : kinds()) {
    SCOPED_TRACE(std::string(kind->name()));
    std::set<std::string_view> ending;
    for (const auto& state : kind->states()) {
      if (workflow::is_terminal(state.phase)) ending.insert(state.name);
    }
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto& t : kind->transitions()) {
        if (ending.contains(t.to) && ending.insert(t.from).second) grew = true;
      }
    }
    EXPECT_EQ(ending, state_names(*kind));
  }
}

TEST(KindsTest, EveryEventSaysWhoSendsItAndWhatHappened) {
  for (const CaseKind* kind : kinds()) {
    SCOPED_TRACE(std::string(kind->name()));
    ASSERT_FALSE(kind->events().empty());
    std::set<std::string_view> names;
    for (const auto& event : kind->events()) {
      EXPECT_FALSE(event.name.empty());
      EXPECT_FALSE(event.who.empty()) << event.name;
      EXPECT_FALSE(event.summary.empty()) << event.name;
      EXPECT_TRUE(names.insert(event.name).second) << event.name << " listed twice";
    }
  }
}

TEST(KindsTest, EventFieldNamesAreUniquePerEvent) {
  for (const CaseKind* kind : kinds()) {
    SCOPED_TRACE(std::string(kind->name()));
    for (const auto& event : kind->events()) {
      std::set<std::string_view> names;
      for (const auto& field : event.fields) {
        EXPECT_FALSE(field.name.empty()) << event.name;
        EXPECT_TRUE(names.insert(field.name).second) << event.name << "." << field.name << " listed twice";
        if (!field.one_of.empty()) {
          EXPECT_EQ(field.type, workflow::FieldType::string) << event.name << "." << field.name;
        }
      }
    }
  }
}

// A proposal's note is for leads, admins and the provider it proposes; shared,
// for everyone who sees the case (docs/roles.md).
TEST(NotesTest, AProposalsNoteIsReadByLeadsAdminsAndItsOwnProviderUnlessShared) {
  const workflow::Actor lead("user:1 a", "lead", "mini_region:Derbyshire");
  const workflow::Actor admin("user:2 b", "admin", "");
  const workflow::Actor provider("user:3 c", "system_leader", "system_leader:5");
  const workflow::Actor next_provider("user:4 d", "system_leader", "system_leader:6");
  const workflow::Actor school("user:5 e", "school", "school:100001");
  const workflow::Actor officer("user:6 f", "la_officer", "la:830");
  const workflow::Actor strategic("user:7 g", "strategic", "");
  const auto history_note = [](const workflow::Actor& who, bool shared) {
    boost::json::object payload{{"provider_id", 5}, {"note", "avoid Fridays"}};
    if (shared) payload["shared"] = true;
    redact_history_payload(who, "propose_provider", payload);
    return payload.contains("note");
  };
  for (const auto* who : {&lead, &admin, &provider}) EXPECT_TRUE(history_note(*who, false)) << who->scope;
  for (const auto* who : {&next_provider, &school, &officer, &strategic}) {
    EXPECT_FALSE(history_note(*who, false)) << who->role << " " << who->scope;
    EXPECT_TRUE(history_note(*who, true)) << who->role << " " << who->scope;
  }
  // Other events' notes are not a proposal's.
  boost::json::object accepted{{"note", "glad to help"}};
  redact_history_payload(school, "provider_accepts", accepted);
  EXPECT_TRUE(accepted.contains("note"));

  const auto case_note = [](const workflow::Actor& who, boost::json::object data) {
    redact_case_data(who, data);
    return data.contains("proposal_note");
  };
  const boost::json::object proposed{{"provider_id", 5}, {"proposed_on", "2026-11-02"},
                                     {"proposal_note", "avoid Fridays"}, {"proposal_note_shared", false}};
  EXPECT_TRUE(case_note(provider, proposed));
  EXPECT_FALSE(case_note(next_provider, proposed));
  EXPECT_FALSE(case_note(school, proposed));
  boost::json::object shared = proposed;
  shared["proposal_note_shared"] = true;
  EXPECT_TRUE(case_note(school, shared));
  // Proposed before notes had an audience: the case's note may be the proposal's.
  boost::json::object legacy{{"provider_id", 5}, {"proposed_on", "2026-01-05"}, {"note", "avoid Fridays"}};
  redact_case_data(school, legacy);
  EXPECT_FALSE(legacy.contains("note"));
  legacy["note"] = "avoid Fridays";
  redact_case_data(lead, legacy);
  EXPECT_TRUE(legacy.contains("note"));
}

// Each kind says who hears each of its messages and what its provider needs,
// in words the dispatcher and matching understand: a kind cannot leave them
// to a switch elsewhere that forgets it.
TEST(KindsTest, EveryKindDeclaresItsMessagesRecipientsAndProviderRule) {
  const std::set<std::string_view> roles{"lead", "system_leader", "school", "referrer"};
  const std::set<std::string_view> designations{"NLE", "LLE", "SLE", "NLG", "LLG", "PPR"};
  const auto items = workflow::split_list;
  for (const CaseKind* kind : kinds()) {
    SCOPED_TRACE(std::string(kind->name()));
    EXPECT_NE(kind->find_message("referral_received"), nullptr) << "opening tells the leads";
    for (const auto& m : kind->messages()) {
      EXPECT_FALSE(items(m.recipients).empty()) << m.message;
      for (const auto role : items(m.recipients)) EXPECT_TRUE(roles.contains(role)) << m.message << ": " << role;
    }
    const auto& provider = kind->provider();
    EXPECT_FALSE(items(provider.fits).empty());
    for (const auto token : items(provider.fits)) {
      const auto code = token.substr(0, token.find(':'));
      EXPECT_TRUE(designations.contains(code)) << token;
      if (token.find(':') != std::string_view::npos) {
        const auto when = token.substr(token.find(':') + 1);
        EXPECT_TRUE(when == "focus" || when == "governance") << token;
      }
    }
    for (const auto code : items(provider.also)) EXPECT_TRUE(designations.contains(code)) << code;
    EXPECT_GE(provider.default_days, 0);
  }
  // The plan's pupil premium reviewers: accredited, and NLEs or LLEs.
  const auto* pp = all_kinds()->find("pupil_premium_review");
  ASSERT_NE(pp, nullptr);
  EXPECT_EQ(pp->provider().fits, "PPR");
  EXPECT_EQ(pp->provider().also, "NLE,LLE");
}

TEST(KindsTest, OpenFieldNamesAreUniqueAndAnEmptyReferralIsRefused) {
  for (const CaseKind* kind : kinds()) {
    SCOPED_TRACE(std::string(kind->name()));
    std::set<std::string_view> names;
    for (const auto& field : kind->open_fields()) {
      EXPECT_TRUE(names.insert(field.name).second) << field.name << " listed twice";
      if (!field.one_of.empty()) {
        EXPECT_EQ(field.type, workflow::FieldType::string) << field.name;
      }
    }
    // A referral must say something: a field is required, or opening refuses what is missing.
    const boost::json::object empty;
    bool refused = false;
    try {
      workflow::validate_payload(empty, kind->open_fields());
    } catch (const workflow::EngineError&) {
      refused = true;
    }
    if (!refused) {
      const workflow::CaseSnapshot snapshot{0, std::string(kind->name()), "X-2026-0001", 100001,
                                            std::string(kind->initial_state()), 0, {}};
      boost::json::object data;
      workflow::EventContext ctx(snapshot, "opened", empty, data, workflow::Actor("user:1 x", "lead", "la:1"),
                                 std::chrono::year_month_day{std::chrono::year{2026} / 3 / 10},
                                 workflow::england_and_wales(), [](std::string_view) { return 5; });
      kind->on_open(ctx);
      refused = !ctx.refusals().empty();
    }
    EXPECT_TRUE(refused) << "an empty referral opens a case";
  }
}

TEST(KindsTest, DeadlinesAreNamedForTheirKindAndRunSomeWorkingDays) {
  for (const CaseKind* kind : kinds()) {
    SCOPED_TRACE(std::string(kind->name()));
    const ExpectedKind& expected = expected_for(*kind);
    ASSERT_FALSE(kind->deadlines().empty());
    std::set<std::string_view> purposes;
    for (const auto& deadline : kind->deadlines()) {
      EXPECT_TRUE(deadline.purpose.starts_with(expected.purpose_prefix)) << deadline.purpose;
      EXPECT_GT(deadline.purpose.size(), expected.purpose_prefix.size()) << deadline.purpose;
      EXPECT_GT(deadline.default_working_days, 0) << deadline.purpose;
      EXPECT_FALSE(deadline.description.empty()) << deadline.purpose;
      EXPECT_TRUE(purposes.insert(deadline.purpose).second) << deadline.purpose << " listed twice";
    }
  }
}

TEST(KindsTest, EveryDeadlineSaysWhereItsNumberComesFrom) {
  using workflow::DeadlineSourceKind;
  std::vector<std::string_view> seeded;
  for (const CaseKind* kind : kinds()) {
    SCOPED_TRACE(std::string(kind->name()));
    for (const auto& deadline : kind->deadlines()) {
      SCOPED_TRACE(std::string(deadline.purpose));
      const auto& source = deadline.source;
      ASSERT_NE(source.kind, DeadlineSourceKind::unstated);
      EXPECT_NE(workflow::to_string(source.kind), "unstated");
      const std::string text(source.text);
      const std::string days = std::to_string(deadline.default_working_days) + " working days";
      switch (source.kind) {
        case DeadlineSourceKind::seed:
          // The plan's own words, quoted, with the number they state.
          seeded.push_back(deadline.purpose);
          EXPECT_TRUE(text.rfind("East Midlands plan", 0) == 0 || text.rfind("LTT plan", 0) == 0) << text;
          EXPECT_NE(text.find('"'), std::string::npos) << text;
          EXPECT_NE(text.find(days), std::string::npos) << text;
          break;
        case DeadlineSourceKind::design:
          EXPECT_EQ(text.rfind("the product design: ", 0), 0u) << text;
          EXPECT_NE(text.find(days), std::string::npos) << text;
          break;
        case DeadlineSourceKind::policy:
          EXPECT_EQ(text.rfind("a local policy default: ", 0), 0u) << text;
          break;
        case DeadlineSourceKind::unstated:
          break;
      }
    }
  }
  // Of the plans' words, only the de-designation contact states a period (docs/deadlines.md).
  EXPECT_EQ(seeded, std::vector<std::string_view>{"designation_review.contact"});
}

TEST(KindsTest, EveryDeadlineIsOwnedByARoleThatSendsAnEventOfItsKind) {
  for (const CaseKind* kind : kinds()) {
    SCOPED_TRACE(std::string(kind->name()));
    for (const auto& deadline : kind->deadlines()) {
      ASSERT_FALSE(deadline.owner.empty()) << deadline.purpose;
      EXPECT_TRUE(deadline.owner == "lead" || deadline.owner == "system_leader" || deadline.owner == "school")
          << deadline.purpose << ": " << deadline.owner;
      EXPECT_TRUE(
          std::any_of(kind->events().begin(), kind->events().end(),
                      [&](const workflow::EventInfo& e) { return workflow::names_role(e.who, deadline.owner); }))
          << deadline.purpose << ": no event of " << kind->name() << " is sent by " << deadline.owner;
    }
  }
}

TEST(KindsTest, DeadlineDueEventsAreSystemEventsOfTheKind) {
  for (const CaseKind* kind : kinds()) {
    SCOPED_TRACE(std::string(kind->name()));
    for (const auto& deadline : kind->deadlines()) {
      if (deadline.due_event.empty()) continue;
      const auto* event = kind->find_event(deadline.due_event);
      ASSERT_NE(event, nullptr) << deadline.purpose << " fires unknown " << deadline.due_event;
      EXPECT_EQ(event->who, "system") << deadline.due_event;
      EXPECT_TRUE(event->fields.empty()) << deadline.due_event << ": a timer sends no payload";
    }
  }
}

TEST(KindsTest, EventsOutsideTheirStatesAreNotAllowedAndChangeNothing) {
  for (const CaseKind* kind : kinds()) {
    SCOPED_TRACE(std::string(kind->name()));
    for (const auto& state : kind->states()) {
      const auto allowed = kind->allowed_events(state.name);
      std::vector<std::string_view> refused{"no_such_event"};
      for (const auto& event : kind->events()) {
        if (std::find(allowed.begin(), allowed.end(), event.name) == allowed.end()) refused.push_back(event.name);
      }
      for (const std::string_view event : refused) {
        workflow::CaseSnapshot snap{1, std::string(kind->name()), "XX-2026-0001", 100001, std::string(state.name), 3,
                                    {}};
        const boost::json::object payload;
        boost::json::object data{{"kept", true}};
        workflow::EventContext ctx(
            snap, event, payload, data, "actor",
            std::chrono::year_month_day{std::chrono::year{2026}, std::chrono::March, std::chrono::day{10}},
            workflow::england_and_wales(), [](std::string_view) { return 5; });
        const auto result = kind->dispatch(state.name, event, ctx);
        EXPECT_EQ(result.outcome, DispatchResult::Outcome::not_allowed) << state.name << " + " << event;
        EXPECT_EQ(result.state, state.name);
        EXPECT_EQ(data, (boost::json::object{{"kept", true}})) << state.name << " + " << event;
        EXPECT_TRUE(ctx.armed().empty() && ctx.notifications().empty() && ctx.linked_cases().empty() &&
                    ctx.settled().empty() && ctx.refusals().empty())
            << state.name << " + " << event;
      }
    }
  }
}

TEST(KindsTest, DispatchToAStateOutsideTheMachineThrows) {
  for (const CaseKind* kind : kinds()) {
    SCOPED_TRACE(std::string(kind->name()));
    const auto event = kind->events().front().name;
    workflow::CaseSnapshot snap{1, std::string(kind->name()), "XX-2026-0001", 100001, "no_such_state", 3, {}};
    const boost::json::object payload;
    boost::json::object data;
    workflow::EventContext ctx(
        snap, event, payload, data, "actor",
        std::chrono::year_month_day{std::chrono::year{2026}, std::chrono::March, std::chrono::day{10}},
        workflow::england_and_wales(), [](std::string_view) { return 5; });
    EXPECT_THROW((void)kind->dispatch("no_such_state", event, ctx), std::logic_error);
  }
}

}  // namespace
}  // namespace s2s::cases
