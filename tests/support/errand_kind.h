#pragma once

#include <memory>

#include "workflow/case_kind.h"

// A small case kind for testing the engine without the four real ones: an
// errand is opened, started (arming a deadline and telling the lead),
// finished if its guard allows, or dropped. One event queues a message it
// never declared, and one asks for the effect "errand.effect", so that tests
// can see what the engine does with each.
namespace s2s::testing {

// The kind, and a registry holding it alone with the effect "errand.effect":
// `effect` runs inside the event's transaction (it may throw to refuse).
[[nodiscard]] std::unique_ptr<workflow::CaseKind> make_errand_kind();
[[nodiscard]] std::shared_ptr<workflow::KindRegistry> errand_registry(workflow::EffectHandler effect);

}  // namespace s2s::testing
