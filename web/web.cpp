#include "web/web.h"

#include "cases/users.h"
#include "web/page.h"

namespace s2s::web {
namespace {

// The stylesheet, scripts and icon, embedded at build time. Their URLs carry
// the assets' version, so a browser may keep them for a year.
api::HttpResponse asset(const api::HttpRequest& request, const api::Router::Params& params) {
  const auto name = params.find("name");
  const auto version = params.find("version");
  const auto found = name == params.end() ? std::nullopt : find_asset(name->second);
  api::HttpResponse response;
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (!found) {
    response.status = 404;
    response.content_type = "text/plain; charset=utf-8";
    response.body = "no asset " + request.path + "\n";
    return response;
  }
  response.content_type = std::string(found->media_type);
  response.body = std::string(found->content);
  const bool current = version != params.end() && version->second == assets_version();
  response.headers.emplace_back("Cache-Control", current ? "public, max-age=31536000, immutable" : "no-cache");
  return response;
}

}  // namespace

void register_web_routes(api::Router& router, api::App& app, const WebOptions& options, LinkMailer* mailer) {
  check_page_templates();
  router.add("GET", "/assets/{version}/{name}", asset);
  register_sign_in_pages(router, app, options, mailer);
  register_case_pages(router, app, options, mailer);
  register_referral_pages(router, app, options, mailer);
  register_report_pages(router, app, options, mailer);
  register_dashboard_page(router, app, options, mailer);
  register_directory_pages(router, app, options, mailer);
  register_school_page(router, app, options, mailer);
  register_admin_pages(router, app, options, mailer);
  register_school_import_pages(router, app, options, mailer);
  register_provider_admin_pages(router, app, options, mailer);
  register_audit_page(router, app, options, mailer);
  // An unknown path: the API's 404 problem under /api/, an HTML page elsewhere.
  router.set_fallback([&app, &options, mailer](const api::HttpRequest& request, const api::Router::Params& params) {
    if (request.path.starts_with("/api/")) {
      return api::HttpResponse::problem(404, "not-found", "Not found", "no resource at " + request.path);
    }
    PageContext ctx{app, options, mailer, request, params};
    try {
      if (const auto token = cookie(request, session_cookie_name(options))) {
        ctx.session = cases::find_session(*app.db, *token, app.engine->now(), options.sessions);
        if (ctx.session) ctx.actor = cases::actor_of(ctx.session->user);
      }
    } catch (const std::exception&) {
      // The 404 page does not need the person; a database away must not make it a 500.
    }
    return page(ctx, "error",
                boost::json::object{{"title", "Page not found"},
                                    {"message", "If you typed the web address, check it is correct. If you pasted "
                                                "it, check you copied the entire address."}},
                404);
  });
}

std::vector<std::string> upload_paths() { return {"/api/v1/schools/import", "/admin/schools/import"}; }

std::function<bool(const api::HttpRequest& head)> may_upload(api::App& app, const WebOptions& options) {
  return [&app, &options](const api::HttpRequest& head) {
    if (const auto authorization = head.header("Authorization")) {
      constexpr std::string_view kScheme = "Bearer ";
      if (authorization->size() <= kScheme.size() || authorization->substr(0, kScheme.size()) != kScheme) return false;
      const auto user = cases::authenticate(*app.db, authorization->substr(kScheme.size()));
      return user && user->role == "admin";
    }
    const auto token = cookie(head, session_cookie_name(options));
    if (!token) return false;
    const auto session = cases::find_session(*app.db, *token, app.engine->now(), options.sessions);
    return session && session->user.role == "admin";
  };
}

}  // namespace s2s::web
