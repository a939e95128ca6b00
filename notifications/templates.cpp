#include "notifications/templates.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "workflow/embedded.h"
#include "workflow/errors.h"
#include "workflow/text.h"

namespace s2s::notifications {
namespace {

constexpr std::array<std::string_view, 9> kMessages{"referral_received", "provider_proposed", "deployment_agreed",
                                                    "rating_requested",  "deadline_reminder", "deadline_passed",
                                                    "contact_due",       "report_submitted",  "designation_ended"};
constexpr std::array<std::string_view, 16> kFields{
    "reference",      "kind_title", "school_name",     "school_urn",  "state",    "event",
    "purpose",        "purpose_title", "due_on",       "recipient_name", "link",  "risk_level",
    "recommendations", "designation", "ended_on",      "ended_by"};

std::string_view template_text(std::string_view message, std::string_view extension) {
  const std::string path = "notifications/templates/" + std::string(message) + extension.data();
  for (const auto& file : workflow::embedded::all_files()) {
    if (file.path == path) return file.content;
  }
  throw TemplateError("no template " + path);
}

}  // namespace

namespace {

// Replaces every {{field}}; `escape` for HTML.
std::string fill(std::string_view text, const std::map<std::string, std::string>& fields, bool escape) {
  std::string out;
  std::size_t at = 0;
  while (true) {
    const auto open = text.find("{{", at);
    if (open == std::string_view::npos) break;
    const auto close = text.find("}}", open);
    if (close == std::string_view::npos) break;
    out += text.substr(at, open - at);
    const std::string name(text.substr(open + 2, close - open - 2));
    const auto it = fields.find(name);
    if (it != fields.end()) out += escape ? workflow::html_escape(it->second) : it->second;
    at = close + 2;
  }
  out += text.substr(at);
  return out;
}

}  // namespace

std::span<const std::string_view> message_kinds() noexcept { return kMessages; }
std::span<const std::string_view> template_fields() noexcept { return kFields; }

void check_template(std::string_view name, std::string_view text) {
  std::size_t at = 0;
  int line = 1;
  while (true) {
    const auto open = text.find("{{", at);
    if (open == std::string_view::npos) return;
    line += static_cast<int>(std::count(text.begin() + static_cast<std::ptrdiff_t>(at),
                                        text.begin() + static_cast<std::ptrdiff_t>(open), '\n'));
    const auto close = text.find("}}", open);
    const auto newline = text.find('\n', open);
    if (close == std::string_view::npos || (newline != std::string_view::npos && newline < close)) {
      throw TemplateError(std::string(name) + " line " + std::to_string(line) + ": '{{' is never closed");
    }
    const std::string_view field = text.substr(open + 2, close - open - 2);
    if (std::find(kFields.begin(), kFields.end(), field) == kFields.end()) {
      std::string known;
      for (const auto f : kFields) known += (known.empty() ? "" : ", ") + std::string(f);
      throw TemplateError(std::string(name) + " line " + std::to_string(line) + ": unknown field {{" +
                                  std::string(field) + "}} (known: " + known + ")");
    }
    at = close + 2;
  }
}

void check_templates() {
  for (const auto message : kMessages) {
    const auto text = template_text(message, ".txt");
    const auto html = template_text(message, ".html");
    const std::string name = "notifications/templates/" + std::string(message);
    if (!text.starts_with("Subject: "))
      throw TemplateError(name + ".txt: the first line must be 'Subject: ...'");
    check_template(name + ".txt", text);
    check_template(name + ".html", html);
  }
}

Rendered render(std::string_view message, const std::map<std::string, std::string>& fields) {
  const std::string_view text = template_text(message, ".txt");
  const auto newline = text.find('\n');
  Rendered out;
  out.subject = fill(text.substr(9, newline - 9), fields, false);
  std::string_view body = text.substr(newline + 1);
  while (body.starts_with("\n")) body.remove_prefix(1);
  out.text = fill(body, fields, false);
  out.html = fill(template_text(message, ".html"), fields, true);
  return out;
}

}  // namespace s2s::notifications
