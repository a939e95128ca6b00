#pragma once

// The functions that answer the site's pages, grouped by the file that holds
// them; the site map in web/web.cpp puts each at its address.

#include "web/page.h"

namespace s2s::web {

// What answers a page: the request's context in, the page out.
using Answer = api::HttpResponse(PageContext& ctx);

namespace sign_in_pages {
Answer show_sign_in, ask_for_link, link_sent, show_link, use_link, sign_out;
}  // namespace sign_in_pages
namespace case_pages {
Answer home, case_list, case_list_csv, case_page, show_action, send_action;
}  // namespace case_pages
namespace referral_pages {
Answer start, choose, check, confirm, done;
}  // namespace referral_pages
namespace report_pages {
Answer kpis, kpis_csv, kpi_cases, quarterly;
}  // namespace report_pages
namespace dashboard_page {
Answer dashboard;
}  // namespace dashboard_page
namespace need_page {
Answer need_register, need_csv, cold_spots, criteria, add_criterion, remove_criterion;
}  // namespace need_page
namespace directory_pages {
Answer directory, leader_page;
}  // namespace directory_pages
namespace school_page {
Answer school_page;
}  // namespace school_page
namespace admin_pages {
Answer users, show_invite, invite, revoke, notify, feed, show_scope, change_scope, closures, close_day, dead_letters,
    resend, webhooks, add_webhook, rotate_webhook, remove_webhook;
}  // namespace admin_pages
namespace provider_admin_pages {
Answer show_alliances, add_alliance, show_alliance, add_member, remove_member, show_leaders, add_leader, show_leader,
    add_designation, end_designation, set_capacity;
}  // namespace provider_admin_pages
namespace audit_page {
Answer audit_view;
}  // namespace audit_page

}  // namespace s2s::web
