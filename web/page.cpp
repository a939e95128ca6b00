#include "web/page.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <kainjow/mustache.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "web/template_data.h"
#include "workflow/audit.h"
#include "workflow/date.h"
#include "workflow/embedded.h"
#include "workflow/engine.h"
#include "workflow/errors.h"
#include "workflow/sha256.h"
#include "workflow/text.h"

namespace s2s::web {

std::string compact_template(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_tag = false;  // within an HTML tag's < and >
  char quote = 0;       // within an attribute's quotes: this one
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const std::string_view rest = text.substr(i);
    if (rest.starts_with("{{")) {  // a Mustache tag, as written
      const auto end = text.find("}}", i + 2);
      const auto stop = end == std::string_view::npos ? text.size() : end + 2;
      out += text.substr(i, stop - i);
      i = stop - 1;
      continue;
    }
    if (c == '\n' && quote == 0) {
      out += ' ';
      while (i + 1 < text.size() && (text[i + 1] == ' ' || text[i + 1] == '\t' || text[i + 1] == '\n')) ++i;
      continue;
    }
    if (!in_tag && c == '<') {
      const auto kept_to = [&](std::string_view open, std::string_view close) -> std::size_t {
        if (!rest.starts_with(open)) return 0;
        const auto closed = text.find(close, i);
        return closed == std::string_view::npos ? text.size() : closed + close.size();
      };
      if (const auto end = std::max(kept_to("<pre", "</pre>"), kept_to("<textarea", "</textarea>")); end > 0) {
        out += text.substr(i, end - i);  // shown as written
        i = end - 1;
        continue;
      }
      in_tag = true;
    } else if (in_tag && quote != 0) {
      if (c == quote) quote = 0;
    } else if (in_tag && (c == '"' || c == '\'')) {
      quote = c;
    } else if (in_tag && c == '>') {
      in_tag = false;
    }
    out += c;
  }
  return out;
}

namespace embedded {
// Generated from web/CMakeLists.txt's list: the templates and assets.
std::span<const workflow::embedded::File> all_files() noexcept;
}  // namespace embedded

namespace {

namespace json = boost::json;

constexpr std::size_t kMaxFormFields = 200;
constexpr std::size_t kMaxValueBytes = 20000;

// Decodes a form or query value; nullopt for bad percent-encoding or text
// that is not UTF-8. Carriage returns from text areas (CRLF) are dropped.
std::optional<std::string> decode(std::string_view text) {
  auto out = workflow::form_decode(text);
  if (out) std::erase(*out, '\r');
  return out;
}

std::vector<std::pair<std::string, std::string>> split_pairs(std::string_view text, bool strict) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!text.empty()) {
    const auto amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto name = decode(pair.substr(0, eq));
    auto value = eq == std::string_view::npos ? std::optional<std::string>("") : decode(pair.substr(eq + 1));
    if (!name || !value || value->size() > kMaxValueBytes) {
      if (strict) throw PageRefusal{400, "The form could not be read", "A value in the form was not readable text."};
      continue;
    }
    out.emplace_back(std::move(*name), std::move(*value));
    if (out.size() > kMaxFormFields) {
      throw PageRefusal{400, "The form could not be read", "The form has too many fields."};
    }
  }
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// The model as the template library's data. The library's set and push_back
// copy what they are given; a page's model is built in place instead (each
// member made by operator[], a list reserved and moved into), so a nested
// list is not copied once per level, and each member's name is hashed once.
kainjow::mustache::data to_data(const json::value& value) {
  using kainjow::mustache::data;
  switch (value.kind()) {
    case json::kind::object: {
      data out{data::type::object};
      for (const auto& [key, item] : value.get_object()) out[std::string(key)] = to_data(item);
      return out;
    }
    case json::kind::array: {
      data out{data::type::list};
      const auto& items = value.get_array();
      auto& list = items_of(out);
      list.reserve(items.size());
      for (const auto& item : items) list.push_back(to_data(item));
      return out;
    }
    case json::kind::string:
      return template_text(std::string(value.get_string()));
    case json::kind::bool_:
      return data{value.get_bool() ? data::type::bool_true : data::type::bool_false};
    case json::kind::null:
      return data{data::type::bool_false};
    case json::kind::int64:
      return data{std::to_string(value.get_int64())};
    case json::kind::uint64:
      return data{std::to_string(value.get_uint64())};
    case json::kind::double_:
      return data{json::serialize(value)};
  }
  return data{data::type::bool_false};
}

// Every page template (web/templates/NAME.mustache) by NAME, compacted.
const std::map<std::string, std::string, std::less<>>& page_templates() {
  static const auto templates = [] {
    constexpr std::string_view folder = "web/templates/";
    constexpr std::string_view suffix = ".mustache";
    std::map<std::string, std::string, std::less<>> out;
    for (const auto& file : embedded::all_files()) {
      if (!file.path.starts_with(folder) || !file.path.ends_with(suffix)) continue;
      out.emplace(std::string(file.path.substr(folder.size(), file.path.size() - folder.size() - suffix.size())),
                  compact_template(file.content));
    }
    return out;
  }();
  return templates;
}

std::string_view template_text(std::string_view name) {
  const auto found = page_templates().find(name);
  if (found == page_templates().end()) {
    throw workflow::Error(workflow::ErrorCategory::internal,
                          "no page template web/templates/" + std::string(name) + ".mustache");
  }
  return found->second;
}

// A template parsed once per worker thread (rendering is not const in the
// library, so each thread keeps its own), and whether it includes partials.
struct ParsedTemplate {
  std::unique_ptr<kainjow::mustache::mustache> tmpl;
  bool includes_partials = false;
  std::size_t last_size = 0;  // what it rendered last time, to reserve as much
};

std::unique_ptr<kainjow::mustache::mustache> parse_template(std::string_view name, std::string text) {
  auto tmpl = std::make_unique<kainjow::mustache::mustache>(std::move(text));
  if (!tmpl->is_valid()) {
    throw workflow::Error(workflow::ErrorCategory::internal,
                          "page template " + std::string(name) + ": " + tmpl->error_message());
  }
  tmpl->set_custom_escape([](const std::string& s) { return workflow::html_escape(s); });
  return tmpl;
}

ParsedTemplate& parsed_template(std::string_view name) {
  thread_local std::map<std::string, ParsedTemplate, std::less<>> cache;
  const auto found = cache.find(name);
  if (found != cache.end()) return found->second;
  const std::string_view text = template_text(name);
  const bool includes_partials = text.find("{{>") != std::string_view::npos;
  return cache.emplace(std::string(name), ParsedTemplate{parse_template(name, std::string(text)), includes_partials})
      .first->second;
}

// Renders into one string reserved at the template's last size: the
// library's own render goes through a stringstream, growing it and then
// copying it out.
void render_into(ParsedTemplate& parsed, const kainjow::mustache::data& data, std::string& out) {
  const std::size_t before = out.size();
  out.reserve(before + parsed.last_size + parsed.last_size / 8);
  parsed.tmpl->render(data, [&out](const std::string& text) { out += text; });
  parsed.last_size = out.size() - before;
}

// `name` rendered with `data`, the library's own (with the partials when it
// includes any).
std::string render_data(std::string_view name, kainjow::mustache::data& data) {
  auto& parsed = parsed_template(name);
  // Templates named _NAME are partials every template may include: {{> _fields}}.
  // A partial's own partials are its includer's, so a template that names
  // none is rendered without them.
  if (parsed.includes_partials) {
    for (const auto& [partial, content] : page_templates()) {
      if (!partial.starts_with('_')) continue;
      data.set(partial, kainjow::mustache::partial{[&content = content] { return content; }});
    }
  }
  std::string out;
  render_into(parsed, data, out);
  return out;
}

std::string render_template(std::string_view name, const json::object& model) {
  kainjow::mustache::data data = to_data(model);
  return render_data(name, data);
}

// The layout as the parts before its {{title}}, between that and its
// {{{content}}}, and after it, each a template of its own: a page's content
// (tens of kilobytes) is copied once, into the page, rather than into the
// template's data, its stream and out; and the parts, the same for every page
// a person opens but for the title, are rendered once for them
// (render_layout).
constexpr std::string_view kTitleTag = "{{title}}";
constexpr std::string_view kContentTag = "{{{content}}}";

struct LayoutParts {
  ParsedTemplate head;
  ParsedTemplate between;
  ParsedTemplate tail;
};

LayoutParts& layout_parts() {
  thread_local std::unique_ptr<LayoutParts> parts;
  if (parts) return *parts;
  const std::string_view text = template_text("layout");
  const auto content_at = text.find(kContentTag);
  if (content_at == std::string_view::npos || text.find(kContentTag, content_at + 1) != std::string_view::npos) {
    throw workflow::Error(workflow::ErrorCategory::internal, "the layout must have {{{content}}} once");
  }
  const auto title_at = text.find(kTitleTag);
  if (title_at == std::string_view::npos || title_at > content_at ||
      text.find(kTitleTag, title_at + 1) != std::string_view::npos) {
    throw workflow::Error(workflow::ErrorCategory::internal, "the layout must have {{title}} once, before its content");
  }
  // Each part parses alone only when the tags are outside every section.
  const auto between_at = title_at + kTitleTag.size();
  parts = std::make_unique<LayoutParts>(LayoutParts{
      {parse_template("layout (before its title)", std::string(text.substr(0, title_at)))},
      {parse_template("layout (after its title)", std::string(text.substr(between_at, content_at - between_at)))},
      {parse_template("layout (after its content)", std::string(text.substr(content_at + kContentTag.size())))}});
  return *parts;
}

// One item of the layout's navigation.
struct NavItem {
  std::string_view href;
  std::string_view text;
  bool current = false;
};

// The layout's members but its title: who is signed in, and their
// navigation on this page.
struct LayoutMembers {
  bool signed_in = false;
  std::string_view user_name;
  std::string_view role;
  std::string_view csrf_token;
  std::vector<NavItem> nav;

  // Every member, each after its length: equal keys, equal layouts.
  [[nodiscard]] std::string key() const {
    std::string out;
    out.reserve(128 + 24 * nav.size());
    const auto put = [&out](std::string_view text) {
      out += std::to_string(text.size());
      out += ':';
      out += text;
    };
    out += signed_in ? 'S' : 'A';
    put(user_name);
    put(role);
    put(csrf_token);
    for (const auto& item : nav) {
      put(item.href);
      put(item.text);
      out += item.current ? '1' : '0';
    }
    return out;
  }

  // As the layout template reads them.
  [[nodiscard]] json::object model() const {
    json::object layout{{"assets", "/assets/" + assets_version()}, {"signed_in", signed_in}};
    if (!signed_in) return layout;
    layout["user_name"] = user_name;
    layout["role_title"] = role_title(role);
    layout["csrf_token"] = csrf_token;
    json::array items;
    for (const auto& item : nav) {
      items.push_back(json::object{{"href", item.href}, {"text", item.text}, {"current", item.current}});
    }
    layout["nav"] = std::move(items);
    return layout;
  }
};

// The layout's parts as rendered for one person's members, the last few
// kept by each thread: a person's pages differ in their titles and
// contents, rarely in the rest. Looked up by the members' key, so that a
// page opened again builds no model for its layout.
struct RenderedLayout {
  std::string members;  // LayoutMembers::key()
  std::string head;
  std::string between;
  std::string tail;
};
constexpr std::size_t kRenderedLayoutsKept = 16;

const RenderedLayout& rendered_layout(const LayoutMembers& layout) {
  thread_local std::deque<RenderedLayout> kept;  // the most recently used first
  std::string members = layout.key();
  for (auto it = kept.begin(); it != kept.end(); ++it) {
    if (it->members != members) continue;
    if (it != kept.begin()) {
      RenderedLayout found = std::move(*it);
      kept.erase(it);
      kept.push_front(std::move(found));
    }
    return kept.front();
  }
  auto& parts = layout_parts();
  const kainjow::mustache::data data = to_data(layout.model());
  RenderedLayout made{std::move(members), {}, {}, {}};
  render_into(parts.head, data, made.head);
  render_into(parts.between, data, made.between);
  render_into(parts.tail, data, made.tail);
  kept.push_front(std::move(made));
  if (kept.size() > kRenderedLayoutsKept) kept.pop_back();
  return kept.front();
}

// What {{title}} shows for `title`, as the template library would show it
// (a number as its digits; what is not text or a number, nothing).
std::string title_text(const json::value& title) {
  if (const auto* text = title.if_string()) return workflow::html_escape(std::string_view(*text));
  if (title.is_number()) return to_data(title).string_value();
  return {};
}

// The page: `layout` (the layout's members but its title) around `content`.
std::string render_layout(const LayoutMembers& layout, const json::value& title, std::string_view content) {
  const RenderedLayout& parts = rendered_layout(layout);
  const std::string shown_title = title_text(title);
  std::string out;
  out.reserve(parts.head.size() + shown_title.size() + parts.between.size() + content.size() + parts.tail.size());
  out += parts.head;
  out += shown_title;
  out += parts.between;
  out += content;
  out += parts.tail;
  return out;
}

const std::map<std::string_view, std::string_view>& role_titles() {
  static const std::map<std::string_view, std::string_view> titles{
      {"lead", "School improvement lead"},       {"strategic", "Strategic group"},
      {"system_leader", "System leader"},        {"school", "School"},
      {"la_officer", "Local authority officer"}, {"admin", "Administrator"}};
  return titles;
}

// The layout's navigation for the person.
std::vector<NavItem> navigation(const PageContext& ctx) {
  std::vector<NavItem> nav;
  nav.reserve(8);
  const std::string& path = ctx.request.path;
  const auto item = [&](std::string_view href, std::string_view text, bool current) {
    nav.push_back(NavItem{href, text, current});
  };
  item("/", "Home", path == "/");
  if (ctx.is("lead") || ctx.is("admin") || ctx.is("strategic")) item("/dashboard", "Dashboard", path == "/dashboard");
  item("/cases", "Cases", path.starts_with("/cases"));
  if (ctx.is("school") || ctx.is("la_officer") || ctx.is("lead") || ctx.is("admin")) {
    item("/refer", ctx.is("school") ? "Ask for support" : "Refer a school", path.starts_with("/refer"));
  }
  if (ctx.is("lead") || ctx.is("strategic") || ctx.is("la_officer") || ctx.is("admin")) {
    item("/need", "Schools in need", path.starts_with("/need"));
  }
  item("/system-leaders", "System leaders", path.starts_with("/system-leaders"));
  if (ctx.is("lead") || ctx.is("strategic") || ctx.is("la_officer") || ctx.is("admin")) {
    item("/kpis", "KPIs", path.starts_with("/kpis") || path.starts_with("/reports"));
  }
  if (ctx.is("admin")) item("/admin/users", "Users", path.starts_with("/admin"));
  return nav;
}

api::HttpResponse error_page(PageContext& ctx, int status, const std::string& title, const std::string& message) {
  return page(ctx, "error", json::object{{"title", title}, {"message", message}}, status);
}

// The page for the exception in flight: a refusal as it says, a workflow
// error by its category, anything else a logged 500.
api::HttpResponse page_for_current_exception(PageContext& ctx) {
  try {
    throw;
  } catch (const PageRefusal& refusal) {
    return error_page(ctx, refusal.status, refusal.title, refusal.message);
  } catch (const workflow::Error& e) {
    switch (e.category()) {
      case workflow::ErrorCategory::not_found:
        return error_page(ctx, 404, "Page not found", "There is nothing here, or it is not yours to see.");
      case workflow::ErrorCategory::forbidden:
        return error_page(ctx, 403, "You cannot do this", e.what());
      case workflow::ErrorCategory::unavailable: {
        auto response = error_page(ctx, 503, "Sorry, s2s is unavailable",
                                   "s2s cannot reach its database just now. Try again in a few seconds: nothing you "
                                   "did has been lost or half-done.");
        response.headers.emplace_back("Retry-After", std::to_string(ctx.app.options.retry_after_seconds));
        return response;
      }
      case workflow::ErrorCategory::invalid:
      case workflow::ErrorCategory::conflict:
      case workflow::ErrorCategory::refused:
        return error_page(ctx, 422, "This could not be done", e.what());
      case workflow::ErrorCategory::internal:
        break;
    }
    spdlog::error("{} {}: {}", ctx.request.method, ctx.request.path, e.what());
  } catch (const std::exception& e) {
    spdlog::error("{} {}: {}", ctx.request.method, ctx.request.path, e.what());
  }
  return error_page(ctx, 500, "Sorry, there is a problem with s2s",
                    "Something went wrong on our side and it has been logged. Nothing was changed. Try again, "
                    "and tell your administrator if it happens again.");
}

}  // namespace

Form::Form(std::string_view body) : fields_(split_pairs(body, true)) {}

namespace {

// A multipart form: its text fields as a Form, its files into `files`.
Form multipart_form(std::string_view body, std::string_view boundary, std::vector<MultipartPart>& files) {
  auto parts = parse_multipart(body, boundary, kMaxFormFields);
  if (!parts) {
    throw PageRefusal{400, "The form could not be read",
                      "The form did not arrive whole. Nothing was changed. Go back and send it again."};
  }
  std::vector<std::pair<std::string, std::string>> fields;
  for (auto& part : *parts) {
    if (part.filename) {
      files.push_back(std::move(part));
      continue;
    }
    if (part.data.size() > kMaxValueBytes || !workflow::valid_utf8(part.data) || !workflow::valid_utf8(part.name)) {
      throw PageRefusal{400, "The form could not be read", "A value in the form was not readable text."};
    }
    std::string value(part.data);
    std::erase(value, '\r');
    fields.emplace_back(std::move(part.name), std::move(value));
  }
  return Form(std::move(fields));
}

}  // namespace

std::string Form::text(std::string_view name) const {
  for (const auto& [key, value] : fields_) {
    if (key == name) return trim(value);
  }
  return {};
}

bool Form::has(std::string_view name) const {
  return std::any_of(fields_.begin(), fields_.end(), [&](const auto& f) { return f.first == name; });
}

std::vector<std::string> Form::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [key, value] : fields_) {
    if (key == name) out.push_back(trim(value));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> query_params(std::string_view query) {
  if (query.size() > 8192) return {};
  try {
    return split_pairs(query, false);
  } catch (const PageRefusal&) {
    return {};
  }
}

std::string query_value(std::string_view query, std::string_view name) {
  for (const auto& [key, value] : query_params(query)) {
    if (key == name) return trim(value);
  }
  return {};
}

const std::string& PageContext::param(std::string_view name) const {
  static const std::string empty;
  const auto it = params.find(name);
  return it == params.end() ? empty : it->second;
}

void add_security_headers(api::HttpResponse& response) {
  response.headers.emplace_back("Content-Security-Policy",
                                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                                "base-uri 'none'; object-src 'none'");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("Cache-Control", "no-store");
}

std::optional<std::string> cookie(const api::HttpRequest& request, std::string_view name) {
  for (const auto& [header, value] : request.headers) {
    if (header.size() != 6 || !std::equal(header.begin(), header.end(), "cookie", [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        })) {
      continue;
    }
    std::string_view rest = value;
    while (!rest.empty()) {
      const auto semi = rest.find(';');
      std::string_view pair = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      const auto eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
    }
  }
  return std::nullopt;
}

std::string session_cookie_name(const WebOptions& options) {
  return options.secure_cookies ? "__Host-s2s_session" : "s2s_session";
}

std::string set_cookie(const WebOptions& options, std::string_view name, std::string_view value,
                       long long max_age_seconds) {
  std::string out = std::string(name) + "=" + std::string(value) + "; Path=/; HttpOnly; SameSite=Lax";
  out += "; Max-Age=" + std::to_string(max_age_seconds);
  if (options.secure_cookies) out += "; Secure";
  return out;
}

std::string local_path(std::string_view path) {
  if (path.empty() || path.front() != '/' || path.starts_with("//") || path.starts_with("/\\") || path.size() > 2000 ||
      path.find_first_of("\r\n") != std::string_view::npos) {
    return "/";
  }
  return std::string(path);
}

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0x0f];
    }
  }
  return out;
}

std::string role_title(std::string_view role) {
  const auto title = role_titles().find(role);
  return title == role_titles().end() ? words(role) : std::string(title->second);
}

std::string scope_words(const cases::User& user) {
  const std::string& v = user.scope_value;
  std::string out;
  if (user.scope_kind.empty()) return "Every school";
  if (user.scope_kind == "alliance") out = "Alliance " + v;
  if (user.scope_kind == "mini_region") out = "Mini region " + v;
  if (user.scope_kind == "la") out = "Local authority " + v;
  if (user.scope_kind == "school") out = "School URN " + v;
  if (user.scope_kind == "system_leader") out = "System leader " + v;
  if (out.empty()) out = user.scope_kind + " " + v;
  if (!user.scope_phases.empty()) out += ", " + user.scope_phases + " only";
  return out;
}

std::string words(std::string_view name) {
  std::string out(name);
  std::replace(out.begin(), out.end(), '_', ' ');
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

std::string thousands(std::uint64_t n) {
  std::string text = std::to_string(n);
  for (int i = static_cast<int>(text.size()) - 3; i > 0; i -= 3) text.insert(static_cast<std::size_t>(i), ",");
  return text;
}

std::string long_date_time(std::string_view stored) {
  const auto day = stored.size() >= 16 ? workflow::parse_date(stored.substr(0, 10)) : std::nullopt;
  int hour = 0;
  int minute = 0;
  if (!day || std::from_chars(stored.data() + 11, stored.data() + 13, hour).ec != std::errc() ||
      std::from_chars(stored.data() + 14, stored.data() + 16, minute).ec != std::errc()) {
    return long_date(stored);
  }
  const auto utc =
      std::chrono::sys_seconds(std::chrono::sys_days(*day)) + std::chrono::hours(hour) + std::chrono::minutes(minute);
  const auto local = utc + workflow::london_utc_offset(utc);
  const auto local_day = std::chrono::floor<std::chrono::days>(local);
  const auto time = std::chrono::hh_mm_ss(local - local_day);
  return long_date(std::chrono::year_month_day(local_day)) +
         fmt::format(" at {:02}:{:02}", time.hours().count(), time.minutes().count());
}

void admins_only(const PageContext& ctx) {
  if (!ctx.is("admin")) throw PageRefusal{403, "You cannot do this", "The admin console is for administrators."};
}

std::optional<Asset> find_asset(std::string_view name) {
  if (name.empty() || name.find('/') != std::string_view::npos) return std::nullopt;
  for (const auto& file : embedded::all_files()) {
    if (file.path.starts_with("web/templates/")) continue;
    const auto slash = file.path.rfind('/');
    if (file.path.substr(slash + 1) != name) continue;
    std::string_view type = "application/octet-stream";
    if (name.ends_with(".css")) type = "text/css; charset=utf-8";
    if (name.ends_with(".js")) type = "text/javascript; charset=utf-8";
    if (name.ends_with(".svg")) type = "image/svg+xml";
    return Asset{file.content, type};
  }
  return std::nullopt;
}

const std::string& assets_version() {
  static const std::string version = [] {
    std::string all;
    for (const auto& file : embedded::all_files()) {
      if (!file.path.starts_with("web/templates/")) all += workflow::sha256_hex(file.content);
    }
    return workflow::sha256_hex(all).substr(0, 12);
  }();
  return version;
}

void check_page_templates() {
  for (const auto& [name, text] : page_templates()) {
    const kainjow::mustache::mustache tmpl{text};
    if (!tmpl.is_valid()) {
      throw workflow::Error(workflow::ErrorCategory::internal,
                            "web/templates/" + name + ".mustache does not parse: " + tmpl.error_message());
    }
  }
  (void)layout_parts();  // and the layout's parts around its title and content, each alone
}

namespace {

// The page: its content inside the layout, with the layout's own members.
api::HttpResponse layout_page(PageContext& ctx, const json::value& title, std::string content, int status) {
  LayoutMembers layout;
  if (ctx.session) {
    const auto& user = ctx.session->user;
    layout = {true, user.name, user.role, ctx.session->csrf_token, navigation(ctx)};
  }
  api::HttpResponse response;
  response.status = status;
  response.content_type = "text/html; charset=utf-8";
  response.body = render_layout(layout, title, content);
  add_security_headers(response);
  for (auto& header : ctx.set_headers) response.headers.push_back(header);
  return response;
}

}  // namespace

api::HttpResponse page(PageContext& ctx, std::string_view template_name, json::object model, int status) {
  // The layout's own members stay with the layout; the page's template gets
  // the CSRF token for its forms.
  if (ctx.session) {
    model["csrf_token"] = ctx.session->csrf_token;
  } else if (!model.contains("csrf_token")) {
    model["csrf_token"] = "";
  }
  const json::value title = model["title"];
  return layout_page(ctx, title, render_template(template_name, model), status);
}

api::HttpResponse page(PageContext& ctx, std::string_view template_name, TemplateData data, const std::string& title,
                       int status) {
  // As page() gives them to its template.
  data["title"] = template_text(title);
  data["csrf_token"] = template_text(ctx.session ? ctx.session->csrf_token : std::string());
  return layout_page(ctx, json::string(title), render_data(template_name, data), status);
}

RenderedContent render_content(std::string_view template_name, const json::object& model) {
  json::object with_token = model;
  with_token["csrf_token"] = "";  // nobody's: a kept content has no form of its own
  const auto* title = model.if_contains("title");
  return {title != nullptr && title->is_string() ? std::string(title->as_string()) : std::string(),
          render_template(template_name, with_token)};
}

std::string render_part(std::string_view template_name, TemplateData& data) { return render_data(template_name, data); }

api::HttpResponse page(PageContext& ctx, RenderedContent content, int status) {
  return layout_page(ctx, json::string(content.title), std::move(content.html), status);
}

api::ConcurrencyLimiter::Ticket costly(PageContext& ctx) {
  auto ticket = ctx.app.costly.enter(ctx.user().id, ctx.app.options.costly_per_user);
  if (!ticket) {
    throw PageRefusal{429, "Reports are still being made",
                      "You have other reports being made in other tabs or windows. Wait for them, then try again."};
  }
  return std::move(*ticket);
}

void audit(PageContext& ctx, std::string action, std::string subject, std::string detail) {
  try {
    workflow::record_audit(*ctx.app.db, {ctx.actor.name, std::move(action), std::move(subject), std::move(detail)},
                           ctx.app.engine->now());
  } catch (const std::exception& e) {
    spdlog::error("{} {}: done, but not recorded in the audit trail: {}", ctx.request.method, ctx.request.path,
                  e.what());
  }
}

api::HttpResponse redirect(PageContext& ctx, std::string location) {
  api::HttpResponse response;
  response.status = 303;
  response.content_type = "text/plain; charset=utf-8";
  response.headers.emplace_back("Location", std::move(location));
  add_security_headers(response);
  for (auto& header : ctx.set_headers) response.headers.push_back(header);
  return response;
}

void add_page(api::Router& router, api::App& app, const WebOptions& options, LinkMailer* mailer, std::string method,
              std::string pattern, Access access, PageHandler handler) {
  router.add(std::move(method), std::move(pattern),
             [&app, &options, mailer, access, handler = std::move(handler)](
                 const api::HttpRequest& request, const api::Router::Params& params) -> api::HttpResponse {
               PageContext ctx{app, options, mailer, request, params};
               try {
                 if (const auto token = cookie(request, session_cookie_name(options))) {
                   if (access == Access::case_page) {
                     auto read = cases::find_session_and_case_page(*app.engine, *token, app.engine->now(),
                                                                   options.sessions, ctx.param("reference"));
                     ctx.session = std::move(read.session);
                     ctx.case_view = std::move(read.view);
                   } else {
                     ctx.session = cases::find_session(*app.db, *token, app.engine->now(), options.sessions);
                   }
                   if (ctx.session) {
                     ctx.session_token = *token;
                     ctx.actor = cases::actor_of(ctx.session->user);
                   }
                 }
                 if (access != Access::anyone && !ctx.session) {
                   std::string back = request.path;
                   if (!request.query.empty()) back += "?" + request.query;
                   // A form posted after the session ended goes back to its page, not to the POST.
                   if (request.method != "GET") back = request.path;
                   return redirect(ctx, "/sign-in?next=" + url_encode(local_path(back)));
                 }
                 if (request.method == "POST") {
                   const auto type = request.header("Content-Type").value_or("");
                   if (type.starts_with("application/x-www-form-urlencoded")) {
                     ctx.form = Form(request.body);
                   } else if (const auto boundary = multipart_boundary(type)) {
                     ctx.form = multipart_form(request.body, *boundary, ctx.files);
                   } else {
                     throw PageRefusal{415, "The form could not be read", "Forms must be sent as a web form."};
                   }
                   const std::string sent = ctx.form.text("csrf_token");
                   bool valid = false;
                   if (ctx.session) {
                     valid = cases::csrf_matches(ctx.session_token, sent);
                   } else if (const auto pre = cookie(request, "s2s_csrf")) {
                     valid = !pre->empty() && workflow::equal_in_constant_time(*pre, sent);
                   }
                   if (!valid) {
                     throw PageRefusal{403, "This form has expired",
                                       "The form was missing its security code, or it came from another page. Nothing "
                                       "was changed. Go back, reload the page and try again."};
                   }
                 }
                 return handler(ctx);
               } catch (...) {
                 return page_for_current_exception(ctx);
               }
             });
}

}  // namespace s2s::web
