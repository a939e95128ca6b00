#include "workflow/errors.h"

#include <iterator>

#include "workflow/text.h"

namespace s2s::workflow {

std::string_view to_string(ErrorCategory category) noexcept {
  static constexpr std::string_view kNames[] = {"invalid", "not_found", "conflict", "refused", "forbidden", "unavailable", "internal"};
  static_assert(std::size(kNames) == static_cast<std::size_t>(ErrorCategory::internal) + 1);
  return enum_name(category, kNames, "internal");
}

}  // namespace s2s::workflow
