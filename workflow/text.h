#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Small text helpers shared by everything that writes for people: messages,
// calendar feeds and reports.
namespace s2s::workflow {

// The stable name of an enum's value from its names, listed in the enum's
// order (a static_assert beside each table checks it has one per value).
template <class Enum, std::size_t N>
[[nodiscard]] constexpr std::string_view enum_name(Enum value, const std::string_view (&names)[N],
                                                   std::string_view otherwise) noexcept {
  const auto i = static_cast<std::size_t>(value);
  return i < N ? names[i] : otherwise;
}

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

// One CSV field (RFC 4180): quoted, its quotes doubled, when it holds a
// comma, a quote or a line end; as it is otherwise.
[[nodiscard]] std::string csv_quote(std::string_view text);

// The parts with `separator` between them: join({"a", "b"}, ", ") is "a, b".
[[nodiscard]] std::string join(const std::vector<std::string>& parts, std::string_view separator);

// The items of a comma-separated list ("lead, school" or "NLE,LLE"), each
// trimmed of spaces, empty ones left out; views into `list`.
[[nodiscard]] std::vector<std::string_view> split_list(std::string_view list);

// Well-formed UTF-8 without NUL (no overlong forms, no surrogates): what the
// databases store as text.
[[nodiscard]] bool valid_utf8(std::string_view text);
// Where the first byte that is not such UTF-8 is; nullopt when every byte is.
[[nodiscard]] std::optional<std::size_t> invalid_utf8_at(std::string_view text);

enum class DecodeFailure { none, bad_escape, not_utf8 };

// A query or form value decoded (application/x-www-form-urlencoded: '+' is a
// space, %XX a byte); nullopt for a bad %-escape or a result that is not
// valid_utf8, and `failure`, when given, says which.
[[nodiscard]] std::optional<std::string> form_decode(std::string_view text, DecodeFailure* failure = nullptr);

}  // namespace s2s::workflow
