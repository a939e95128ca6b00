#include "web/multipart.h"

#include <algorithm>
#include <cctype>

namespace s2s::web {
namespace {

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A parameter of a header value: `name="value"` or name=value, after the first ';'.
std::optional<std::string> parameter(std::string_view header, std::string_view name) {
  std::size_t at = header.find(';');
  while (at != std::string_view::npos) {
    std::string_view rest = trim(header.substr(at + 1));
    const auto eq = rest.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view key = trim(rest.substr(0, eq));
    rest = trim(rest.substr(eq + 1));
    std::string value;
    std::size_t end = 0;
    if (!rest.empty() && rest.front() == '"') {
      end = 1;
      while (end < rest.size() && rest[end] != '"') {
        if (rest[end] == '\\' && end + 1 < rest.size()) ++end;
        value += rest[end++];
      }
      if (end >= rest.size()) return std::nullopt;  // an unclosed quote
      ++end;
    } else {
      end = std::min(rest.find(';'), rest.size());
      value = std::string(trim(rest.substr(0, end)));
    }
    if (iequal(key, name)) return value;
    const auto next = rest.find(';', end);
    if (next == std::string_view::npos) return std::nullopt;
    at = static_cast<std::size_t>(rest.data() - header.data()) + next;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  const auto semicolon = content_type.find(';');
  if (!iequal(trim(content_type.substr(0, semicolon)), "multipart/form-data")) return std::nullopt;
  auto boundary = parameter(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 70) return std::nullopt;
  return boundary;
}

std::optional<std::vector<MultipartPart>> parse_multipart(std::string_view body, std::string_view boundary,
                                                          std::size_t most_parts) {
  constexpr std::size_t kMaxHeaderBytes = 8192;
  const std::string delimiter = "--" + std::string(boundary);
  // The first delimiter opens the body (a preamble before it is ignored).
  std::size_t at = body.starts_with(delimiter) ? 0 : body.find("\r\n" + delimiter);
  if (at == std::string_view::npos) return std::nullopt;
  at += body.starts_with(delimiter) ? delimiter.size() : delimiter.size() + 2;
  std::vector<MultipartPart> parts;
  const std::string next_delimiter = "\r\n" + delimiter;
  while (true) {
    if (body.substr(at, 2) == "--") return parts;  // the closing delimiter
    // Transport padding, then the line end that ends the delimiter line.
    while (at < body.size() && (body[at] == ' ' || body[at] == '\t')) ++at;
    if (body.substr(at, 2) != "\r\n") return std::nullopt;
    at += 2;
    const auto headers_end = body.find("\r\n\r\n", at);
    if (headers_end == std::string_view::npos || headers_end - at > kMaxHeaderBytes) {
      // A part with no headers at all starts straight with the blank line.
      if (body.substr(at, 2) != "\r\n") return std::nullopt;
    }
    const bool no_headers = body.substr(at, 2) == "\r\n";
    const std::string_view headers = no_headers ? std::string_view() : body.substr(at, headers_end - at);
    at = no_headers ? at + 2 : headers_end + 4;
    const auto end = body.find(next_delimiter, at);
    if (end == std::string_view::npos) return std::nullopt;
    MultipartPart part;
    bool form_data = false;
    std::size_t line_start = 0;
    while (line_start <= headers.size() && !headers.empty()) {
      const auto line_end = std::min(headers.find("\r\n", line_start), headers.size());
      const std::string_view line = headers.substr(line_start, line_end - line_start);
      const auto colon = line.find(':');
      if (colon != std::string_view::npos) {
        const std::string_view field = trim(line.substr(0, colon));
        const std::string_view value = trim(line.substr(colon + 1));
        if (iequal(field, "Content-Disposition")) {
          form_data = iequal(trim(value.substr(0, value.find(';'))), "form-data");
          if (auto name = parameter(value, "name")) part.name = std::move(*name);
          part.filename = parameter(value, "filename");
        } else if (iequal(field, "Content-Type")) {
          part.content_type = std::string(value);
        }
      }
      line_start = line_end + 2;
    }
    if (!form_data || part.name.empty()) return std::nullopt;
    part.data = body.substr(at, end - at);
    parts.push_back(std::move(part));
    if (parts.size() > most_parts) return std::nullopt;
    at = end + next_delimiter.size();
  }
}

}  // namespace s2s::web
