#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>

#include "workflow/errors.h"

// The messages' words: one plain-text and one HTML template per message kind,
// kept in notifications/templates/ and compiled into s2sd. A template names
// fields as {{field}}; the text template's first line is "Subject: ...".
namespace s2s::notifications {

// A message template is missing or broken: a fault of the build, not of
// whoever runs s2sd (workflow::ErrorCategory::internal).
class TemplateError : public workflow::Error {
 public:
  explicit TemplateError(const std::string& message) : workflow::Error(workflow::ErrorCategory::internal, message) {}
};

// The message kinds the engine queues, each with its two templates.
[[nodiscard]] std::span<const std::string_view> message_kinds() noexcept;
// The fields any template may use.
[[nodiscard]] std::span<const std::string_view> template_fields() noexcept;

// Checks one template's text: every {{field}} is known and closed. Throws
// TemplateError naming `name` and the field.
void check_template(std::string_view name, std::string_view text);
// Checks every message kind's templates (present, a Subject line, known
// fields), at start-up rather than when a message is due. Throws TemplateError.
void check_templates();

struct Rendered {
  std::string subject;
  std::string text;
  std::string html;
};

// The message with `fields` filled in (HTML-escaped in the HTML body). A
// field without a value renders empty. Throws TemplateError for a
// message kind without templates.
[[nodiscard]] Rendered render(std::string_view message, const std::map<std::string, std::string>& fields);

}  // namespace s2s::notifications
