// The admin console's audit view (docs/audit.md): who did what, newest
// first, case events and administration together, narrowed by person, by
// kind and by how far back; each case event links to its case.
#include <boost/json.hpp>

#include <map>
#include <set>

#include "cases/users.h"
#include "web/page.h"
#include "workflow/audit.h"
#include "workflow/engine.h"
#include "workflow/timestamp.h"

namespace s2s::web {
namespace audit_page {

namespace json = boost::json;

// What each recorded action is, as people read it (docs/audit.md).
std::string action_title(const std::string& code) {
  static const std::map<std::string, std::string> kTitles{
      {"user.add", "Added a user"},
      {"user.invite", "Invited a user"},
      {"user.revoke", "Revoked a user"},
      {"user.scope", "Changed a user's scope"},
      {"user.notify", "Changed how a user hears of cases"},
      {"user.feed", "Made a new calendar feed address"},
      {"user.sign_in_link", "Made a sign-in link"},
      {"closure.add", "Closed a day"},
      {"database.backup", "Backed up the database"},
      {"notification.resend", "Sent a failed notification again"},
      {"webhook.add", "Added a webhook"},
      {"webhook.rotate", "Gave a webhook a new secret"},
      {"webhook.remove", "Removed a webhook"},
      {"schools.import", "Imported the GIAS extract"},
      {"schools.import_ofsted", "Imported Ofsted's inspection outcomes"},
      {"need.rule_add", "Added a criterion of need"},
      {"need.rule_remove", "Removed a criterion of need"},
      {"school.edit", "Edited a school's details"},
      {"alliance.add", "Added an alliance"},
      {"alliance.member_add", "Added a member school"},
      {"alliance.member_remove", "Removed a member school"},
      {"leader.add", "Added a system leader"},
      {"designation.add", "Added a designation"},
      {"designation.end", "Changed a designation's end date"},
      {"capacity.set", "Set the days a system leader offers"},
  };
  const auto found = kTitles.find(code);
  return found != kTitles.end() ? found->second : words(code);
}

api::HttpResponse audit_view(PageContext& ctx) {
  admins_only(ctx);
  constexpr int kPerPage = 100;
  workflow::AuditQuery query;
  query.limit = kPerPage;
  const std::string who = query_value(ctx.request.query, "who");
  if (!who.empty()) query.who = who.substr(0, 200);
  const std::string kind = query_value(ctx.request.query, "kind");
  if (kind == "cases") query.kind = workflow::AuditQuery::Kind::case_events;
  if (kind == "administration") query.kind = workflow::AuditQuery::Kind::administration;
  const std::string days = query_value(ctx.request.query, "days");
  int back = 30;
  if (days == "7" || days == "365") back = std::stoi(days);
  if (days == "all") back = 0;
  if (back > 0) query.since = workflow::format_timestamp(ctx.app.engine->now() - std::chrono::days(back));
  int page_number = 1;
  if (const auto asked = query_value(ctx.request.query, "page");
      !asked.empty() && asked.size() <= 3 && asked.find_first_not_of("0123456789") == std::string::npos) {
    page_number = std::clamp(std::stoi(asked), 1, 100);
  }
  query.offset = (page_number - 1) * kPerPage;
  const auto trail = workflow::audit_trail(*ctx.app.db, query);
  // People by name: the page's actors read in one statement.
  std::set<std::string> actors;
  for (const auto& r : trail.rows) actors.insert(r.actor);
  const auto users = cases::users_of_actors(*ctx.app.db, actors);
  const auto name_of = [&](const std::string& actor) -> std::string {
    if (actor == "system") return "s2s (a deadline or timer)";
    if (const auto user = users.find(actor); user != users.end()) {
      return user->second.name + " (" + user->second.email + ")";
    }
    if (actor.starts_with("admin:cli") || actor.starts_with("cli")) return "The command line (" + actor + ")";
    return actor;
  };
  json::array rows;
  for (const auto& r : trail.rows) {
    json::object row{{"when", long_date_time(r.recorded_at)}, {"who", name_of(r.actor)}};
    if (r.case_event) {
      row["what"] = words(r.what);
      row["case"] = r.subject;
      row["href"] = "/cases/" + r.subject;
      row["detail"] = r.detail + (r.from_state.empty() ? " (opened)" : ": " + words(r.from_state) + " to " + words(r.to_state));
    } else {
      row["what"] = action_title(r.what);
      row["subject"] = r.subject;
      row["detail"] = r.detail;
    }
    rows.push_back(std::move(row));
  }
  std::string base = "/admin/audit?who=" + url_encode(who) + "&kind=" + url_encode(kind) + "&days=" +
                     url_encode(days.empty() ? "30" : days) + "&page=";
  const auto option = [](const std::string& value, const std::string& label, bool selected) {
    return json::object{{"value", value}, {"label", label}, {"selected", selected}};
  };
  return page(ctx, "admin_audit",
              json::object{{"title", "Audit trail"},
                           {"who", who},
                           {"kinds", json::array{option("", "Everything", kind.empty()),
                                                 option("cases", "Case events", kind == "cases"),
                                                 option("administration", "Administration", kind == "administration")}},
                           {"periods", json::array{option("7", "The last 7 days", back == 7),
                                                   option("30", "The last 30 days", back == 30),
                                                   option("365", "The last year", back == 365),
                                                   option("all", "Since the start", back == 0)}},
                           {"rows", rows},
                           {"any", !rows.empty()},
                           {"page", std::to_string(page_number)},
                           {"previous", page_number > 1 ? base + std::to_string(page_number - 1) : std::string()},
                           {"next", trail.more && page_number < 100 ? base + std::to_string(page_number + 1)
                                                                    : std::string()}});
}

}  // namespace audit_page

}  // namespace s2s::web
