#pragma once

// The functions that answer the site's pages, grouped by the file that holds
// them; the site map in web/web.cpp puts each at its address.

#include "web/page.h"

namespace s2s::web {

namespace sign_in_pages {
api::HttpResponse show_sign_in(PageContext& ctx);
api::HttpResponse ask_for_link(PageContext& ctx);
api::HttpResponse link_sent(PageContext& ctx);
api::HttpResponse show_link(PageContext& ctx);
api::HttpResponse use_link(PageContext& ctx);
api::HttpResponse sign_out(PageContext& ctx);
}  // namespace sign_in_pages

namespace case_pages {
api::HttpResponse home(PageContext& ctx);
api::HttpResponse case_list(PageContext& ctx);
api::HttpResponse case_list_csv(PageContext& ctx);
api::HttpResponse case_page(PageContext& ctx);
api::HttpResponse show_action(PageContext& ctx);
api::HttpResponse send_action(PageContext& ctx);
}  // namespace case_pages

namespace referral_pages {
api::HttpResponse start(PageContext& ctx);
api::HttpResponse choose(PageContext& ctx);
api::HttpResponse check(PageContext& ctx);
api::HttpResponse confirm(PageContext& ctx);
api::HttpResponse done(PageContext& ctx);
}  // namespace referral_pages

namespace report_pages {
api::HttpResponse kpis(PageContext& ctx);
api::HttpResponse kpis_csv(PageContext& ctx);
api::HttpResponse kpi_cases(PageContext& ctx);
api::HttpResponse quarterly(PageContext& ctx);
}  // namespace report_pages

namespace dashboard_page {
api::HttpResponse dashboard(PageContext& ctx);
}  // namespace dashboard_page

namespace directory_pages {
api::HttpResponse directory(PageContext& ctx);
api::HttpResponse leader_page(PageContext& ctx);
}  // namespace directory_pages

namespace school_page {
api::HttpResponse school_page(PageContext& ctx);
}  // namespace school_page

namespace admin_pages {
api::HttpResponse users(PageContext& ctx);
api::HttpResponse show_invite(PageContext& ctx);
api::HttpResponse invite(PageContext& ctx);
api::HttpResponse revoke(PageContext& ctx);
api::HttpResponse notify(PageContext& ctx);
api::HttpResponse feed(PageContext& ctx);
api::HttpResponse show_scope(PageContext& ctx);
api::HttpResponse change_scope(PageContext& ctx);
api::HttpResponse closures(PageContext& ctx);
api::HttpResponse close_day(PageContext& ctx);
api::HttpResponse dead_letters(PageContext& ctx);
api::HttpResponse resend(PageContext& ctx);
api::HttpResponse webhooks(PageContext& ctx);
api::HttpResponse add_webhook(PageContext& ctx);
api::HttpResponse rotate_webhook(PageContext& ctx);
api::HttpResponse remove_webhook(PageContext& ctx);
}  // namespace admin_pages

namespace provider_admin_pages {
api::HttpResponse show_alliances(PageContext& ctx);
api::HttpResponse add_alliance(PageContext& ctx);
api::HttpResponse show_alliance(PageContext& ctx);
api::HttpResponse add_member(PageContext& ctx);
api::HttpResponse remove_member(PageContext& ctx);
api::HttpResponse show_leaders(PageContext& ctx);
api::HttpResponse add_leader(PageContext& ctx);
api::HttpResponse show_leader(PageContext& ctx);
api::HttpResponse add_designation(PageContext& ctx);
api::HttpResponse end_designation(PageContext& ctx);
api::HttpResponse set_capacity(PageContext& ctx);
}  // namespace provider_admin_pages

namespace audit_page {
api::HttpResponse audit_view(PageContext& ctx);
}  // namespace audit_page

}  // namespace s2s::web
