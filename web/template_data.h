#pragma once

#include <kainjow/mustache.hpp>

#include <string>
#include <utility>

// The template library's data as the pages build it (docs/web.md,
// "Templates and assets"). Internal to web/.
namespace s2s::web {

// A text as a template sees it: an empty text is false, as in other Mustache
// libraries, so {{#hint}}...{{/hint}} shows nothing for "".
inline kainjow::mustache::data template_text(const std::string& value) {
  return value.empty() ? kainjow::mustache::data(false) : kainjow::mustache::data(value);
}
// The same for a text made for it, moved in (the library's own constructor copies).
inline kainjow::mustache::data template_text(std::string&& value) {
  if (value.empty()) return kainjow::mustache::data(false);
  kainjow::mustache::data out{kainjow::mustache::data::type::string};
  const_cast<std::string&>(out.string_value()) = std::move(value);  // NOLINT: the text is ours, not const
  return out;
}

// A list's items, to be moved in or reserved (the library's own push_back
// copies what it is given).
inline kainjow::mustache::list& items_of(kainjow::mustache::data& list) {
  return const_cast<kainjow::mustache::list&>(list.list_value());  // NOLINT: the list is ours, not const
}

}  // namespace s2s::web
