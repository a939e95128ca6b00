#include "web/web.h"

#include "cases/users.h"
#include "web/page.h"
#include "web/pages.h"

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

// The site map: every page, its address, who may open it and what answers it.
struct SitePage {
  const char* method;
  const char* pattern;
  Access access;
  api::HttpResponse (*answer)(PageContext&);
};

// clang-format off
constexpr SitePage kSite[] = {
    {"GET", "/sign-in", Access::anyone, sign_in_pages::show_sign_in},
    {"POST", "/sign-in", Access::anyone, sign_in_pages::ask_for_link},
    {"GET", "/sign-in/sent", Access::anyone, sign_in_pages::link_sent},
    {"GET", "/sign-in/link", Access::anyone, sign_in_pages::show_link},
    {"POST", "/sign-in/link", Access::anyone, sign_in_pages::use_link},
    {"POST", "/sign-out", Access::signed_in, sign_in_pages::sign_out},
    {"GET", "/", Access::signed_in, case_pages::home},
    {"GET", "/cases", Access::signed_in, case_pages::case_list},
    {"GET", "/cases.csv", Access::signed_in, case_pages::case_list_csv},
    {"GET", "/cases/{reference}", Access::case_page, case_pages::case_page},
    {"GET", "/cases/{reference}/events/{event}", Access::signed_in, case_pages::show_action},
    {"POST", "/cases/{reference}/events/{event}", Access::signed_in, case_pages::send_action},
    {"GET", "/refer", Access::signed_in, referral_pages::start},
    {"POST", "/refer", Access::signed_in, referral_pages::choose},
    {"POST", "/refer/check", Access::signed_in, referral_pages::check},
    {"POST", "/refer/confirm", Access::signed_in, referral_pages::confirm},
    {"GET", "/refer/done", Access::signed_in, referral_pages::done},
    {"GET", "/kpis", Access::signed_in, report_pages::kpis},
    {"GET", "/kpis.csv", Access::signed_in, report_pages::kpis_csv},
    {"GET", "/kpis/{id}", Access::signed_in, report_pages::kpi_cases},
    {"GET", "/reports/quarterly", Access::signed_in, report_pages::quarterly},
    {"GET", "/dashboard", Access::signed_in, dashboard_page::dashboard},
    {"GET", "/need", Access::signed_in, need_page::need_register},
    {"GET", "/need.csv", Access::signed_in, need_page::need_csv},
    {"GET", "/need/cold-spots", Access::signed_in, need_page::cold_spots},
    {"GET", "/system-leaders", Access::signed_in, directory_pages::directory},
    {"GET", "/system-leaders/{id}", Access::signed_in, directory_pages::leader_page},
    {"GET", "/schools/{urn}", Access::signed_in, school_page::school_page},
    {"GET", "/admin/users", Access::signed_in, admin_pages::users},
    {"GET", "/admin/users/invite", Access::signed_in, admin_pages::show_invite},
    {"POST", "/admin/users/invite", Access::signed_in, admin_pages::invite},
    {"POST", "/admin/users/{id}/revoke", Access::signed_in, admin_pages::revoke},
    {"POST", "/admin/users/{id}/notify", Access::signed_in, admin_pages::notify},
    {"POST", "/admin/users/{id}/feed", Access::signed_in, admin_pages::feed},
    {"GET", "/admin/users/{id}/scope", Access::signed_in, admin_pages::show_scope},
    {"POST", "/admin/users/{id}/scope", Access::signed_in, admin_pages::change_scope},
    {"GET", "/admin/closures", Access::signed_in, admin_pages::closures},
    {"POST", "/admin/closures", Access::signed_in, admin_pages::close_day},
    {"GET", "/admin/notifications", Access::signed_in, admin_pages::dead_letters},
    {"POST", "/admin/notifications/{id}/resend", Access::signed_in, admin_pages::resend},
    {"GET", "/admin/webhooks", Access::signed_in, admin_pages::webhooks},
    {"POST", "/admin/webhooks", Access::signed_in, admin_pages::add_webhook},
    {"POST", "/admin/webhooks/{id}/rotate", Access::signed_in, admin_pages::rotate_webhook},
    {"POST", "/admin/webhooks/{id}/remove", Access::signed_in, admin_pages::remove_webhook},
    {"GET", "/admin/alliances", Access::signed_in, provider_admin_pages::show_alliances},
    {"POST", "/admin/alliances", Access::signed_in, provider_admin_pages::add_alliance},
    {"GET", "/admin/alliances/{id}", Access::signed_in, provider_admin_pages::show_alliance},
    {"POST", "/admin/alliances/{id}/members", Access::signed_in, provider_admin_pages::add_member},
    {"POST", "/admin/alliances/{id}/members/{urn}/remove", Access::signed_in, provider_admin_pages::remove_member},
    {"GET", "/admin/system-leaders", Access::signed_in, provider_admin_pages::show_leaders},
    {"POST", "/admin/system-leaders", Access::signed_in, provider_admin_pages::add_leader},
    {"GET", "/admin/system-leaders/{id}", Access::signed_in, provider_admin_pages::show_leader},
    {"POST", "/admin/system-leaders/{id}/designations", Access::signed_in, provider_admin_pages::add_designation},
    {"POST", "/admin/system-leaders/{id}/designations/{designation}/end", Access::signed_in, provider_admin_pages::end_designation},
    {"POST", "/admin/system-leaders/{id}/capacity", Access::signed_in, provider_admin_pages::set_capacity},
    {"GET", "/admin/audit", Access::signed_in, audit_page::audit_view},
    {"GET", "/admin/need", Access::signed_in, need_page::criteria},
    {"POST", "/admin/need", Access::signed_in, need_page::add_criterion},
    {"POST", "/admin/need/{id}/remove", Access::signed_in, need_page::remove_criterion},
};
// clang-format on

}  // namespace

void register_web_routes(api::Router& router, api::App& app, const WebOptions& options, LinkMailer* mailer) {
  check_page_templates();
  router.add("GET", "/assets/{version}/{name}", asset);
  for (const SitePage& p : kSite) add_page(router, app, options, mailer, p.method, p.pattern, p.access, p.answer);
  register_school_import_pages(router, app, options, mailer);
  // An unknown path: the API's 404 problem under /api/, an HTML page elsewhere.
  router.set_fallback([&app, &options, mailer](const api::HttpRequest& request, const api::Router::Params& params) {
    if (request.path.starts_with("/api/")) {
      return api::path_not_found(request.path);
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
