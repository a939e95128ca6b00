#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/app.h"
#include "api/http.h"
#include "api/router.h"
#include "cases/case_list.h"
#include "cases/sign_in.h"
#include "web/multipart.h"
#include "web/web.h"
#include "workflow/date.h"

namespace kainjow::mustache {
template <typename string_type>
class basic_data;
}  // namespace kainjow::mustache

// The web pages' common ground (docs/web.md): forms, cookies, sessions and
// CSRF, rendering a template inside the layout, the security headers, and
// the wrapper every page runs in. Internal to web/.
namespace s2s::web {

class LinkMailer;

// The fields of a posted application/x-www-form-urlencoded body, in order.
class Form {
 public:
  Form() = default;
  // Throws PageRefusal 400 for a body that is not a form, too many fields, or
  // text that is not UTF-8.
  explicit Form(std::string_view body);
  // The text fields of a multipart form, already read.
  explicit Form(std::vector<std::pair<std::string, std::string>> fields) : fields_(std::move(fields)) {}
  // The first value of `name`, trimmed; "" when absent.
  [[nodiscard]] std::string text(std::string_view name) const;
  [[nodiscard]] bool has(std::string_view name) const;
  // Every value of `name` (checkboxes).
  [[nodiscard]] std::vector<std::string> all(std::string_view name) const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// The query string's parameters, read leniently: a page ignores what it does
// not know (links people paste), but every value has a size limit.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> query_params(std::string_view query);
[[nodiscard]] std::string query_value(std::string_view query, std::string_view name);

// A refusal a page handler throws: an HTML page with this status, title and message.
struct PageRefusal {
  int status = 400;
  std::string title;
  std::string message;
};

// What every page handler sees.
struct PageContext {
  PageContext(api::App& app, const WebOptions& options, LinkMailer* mailer, const api::HttpRequest& request,
              const api::Router::Params& params)
      : app(app), options(options), mailer(mailer), request(request), params(params) {}

  api::App& app;
  const WebOptions& options;
  LinkMailer* mailer;
  const api::HttpRequest& request;
  const api::Router::Params& params;
  std::optional<cases::Session> session;  // set on every signed-in page
  std::string session_token;
  // On an Access::case_page page, read with the session: the case in the
  // path with its history, if it exists and the person may see it.
  std::optional<cases::CaseView> case_view;
  workflow::Actor actor{"anonymous"};
  Form form;                                        // the posted form, on POST
  std::vector<MultipartPart> files;                 // the files of a multipart form (views into the request's body)
  std::vector<std::pair<std::string, std::string>> set_headers;  // e.g. Set-Cookie, added to the response

  [[nodiscard]] const std::string& param(std::string_view name) const;
  [[nodiscard]] const cases::User& user() const { return session->user; }
  [[nodiscard]] bool is(std::string_view role) const { return session && session->user.role == role; }
};

using PageHandler = std::function<api::HttpResponse(PageContext&)>;

// Who may open a page.
enum class Access {
  anyone,     // signing in, assets
  signed_in,  // any signed-in person; others are sent to sign in and brought back
  case_page,  // as signed_in, for one case's page ({reference}): the session and the case are read in one
              // statement (cases::find_session_and_case_page), the case into PageContext::case_view
};

// Registers a page. POSTs are web forms (urlencoded, or multipart with
// files) and must carry the session's CSRF token (field `csrf_token`) or,
// before sign-in, the one in the s2s_csrf cookie; without it nothing runs and
// the answer is 403.
void add_page(api::Router& router, api::App& app, const WebOptions& options, LinkMailer* mailer, std::string method,
              std::string pattern, Access access, PageHandler handler);

// The page: `template_name` (web/templates/NAME.mustache) rendered with
// `model` inside the layout (an empty string in the model is false to a
// section, so `{{#hint}}...{{/hint}}` shows nothing for ""). The model gets `title` (required: the page's
// title), and the layout's own members (the person, navigation, CSRF token,
// asset paths). HTML with the security headers; no-store.
[[nodiscard]] api::HttpResponse page(PageContext& ctx, std::string_view template_name, boost::json::object model,
                                     int status = 200);

// The same for a page built as the template library's data directly (a
// case's page: opened most, and the largest), where an empty text must be
// false as page() makes it; `title` is the page's title.
using TemplateData = kainjow::mustache::basic_data<std::string>;
[[nodiscard]] api::HttpResponse page(PageContext& ctx, std::string_view template_name, TemplateData data,
                                     const std::string& title, int status = 200);

// `template_name` rendered alone with `data`, the same rules as above, for
// a part of a page made apart (each entry of a case's timeline, kept).
[[nodiscard]] std::string render_part(std::string_view template_name, TemplateData& data);

// A page's content rendered once, to be kept (the dashboard) and shown inside
// the layout of each person who asks: `template_name` must not use the
// person's CSRF token or anything else of theirs beyond what made the model.
struct RenderedContent {
  std::string title;
  std::string html;
};
[[nodiscard]] RenderedContent render_content(std::string_view template_name, const boost::json::object& model);
[[nodiscard]] api::HttpResponse page(PageContext& ctx, RenderedContent content, int status = 200);

// A place among the person's costly pages (reports, CSVs) in the making; a
// 429 page when they have their share running already.
[[nodiscard]] api::ConcurrencyLimiter::Ticket costly(PageContext& ctx);

// Records in the audit trail what the signed-in person has just done
// (workflow/audit.h; codes in docs/audit.md). A trail that cannot be written
// is logged, not shown: the change has been made.
void audit(PageContext& ctx, std::string action, std::string subject, std::string detail = {});

// 303 See Other to `location` (after a POST: post, redirect, get).
[[nodiscard]] api::HttpResponse redirect(PageContext& ctx, std::string location);

// The headers every HTML answer carries: CSP without inline script,
// frame-ancestors 'none', nosniff, the referrer policy, no-store.
void add_security_headers(api::HttpResponse& response);

// The value of the cookie `name` in the request, if any.
[[nodiscard]] std::optional<std::string> cookie(const api::HttpRequest& request, std::string_view name);
// The session cookie's name: __Host-s2s_session over https, else s2s_session.
[[nodiscard]] std::string session_cookie_name(const WebOptions& options);
// A Set-Cookie value: HttpOnly, SameSite=Lax, Path=/, Secure over https;
// max_age_seconds 0 deletes it.
[[nodiscard]] std::string set_cookie(const WebOptions& options, std::string_view name, std::string_view value,
                                     long long max_age_seconds);

// A path on this site safe to send someone back to: "/..." and not "//..."; else "/".
[[nodiscard]] std::string local_path(std::string_view path);

// Percent-encodes a query value.
[[nodiscard]] std::string url_encode(std::string_view text);

// Words people read: "support_request" -> "Support request".
[[nodiscard]] std::string words(std::string_view name);
// A role as people read it: "la_officer" -> "Local authority officer".
[[nodiscard]] std::string role_title(std::string_view role);
// A user's scope as people read it: "School URN 146330", "Every school".
[[nodiscard]] std::string scope_words(const cases::User& user);
// "12345" -> "12,345".
[[nodiscard]] std::string thousands(std::uint64_t n);
// A stored instant (workflow/timestamp.h) as people in England read it:
// "1 December 2026 at 14:05", in Europe/London time.
[[nodiscard]] std::string long_date_time(std::string_view stored_timestamp);
// Refuses (403) anyone but an administrator: the admin console's pages.
void admins_only(const PageContext& ctx);
// "2026-12-01" -> "1 December 2026" (workflow/date.h).
using workflow::long_date;

// The embedded asset `name` (s2s.css, govuk-frontend.min.js, s2s.js,
// favicon.svg), if there is one, with its media type.
struct Asset {
  std::string_view content;
  std::string_view media_type;
};
[[nodiscard]] std::optional<Asset> find_asset(std::string_view name);
// A short hash of every asset: their URLs carry it, so they may be cached for a year.
[[nodiscard]] const std::string& assets_version();
// A page template as s2sd parses it: each line break, with the indentation
// after it, becomes one space. A browser shows any run of spaces and line
// breaks between words as one space, and nothing between blocks, so the page
// looks and reads the same (docs/web.md, "Templates and assets"), with half
// the pieces for the template library to walk and fewer bytes to send. What a
// <pre> or a <textarea> holds is kept as written, as is a line break within
// an attribute's quotes or a Mustache tag: there it shows, or means something.
[[nodiscard]] std::string compact_template(std::string_view text);
// Checks that every page template parses (at start-up, not when a page is
// first opened). Throws workflow::Error (internal).
void check_page_templates();

// The GIAS upload's pages, which share its import jobs (the rest are plain
// functions in the site map, web/pages.h).
void register_school_import_pages(api::Router& router, api::App& app, const WebOptions& options, LinkMailer* mailer);

}  // namespace s2s::web
