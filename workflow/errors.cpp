#include "workflow/errors.h"

namespace s2s::workflow {

std::string_view to_string(ErrorCategory category) noexcept {
  switch (category) {
    case ErrorCategory::invalid:
      return "invalid";
    case ErrorCategory::not_found:
      return "not_found";
    case ErrorCategory::conflict:
      return "conflict";
    case ErrorCategory::refused:
      return "refused";
    case ErrorCategory::forbidden:
      return "forbidden";
    case ErrorCategory::unavailable:
      return "unavailable";
    case ErrorCategory::internal:
      return "internal";
  }
  return "internal";
}

}  // namespace s2s::workflow
