#include "notifications/templates.h"

#include <algorithm>
#include <array>
#include <vector>
#include <cctype>

#include <kainjow/mustache.hpp>

#include "workflow/embedded.h"
#include "workflow/errors.h"
#include "workflow/text.h"

namespace s2s::notifications {
namespace {

constexpr std::array<std::string_view, 9> kMessages{"referral_received", "provider_proposed", "deployment_agreed",
                                                    "rating_requested",  "deadline_reminder", "deadline_passed",
                                                    "contact_due",       "report_submitted",  "designation_ended"};
// Messages sent at once, not through the outbox: the sign-in link (web/link_mailer.h).
constexpr std::array<std::string_view, 1> kDirect{"sign_in_link"};
constexpr std::array<std::string_view, 18> kFields{
    "reference",      "kind_title", "school_name",     "school_urn",  "state",    "event",
    "purpose",        "purpose_title", "due_on",       "recipient_name", "link",  "risk_level",
    "recommendations", "designation", "ended_on",      "ended_by",  "valid_for",  "page"};

std::string_view template_text(std::string_view message, std::string_view extension) {
  const std::string path = "notifications/templates/" + std::string(message) + extension.data();
  for (const auto& file : workflow::embedded::all_files()) {
    if (file.path == path) return file.content;
  }
  throw TemplateError("no template " + path);
}

}  // namespace

namespace {

// The template with `fields` filled in by the Mustache library: HTML-escaped
// for the HTML body, as written for the text. A field without a value renders empty.
std::string fill(std::string_view text, const std::map<std::string, std::string>& fields, bool escape) {
  kainjow::mustache::mustache tmpl{std::string(text)};
  if (!tmpl.is_valid()) throw TemplateError("a message template does not parse: " + tmpl.error_message());
  if (escape) {
    tmpl.set_custom_escape([](const std::string& s) { return workflow::html_escape(s); });
  } else {
    tmpl.set_custom_escape([](const std::string& s) { return s; });
  }
  kainjow::mustache::data data;
  for (const auto& [name, value] : fields) data.set(name, value);
  return tmpl.render(data);
}

}  // namespace

std::span<const std::string_view> message_kinds() noexcept { return kMessages; }
std::span<const std::string_view> template_fields() noexcept { return kFields; }

void check_template(std::string_view name, std::string_view text) {
  {
    const kainjow::mustache::mustache parsed{std::string(text)};
    if (!parsed.is_valid()) throw TemplateError(std::string(name) + ": " + parsed.error_message());
  }
  // Mustache renders an unknown name as nothing: a misspelt field is caught here instead.
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
  std::vector<std::string_view> all(kMessages.begin(), kMessages.end());
  all.insert(all.end(), kDirect.begin(), kDirect.end());
  for (const auto message : all) {
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
