#include "notifications/message_fields.h"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>

#include "workflow/text.h"

namespace s2s::notifications {
namespace {

// "support_request" as "support request".
std::string words(std::string text) {
  std::replace(text.begin(), text.end(), '_', ' ');
  return text;
}

// The school's name for messages ("URN 123456" when it is not in the register).
std::string school_name(workflow::Database& db, const Directory& directory, const std::string& urn_text) {
  int urn = 0;
  std::from_chars(urn_text.data(), urn_text.data() + urn_text.size(), urn);
  auto connection = db.acquire();
  try {
    return directory.school_name(connection, urn).value_or("URN " + urn_text);
  } catch (...) {
    connection.rethrow_translated();
  }
}

}  // namespace

std::string text_of(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return "";
  if (v->is_string()) return std::string(v->get_string());
  return boost::json::serialize(*v);
}

std::map<std::string, std::string> message_fields(workflow::Database& db, const Directory& directory,
                                                  const std::string& public_url, const boost::json::object& payload,
                                                  std::int64_t case_id, const std::string& recipient_name) {
  const std::string purpose = text_of(payload, "purpose");
  std::map<std::string, std::string> fields{
      {"reference", text_of(payload, "reference")},
      {"kind_title", words(text_of(payload, "kind"))},
      {"school_urn", text_of(payload, "school_urn")},
      {"state", text_of(payload, "state")},
      {"event", text_of(payload, "event")},
      {"purpose", purpose},
      {"purpose_title", workflow::purpose_title(purpose)},
      {"due_on", text_of(payload, "due_on")},
      {"risk_level", text_of(payload, "risk_level")},
      {"recommendations", text_of(payload, "recommendations")},
      {"designation", text_of(payload, "designation")},
      {"ended_on", text_of(payload, "ended_on")},
      {"ended_by", text_of(payload, "ended_by")},
      {"recipient_name", recipient_name.substr(0, recipient_name.rfind(" ("))},
      {"link", public_url + "/api/v1/cases/" + std::to_string(case_id)},
      // The case's web page (docs/web.md): what people open from an email.
      {"page", public_url + "/cases/" + text_of(payload, "reference")},
  };
  fields["school_name"] = school_name(db, directory, fields["school_urn"]);
  return fields;
}

}  // namespace s2s::notifications
