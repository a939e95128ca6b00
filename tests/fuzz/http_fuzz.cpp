// libFuzzer target: bytes as a request arriving on a connection, read by
// Beast's parser with the server's header and body limits, then the checks
// the server makes of its headers (api/http_headers.h): the framing it will
// not trust, If-Match, and what may be echoed. Each answer is checked against
// what RFC 9112 and RFC 9110 say, not only for not crashing.
#include <boost/beast/http.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/http_headers.h"
#include "workflow/text.h"

namespace {

namespace http = boost::beast::http;

void check_if_match(std::string_view value) {
  const auto parsed = s2s::api::parse_if_match(value);
  using Kind = s2s::api::IfMatch::Kind;
  switch (parsed.kind) {
    case Kind::any:
      if (value != "*") std::abort();
      break;
    case Kind::weak:
      if (!value.starts_with("W/")) std::abort();
      break;
    case Kind::version:
      // Exactly the tag the server sends: the version quoted.
      if (parsed.version <= 0 || value != "\"" + std::to_string(parsed.version) + "\"") std::abort();
      break;
    case Kind::invalid:
      break;
  }
}

void check_echo(std::string_view text) {
  if (!s2s::api::echoable(text)) return;
  if (text.size() > 200 || !s2s::workflow::valid_utf8(text)) std::abort();
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check_if_match(bytes);
  check_echo(bytes);

  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(64 * 1024);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (!parser.is_header_done()) return 0;
  const auto& request = parser.get();
  const auto problem = s2s::api::framing_problem(request.base(), request.version(), parser.chunked());
  // What the server then trusts: a body framed by a final chunked coding or a
  // length, and an HTTP/1.1 request with one Host.
  if (!problem) {
    if (request.count(http::field::transfer_encoding) > 1) std::abort();
    // Beast itself reads the body as chunked, and the last coding, as people
    // read it, is chunked.
    if (request.count(http::field::transfer_encoding) == 1) {
      if (!parser.chunked()) std::abort();
      std::string last(request[http::field::transfer_encoding]);
      last = last.substr(last.rfind(',') == std::string::npos ? 0 : last.rfind(',') + 1);
      std::string word;
      for (const char c : last) {
        if (c != ' ' && c != '\t') word += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      }
      if (word != "chunked") std::abort();
    }
    if (request.version() >= 11 && request.count(http::field::host) != 1) std::abort();
  }
  if (const auto if_match = request.find(http::field::if_match); if_match != request.end()) {
    check_if_match(if_match->value());
  }
  check_echo(request.target());
  return 0;
}
