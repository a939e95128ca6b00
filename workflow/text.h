#pragma once

#include <string>
#include <string_view>

// Small text helpers shared by everything that writes for people: messages,
// calendar feeds and reports.
namespace s2s::workflow {

// A deadline purpose as people read it: "support_request.provider_response"
// is "Provider response".
[[nodiscard]] std::string purpose_title(std::string_view purpose);

// Text made safe inside HTML, in element content and in quoted attributes (&, <, >, ", ').
[[nodiscard]] std::string html_escape(std::string_view text);

}  // namespace s2s::workflow
