// Signing in and out (docs/web.md): a one-time link sent by email, then a
// session behind a cookie. Asking for a link gives the same answer whether or
// not the address is known, and the link is used by a button, not by opening
// it, so that a mail scanner that follows links cannot spend it.
#include <boost/json.hpp>

#include <chrono>

#include "web/link_mailer.h"
#include "web/page.h"
#include "workflow/sha256.h"

namespace s2s::web {
namespace sign_in_pages {

namespace json = boost::json;

// The pre-sign-in CSRF cookie's value, made when a sign-in page is first shown.
std::string pre_session_csrf(PageContext& ctx) {
  if (auto existing = cookie(ctx.request, "s2s_csrf"); existing && existing->size() == 64) return *existing;
  std::string made = workflow::random_token("");
  ctx.set_headers.emplace_back("Set-Cookie", set_cookie(ctx.options, "s2s_csrf", made, 60 * 60 * 24));
  return made;
}

bool plausible_email(std::string_view email) {
  const auto at = email.find('@');
  return email.size() <= 320 && at != std::string_view::npos && at > 0 && at + 1 < email.size() &&
         email.find(' ') == std::string_view::npos && email.find('@', at + 1) == std::string_view::npos &&
         email.find('.', at) != std::string_view::npos;
}

api::HttpResponse sign_in_form(PageContext& ctx, const std::string& next, const std::string& email,
                               const std::string& error, int status = 200) {
  json::object model{{"title", error.empty() ? "Sign in to s2s" : "Error: Sign in to s2s"},
                     {"next", next},
                     {"email", email},
                     {"csrf_token", pre_session_csrf(ctx)},
                     {"signed_out", query_value(ctx.request.query, "signed_out") == "1"}};
  if (!error.empty()) model["email_error"] = error;
  return page(ctx, "sign_in", std::move(model), status);
}

api::HttpResponse show_sign_in(PageContext& ctx) {
  const std::string next = local_path(query_value(ctx.request.query, "next"));
  if (ctx.session) return redirect(ctx, next);
  return sign_in_form(ctx, next, "", "");
}

api::HttpResponse ask_for_link(PageContext& ctx) {
  const std::string next = local_path(ctx.form.text("next"));
  const std::string email = ctx.form.text("email");
  if (email.empty()) return sign_in_form(ctx, next, email, "Enter your email address", 400);
  if (!plausible_email(email)) {
    return sign_in_form(ctx, next, email, "Enter an email address in the correct format, like name@school.org.uk",
                        400);
  }
  // Per client address: past the limit nothing is sent, and the answer is the same.
  std::chrono::milliseconds wait{};
  const auto client = static_cast<std::int64_t>(std::hash<std::string>{}(ctx.request.remote_address) >> 1);
  const bool allowed = ctx.app.sign_in_requests.allow(client, ctx.options.sign_in_per_second, ctx.options.sign_in_burst,
                                                   std::chrono::steady_clock::now(), wait);
  // Whether the address is known is found out off this thread (web/link_mailer.h).
  if (allowed && ctx.mailer != nullptr) ctx.mailer->request(email, next);
  return redirect(ctx, "/sign-in/sent?email=" + url_encode(email));
}

api::HttpResponse link_sent(PageContext& ctx) {
  return page(ctx, "sign_in_sent",
              json::object{{"title", "Check your email"},
                           {"email", query_value(ctx.request.query, "email")},
                           {"minutes", ctx.options.sessions.link_lifetime.count()}});
}

api::HttpResponse show_link(PageContext& ctx) {
  const std::string token = query_value(ctx.request.query, "token");
  return page(ctx, "sign_in_link",
              json::object{{"title", "Sign in to s2s"}, {"token", token}, {"csrf_token", pre_session_csrf(ctx)}});
}

api::HttpResponse use_link(PageContext& ctx) {
  const auto started =
      cases::redeem_sign_in_link(*ctx.app.db, ctx.form.text("token"), ctx.app.engine->now(), ctx.options.sessions);
  if (!started) {
    return page(ctx, "sign_in_spent", json::object{{"title", "This sign-in link has expired or has been used"}}, 410);
  }
  const auto lifetime = std::chrono::duration_cast<std::chrono::seconds>(ctx.options.sessions.absolute).count();
  ctx.set_headers.emplace_back(
      "Set-Cookie", set_cookie(ctx.options, session_cookie_name(ctx.options), started->session_token, lifetime));
  return redirect(ctx, local_path(started->next_path));
}

api::HttpResponse sign_out(PageContext& ctx) {
  if (ctx.session) cases::end_session(*ctx.app.db, ctx.session_token, ctx.app.engine->now());
  ctx.set_headers.emplace_back("Set-Cookie", set_cookie(ctx.options, session_cookie_name(ctx.options), "", 0));
  return redirect(ctx, "/sign-in?signed_out=1");
}

}  // namespace sign_in_pages

}  // namespace s2s::web
