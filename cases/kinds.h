#pragma once

#include <memory>

#include "workflow/case_kind.h"

// The four case kinds, each a Boost.MSM machine in its own file.
namespace s2s::cases {

[[nodiscard]] std::unique_ptr<workflow::CaseKind> make_support_request_kind();
[[nodiscard]] std::unique_ptr<workflow::CaseKind> make_risk_assessment_kind();
[[nodiscard]] std::unique_ptr<workflow::CaseKind> make_designation_review_kind();
[[nodiscard]] std::unique_ptr<workflow::CaseKind> make_pupil_premium_review_kind();

// Every kind, registered once. Thread-safe; the registry lives for the process.
[[nodiscard]] std::shared_ptr<const workflow::KindRegistry> all_kinds();

}  // namespace s2s::cases
