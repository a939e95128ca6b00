#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "notifications/directory.h"
#include "notifications/dispatcher.h"
#include "workflow/case_kind.h"
#include "workflow/database.h"

// Expansion: each message the engine queued becomes one delivery per person
// who hears of it (asked of the Directory by role) and one per webhook
// covering the school, in one transaction per batch.
namespace s2s::notifications {

// The roles that hear of a message: the engine's own deadline messages by
// their escalation, every other by what the case's kind declares for it
// (workflow::MessageSpec). Empty when the kind declares nothing for it.
[[nodiscard]] std::vector<std::string> roles_for(const workflow::KindRegistry& kinds, const std::string& message,
                                                 const boost::json::object& payload);

// Expands up to `batch` queued messages at `now` in one transaction, counting
// them and the roles with nobody to tell in `report`; returns how many it
// took (`batch`: more may wait). A message that cannot be read is dead at
// once; the others still go. Throws workflow::DatabaseUnavailable or DatabaseError.
std::size_t expand_messages(workflow::Database& db, const workflow::KindRegistry& kinds, const Directory& directory,
                            std::size_t batch, std::chrono::system_clock::time_point now, DispatchReport& report);

}  // namespace s2s::notifications
