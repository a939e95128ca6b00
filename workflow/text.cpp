#include "workflow/text.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace s2s::workflow {

std::string purpose_title(std::string_view purpose) {
  const auto dot = purpose.find('.');
  std::string text(purpose.substr(dot == std::string_view::npos ? 0 : dot + 1));
  std::replace(text.begin(), text.end(), '_', ' ');
  if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  return text;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
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

}  // namespace s2s::workflow
