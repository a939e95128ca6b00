#include "api/http_headers.h"

#include <boost/beast/core/string.hpp>

#include <charconv>

#include "workflow/text.h"

namespace s2s::api {

namespace http = boost::beast::http;

std::optional<std::string> framing_problem(const http::fields& headers, unsigned version, bool chunked) {
  if (headers.count(http::field::transfer_encoding) > 0) {
    std::string_view codings = headers[http::field::transfer_encoding];
    if (headers.count(http::field::transfer_encoding) > 1) codings = {};  // folded across lines: ambiguous
    const auto comma = codings.rfind(',');
    std::string_view last = comma == std::string_view::npos ? codings : codings.substr(comma + 1);
    while (!last.empty() && (last.front() == ' ' || last.front() == '\t')) last.remove_prefix(1);
    while (!last.empty() && (last.back() == ' ' || last.back() == '\t')) last.remove_suffix(1);
    if (!boost::beast::iequals(last, "chunked") || !chunked) return "Transfer-Encoding must end with chunked";
  }
  if (version >= 11 && headers.count(http::field::host) != 1) {
    return "an HTTP/1.1 request needs exactly one Host header";
  }
  return std::nullopt;
}

IfMatch parse_if_match(std::string_view value) {
  if (value == "*") return {IfMatch::Kind::any, 0};
  if (value.starts_with("W/")) return {IfMatch::Kind::weak, 0};
  if (value.size() < 3 || value.front() != '"' || value.back() != '"') return {};
  const std::string_view digits = value.substr(1, value.size() - 2);
  // Digits only: from_chars would take a sign, and "03" is not the tag we send.
  if (digits.front() == '0') return {};
  for (const char c : digits) {
    if (c < '0' || c > '9') return {};
  }
  int version = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
  if (ec != std::errc() || end != digits.data() + digits.size() || version <= 0) return {};
  return {IfMatch::Kind::version, version};
}

bool echoable(std::string_view text, std::size_t most) {
  if (text.size() > most || !workflow::valid_utf8(text)) return false;
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace s2s::api
