#pragma once

#include <string>

#include "workflow/case_kind.h"

namespace s2s::workflow {

// The kind's machine as a Mermaid stateDiagram-v2, generated from its MSM
// transition table: one arrow per row labelled "event [guard]", an entry arrow
// to the initial state and exit arrows from terminal states.
[[nodiscard]] std::string mermaid_state_diagram(const CaseKind& kind);

}  // namespace s2s::workflow
