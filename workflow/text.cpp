#include "workflow/text.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>

namespace s2s::workflow {

std::string purpose_title(std::string_view purpose) {
  const auto dot = purpose.find('.');
  std::string text(purpose.substr(dot == std::string_view::npos ? 0 : dot + 1));
  std::replace(text.begin(), text.end(), '_', ' ');
  if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  return text;
}

std::string html_escape(std::string_view text) {
  // Copied a run at a time between the characters that need an entity
  // (every value on every page passes through here).
  std::string out;
  out.reserve(text.size() + 16);
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string_view entity;
    switch (text[i]) {
      case '&':
        entity = "&amp;";
        break;
      case '<':
        entity = "&lt;";
        break;
      case '>':
        entity = "&gt;";
        break;
      case '"':
        entity = "&quot;";
        break;
      case '\'':
        entity = "&#39;";
        break;
      default:
        continue;
    }
    out.append(text.substr(run, i - run));
    out.append(entity);
    run = i + 1;
  }
  out.append(text.substr(run));
  return out;
}

std::string csv_quote(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

std::string number_text(double value) {
  if (value == 0) return "0";  // and not "-0"
  char buffer[400];
  // Shortest round trip, in fixed notation where that stays short enough to read.
  const auto format = std::abs(value) < 1e15 ? std::chars_format::fixed : std::chars_format::general;
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, format);
  return std::string(buffer, result.ptr);
}

std::string with_article(std::string_view noun) {
  if (noun.empty()) return "a ";
  // An initialism ("SLE", "NLE or LLE") is said letter by letter: "an" before
  // the letters whose names begin with a vowel sound.
  const auto first_word = noun.substr(0, noun.find(' '));
  const bool initialism = first_word.size() > 1 && std::all_of(first_word.begin(), first_word.end(), [](char c) {
                            return std::isupper(static_cast<unsigned char>(c)) != 0;
                          });
  const char first = static_cast<char>(std::tolower(static_cast<unsigned char>(noun.front())));
  const bool vowel_sound = std::string_view(initialism ? "aefhilmnorsx" : "aeiou").find(first) != std::string_view::npos;
  return (vowel_sound ? "an " : "a ") + std::string(noun);
}

std::vector<std::string_view> split_list(std::string_view list) {
  std::vector<std::string_view> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::size_t> invalid_utf8_at(std::string_view text) {
  constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t code = 0;
    if (c == 0) return i;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      code = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      code = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      code = c & 0x07u;
    } else {
      return i;
    }
    if (i + extra >= text.size()) return i;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto d = static_cast<unsigned char>(text[i + k]);
      if ((d & 0xC0) != 0x80) return i;
      code = (code << 6) | (d & 0x3Fu);
    }
    if (code < kMin[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return i;
    i += extra + 1;
  }
  return std::nullopt;
}

bool valid_utf8(std::string_view text) { return !invalid_utf8_at(text); }

std::optional<std::string> form_decode(std::string_view text, DecodeFailure* failure) {
  if (failure != nullptr) *failure = DecodeFailure::none;
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] != '%') {
      out += text[i];
    } else {
      const int hi = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        if (failure != nullptr) *failure = DecodeFailure::bad_escape;
        return std::nullopt;
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
  }
  if (!valid_utf8(out)) {
    if (failure != nullptr) *failure = DecodeFailure::not_utf8;
    return std::nullopt;
  }
  return out;
}

}  // namespace s2s::workflow
