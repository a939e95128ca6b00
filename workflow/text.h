#pragma once

#include <string>
#include <string_view>
#include <vector>

// Small text helpers shared by everything that writes for people: messages,
// calendar feeds and reports.
namespace s2s::workflow {

// A deadline purpose as people read it: "support_request.provider_response"
// is "Provider response".
[[nodiscard]] std::string purpose_title(std::string_view purpose);

// Text made safe inside HTML, in element content and in quoted attributes (&, <, >, ", ').
[[nodiscard]] std::string html_escape(std::string_view text);

// A number as people write it: 5, 0.5, 12.25, -3 (never 5.000000 nor 5e+00).
[[nodiscard]] std::string number_text(double value);

// A noun phrase with its indefinite article: "an integer", "a string"; an
// initialism by the sound of its first letter: "an SLE designation", "a PPR".
[[nodiscard]] std::string with_article(std::string_view noun);

// The items of a comma-separated list ("lead, school" or "NLE,LLE"), each
// trimmed of spaces, empty ones left out; views into `list`.
[[nodiscard]] std::vector<std::string_view> split_list(std::string_view list);

}  // namespace s2s::workflow
