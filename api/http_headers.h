#pragma once

#include <boost/beast/http/fields.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

// What the HTTP layer reads from a request's headers, as pure functions: the
// framing it will not trust, If-Match, and which of a request's own words may
// be echoed in an answer. Fuzzed by tests/fuzz/http_fuzz.cpp.
namespace s2s::api {

// Why a request's framing cannot be trusted, or nothing (RFC 9112): a
// Transfer-Encoding whose last coding is not chunked, that is given on
// several lines, or that the parser did not read as chunked (`chunked`: what
// the HTTP parser decided; a coding it cannot read, "g\xC3ip, chunked", makes
// it read no body at all); or an HTTP/1.1 request without exactly one Host.
// Such a request is answered 400 and its connection closed, so that no body
// is read as another request. `version`: 10 or 11.
[[nodiscard]] std::optional<std::string> framing_problem(const boost::beast::http::fields& headers,
                                                         unsigned version, bool chunked);

// An If-Match header's value.
struct IfMatch {
  enum class Kind {
    any,      // "*": whatever the version
    version,  // "\"3\"": that version
    weak,     // W/"3": a weak tag, which never matches (RFC 9110 13.1.1)
    invalid,  // anything else
  };
  Kind kind = Kind::invalid;
  int version = 0;  // for Kind::version: at least 1
};
[[nodiscard]] IfMatch parse_if_match(std::string_view value);

// Whether a request's own text (a path, a header) may be repeated in an
// answer: short, well-formed UTF-8, with no control characters.
[[nodiscard]] bool echoable(std::string_view text, std::size_t most = 200);

}  // namespace s2s::api
