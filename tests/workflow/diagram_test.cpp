#include "workflow/diagram.h"

#include <gtest/gtest.h>

#include "cases/kinds.h"

namespace s2s::workflow {
namespace {

TEST(DiagramTest, EveryTransitionOfEveryKindIsAnArrow) {
  for (const CaseKind* kind : cases::all_kinds()->all()) {
    const std::string diagram = mermaid_state_diagram(*kind);
    EXPECT_EQ(diagram.rfind("stateDiagram-v2\n    [*] --> " + std::string(kind->initial_state()) + "\n", 0), 0u);
    for (const TransitionInfo& t : kind->transitions()) {
      const std::string arrow = std::string(t.from) + " --> " + std::string(t.to) + " : " + std::string(t.event);
      EXPECT_NE(diagram.find(arrow), std::string::npos) << kind->name() << ": " << arrow;
    }
    for (const StateInfo& s : kind->states()) {
      const bool exits = diagram.find("    " + std::string(s.name) + " --> [*]\n") != std::string::npos;
      EXPECT_EQ(exits, is_terminal(s.phase)) << kind->name() << ": " << s.name;
    }
  }
}

}  // namespace
}  // namespace s2s::workflow
