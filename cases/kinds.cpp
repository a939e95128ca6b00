#include "cases/kinds.h"

#include "cases/deployments.h"

namespace s2s::cases {

std::shared_ptr<const workflow::KindRegistry> all_kinds() {
  static const std::shared_ptr<const workflow::KindRegistry> registry = [] {
    auto kinds = std::make_shared<workflow::KindRegistry>();
    kinds->add(make_support_request_kind());
    kinds->add(make_risk_assessment_kind());
    kinds->add(make_designation_review_kind());
    kinds->add(make_pupil_premium_review_kind());
    // The effects the kinds request, run on their event's transaction.
    register_deployment_effects(*kinds);
    kinds->set_scope_check(scope_refusal);
    return kinds;
  }();
  return registry;
}

}  // namespace s2s::cases
