#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workflow/database.h"
#include "workflow/engine.h"

// Matching (docs/matching.md): for a case, every system leader either
// ranked with a score explained criterion by criterion, or excluded with the
// reasons. The lead chooses; nothing here assigns anyone.
namespace s2s::cases {

// What a case asks of a provider.
struct MatchRequest {
  std::string kind;  // support_request, risk_assessment, pupil_premium_review, designation_review
  // The kind's rule for its provider (workflow::ProviderSpec), from the
  // registry the engine was given; it outlives the request. Required.
  const workflow::ProviderSpec* provider = nullptr;
  std::int32_t school_urn = 0;
  std::vector<std::string> focus_areas;  // support requests: maths, leadership, SEND, governance, ...
  double days = 0;                       // reserved on acceptance: the provider must have them unreserved
  std::chrono::year_month_day on{};      // designations active and capacity counted on this date
  std::int64_t case_id = 0;              // 0 for no case yet; else leaders it already had are excluded
};

// The request a case of `kind` makes now, from its data: focus areas, requested days.
[[nodiscard]] MatchRequest match_request_for(const workflow::CaseKind& kind, const workflow::Case& c,
                                             std::chrono::year_month_day on);

// One soft criterion's part of a score.
struct Criterion {
  std::string name;    // phase, specialism, locality, capacity, ratings, load
  double weight = 0;   // the points a perfect fit earns
  double points = 0;   // 0 .. weight
  std::string reason;  // "same phase (Primary)"
};

struct RankedProvider {
  std::int64_t system_leader_id = 0;
  std::string name;
  std::int32_t home_school_urn = 0;
  std::string home_school_name;
  std::vector<std::string> designations;  // the fitting, active ones: "SLE (maths, SEND)"
  std::int64_t designation_id = 0;        // the one a deployment would be made under
  std::string designation;                // its label: "SLE (maths)"
  double unreserved_days = 0;             // in the academic year of `on`, before this deployment
  double score = 0;                       // the sum of the criteria's points, out of 100
  std::vector<Criterion> criteria;
};

// Why a provider cannot take the case.
struct Exclusion {
  std::string code;    // designation, inactive, capacity, conflict_same_school, conflict_same_trust, already_asked
  std::string reason;  // "no NLE, LLE or SLE designation for maths"
};

struct ExcludedProvider {
  std::int64_t system_leader_id = 0;
  std::string name;
  std::vector<Exclusion> reasons;
};

struct MatchResult {
  std::string academic_year;               // capacity counted in this year: "2026/27"
  std::vector<RankedProvider> ranked;      // best first
  std::vector<ExcludedProvider> excluded;  // by id
};

// Throws workflow::Refused when the case's school is not in the register.
[[nodiscard]] MatchResult match_providers(workflow::Database::Connection& connection, const MatchRequest& request);
[[nodiscard]] MatchResult match_providers(workflow::Database& db, const MatchRequest& request);

// One provider's fit for a request.
struct Eligibility {
  std::vector<Exclusion> reasons;  // why it is excluded; empty: eligible
  std::int64_t designation_id = 0;  // eligible: the designation a deployment is made under
  std::string designation;          // its label: "SLE (maths)"
};

// Throws workflow::Refused when the provider or the school does not exist.
[[nodiscard]] Eligibility eligibility(workflow::Database::Connection& connection, const MatchRequest& request,
                                      std::int64_t system_leader_id);

}  // namespace s2s::cases
