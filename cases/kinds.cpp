#include "cases/kinds.h"

#include <fmt/format.h>
#include <boost/json.hpp>

#include "cases/providers.h"
#include "workflow/engine.h"

namespace s2s::cases {
namespace {

struct CapacityArgs {
  std::int64_t system_leader_id;
  double days;
  std::string academic_year;
};

CapacityArgs capacity_args(const boost::json::object& args) {
  return CapacityArgs{args.at("system_leader_id").to_number<std::int64_t>(), args.at("days").to_number<double>(),
                      std::string(args.at("academic_year").as_string())};
}

// The effects the kinds request, on their event's transaction.
void register_effects(workflow::KindRegistry& kinds) {
  kinds.add_effect("capacity.reserve", [](workflow::Database::Connection& connection, const workflow::CaseSnapshot& c,
                                          const boost::json::object& args) {
    const auto a = capacity_args(args);
    if (!reserve_capacity(connection, a.system_leader_id, a.academic_year, a.days)) {
      const std::string reason = fmt::format("system leader {} does not have {} unreserved days in {}",
                                             a.system_leader_id, a.days, a.academic_year);
      throw workflow::EngineError(workflow::EngineError::Code::guard_failed,
                                  c.reference + " cannot take the deployment: " + reason, {}, reason);
    }
  });
  kinds.add_effect("capacity.release", [](workflow::Database::Connection& connection, const workflow::CaseSnapshot&,
                                          const boost::json::object& args) {
    const auto a = capacity_args(args);
    release_capacity(connection, a.system_leader_id, a.academic_year, a.days);
  });
  kinds.add_effect("capacity.consume", [](workflow::Database::Connection& connection, const workflow::CaseSnapshot&,
                                          const boost::json::object& args) {
    const auto a = capacity_args(args);
    consume_capacity(connection, a.system_leader_id, a.academic_year, a.days);
  });
}

}  // namespace

std::shared_ptr<const workflow::KindRegistry> all_kinds() {
  static const std::shared_ptr<const workflow::KindRegistry> registry = [] {
    auto kinds = std::make_shared<workflow::KindRegistry>();
    kinds->add(make_support_request_kind());
    kinds->add(make_risk_assessment_kind());
    kinds->add(make_designation_review_kind());
    kinds->add(make_pupil_premium_review_kind());
    register_effects(*kinds);
    return kinds;
  }();
  return registry;
}

}  // namespace s2s::cases
