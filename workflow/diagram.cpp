#include "workflow/diagram.h"

#include <set>

namespace s2s::workflow {

std::string mermaid_state_diagram(const CaseKind& kind) {
  std::string out = "stateDiagram-v2\n";
  out += "    [*] --> " + std::string(kind.initial_state()) + "\n";
  for (const TransitionInfo& t : kind.transitions()) {
    out += "    " + std::string(t.from) + " --> " + std::string(t.to) + " : " + std::string(t.event);
    if (!t.guard.empty()) out += " [" + std::string(t.guard) + "]";
    out += "\n";
  }
  std::set<std::string_view> terminal;
  for (const StateInfo& s : kind.states()) {
    if (is_terminal(s.phase)) terminal.insert(s.name);
  }
  for (const auto& name : terminal) out += "    " + std::string(name) + " --> [*]\n";
  return out;
}

}  // namespace s2s::workflow
