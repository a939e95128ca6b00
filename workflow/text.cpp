#include "workflow/text.h"

#include <algorithm>
#include <cctype>

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

}  // namespace s2s::workflow
