#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <string>

#include "notifications/directory.h"
#include "workflow/database.h"

// What a message says, taken from the outbox payload the engine wrote: the
// fields a template may use (templates.h), for one recipient.
namespace s2s::notifications {

// The payload's member `key` as text: a string as it is, any other value as
// JSON; empty when absent.
[[nodiscard]] std::string text_of(const boost::json::object& payload, const char* key);

// The fields of a message for one recipient (`recipient_name` as a delivery
// records it, "Amy Lead (lead)"), with the link to the case under
// `public_url` and the school's name from `directory` ("URN 123456" when it is
// not in the register), read on a connection of its own from `db`. Throws what
// the database throws.
[[nodiscard]] std::map<std::string, std::string> message_fields(workflow::Database& db, const Directory& directory,
                                                                const std::string& public_url,
                                                                const boost::json::object& payload,
                                                                std::int64_t case_id,
                                                                const std::string& recipient_name);

}  // namespace s2s::notifications
