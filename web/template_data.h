#pragma once

#include <kainjow/mustache.hpp>

#include <string>

// The template library's data as the pages build it (docs/web.md,
// "Templates and assets"). Internal to web/.
namespace s2s::web {

// A text as a template sees it: an empty text is false, as in other Mustache
// libraries, so {{#hint}}...{{/hint}} shows nothing for "".
inline kainjow::mustache::data template_text(const std::string& value) {
  return value.empty() ? kainjow::mustache::data(false) : kainjow::mustache::data(value);
}

// A list's items, to be moved in or reserved (the library's own push_back
// copies what it is given).
inline kainjow::mustache::list& items_of(kainjow::mustache::data& list) {
  return const_cast<kainjow::mustache::list&>(list.list_value());  // NOLINT: the list is ours, not const
}

}  // namespace s2s::web
