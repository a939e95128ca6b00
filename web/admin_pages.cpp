// The admin console (docs/web.md): every user with role, scope and how they
// hear of cases; inviting someone (the invitation is a sign-in link);
// revoking a user; their notification preference; closure days;
// notifications that failed, sent again; and webhooks.
#include <boost/json.hpp>

#include <charconv>

#include "cases/sign_in.h"
#include "cases/recipients.h"
#include "notifications/dispatcher.h"
#include "notifications/webhooks.h"
#include "cases/users.h"
#include "web/forms.h"
#include "web/link_mailer.h"
#include "web/page.h"
#include "workflow/date.h"
#include "workflow/engine.h"

namespace s2s::web {
namespace admin_pages {

namespace json = boost::json;

const std::vector<std::pair<std::string, std::string>>& roles() {
  static const std::vector<std::pair<std::string, std::string>> list{
      {"lead", "School improvement lead (scope mini_region:NAME or alliance:ID)"},
      {"system_leader", "System leader (scope system_leader:ID)"},
      {"school", "School (scope school:URN)"},
      {"la_officer", "Local authority officer (scope la:CODE)"},
      {"strategic", "Strategic group (no scope)"},
      {"admin", "Administrator (no scope)"}};
  return list;
}

cases::User user_or_404(PageContext& ctx) {
  const std::string& text = ctx.param("id");
  std::int64_t id = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || ptr != text.data() + text.size()) throw PageRefusal{404, "Page not found", "No such user."};
  auto user = cases::find_user(*ctx.app.db, id);
  if (!user) throw PageRefusal{404, "Page not found", "No such user."};
  return *user;
}

api::HttpResponse users(PageContext& ctx) {
  admins_only(ctx);
  json::array rows;
  for (const auto& u : cases::list_users(*ctx.app.db)) {
    rows.push_back(json::object{{"id", std::to_string(u.user.id)},
                                {"name", u.user.name},
                                {"email", u.user.email},
                                {"role", role_title(u.user.role)},
                                {"scope", scope_words(u.user)},
                                {"self", u.user.id == ctx.user().id},
                                {"digest", u.notify == "digest"},
                                {"revoked", u.revoked},
                                {"revoke_href", "/admin/users/" + std::to_string(u.user.id) + "/revoke"},
                                {"notify_href", "/admin/users/" + std::to_string(u.user.id) + "/notify"},
                                {"feed_href", "/admin/users/" + std::to_string(u.user.id) + "/feed"},
                                {"scope_href", u.user.role == "admin" || u.user.role == "strategic"
                                                   ? std::string()
                                                   : "/admin/users/" + std::to_string(u.user.id) + "/scope"}});
  }
  json::object model{{"title", "Users"}, {"rows", rows}};
  const std::string done = query_value(ctx.request.query, "done");
  const std::string who = query_value(ctx.request.query, "who");
  if (done == "invited") model["banner"] = "Invitation sent to " + who;
  if (done == "revoked") model["banner"] = who + " is revoked: their sessions and tokens have ended";
  if (done == "notify") model["banner"] = "How " + who + " hears of their cases is changed";
  if (done == "scope") model["banner"] = "The scope of " + who + " is changed: it applies from their next page";
  return page(ctx, "admin_users", std::move(model));
}

api::HttpResponse invite_form(PageContext& ctx, const std::vector<FieldError>& errors, int status) {
  json::array options;
  const std::string chosen = ctx.form.text("role");
  for (const auto& [value, label] : roles()) {
    options.push_back(json::object{
        {"value", value}, {"label", label}, {"id", "f-role-" + value}, {"checked", value == chosen}});
  }
  if (!options.empty()) options[0].as_object()["id"] = "f-role";
  json::object model{{"title", std::string(errors.empty() ? "" : "Error: ") + "Invite a user"},
                     {"roles", options},
                     {"name", ctx.form.text("name")},
                     {"email", ctx.form.text("email")},
                     {"scope", ctx.form.text("scope")},
                     {"phases", ctx.form.text("phases")},
                     {"errors", error_summary(errors)},
                     {"has_errors", !errors.empty()}};
  for (const auto& e : errors) model[e.field + "_error"] = e.message;
  return page(ctx, "admin_invite", std::move(model), status);
}

api::HttpResponse show_invite(PageContext& ctx) {
  admins_only(ctx);
  return invite_form(ctx, {}, 200);
}

api::HttpResponse invite(PageContext& ctx) {
  admins_only(ctx);
  std::vector<FieldError> errors;
  if (ctx.form.text("name").empty()) errors.push_back({"name", "Enter the person's name"});
  if (ctx.form.text("email").empty()) errors.push_back({"email", "Enter their work email address"});
  if (ctx.form.text("role").empty()) errors.push_back({"role", "Select their role"});
  if (!errors.empty()) return invite_form(ctx, errors, 400);
  const std::string email = ctx.form.text("email");
  try {
    (void)cases::add_user(*ctx.app.db, ctx.form.text("name"), email, ctx.form.text("role"), ctx.form.text("scope"),
                          ctx.form.text("phases"));
  } catch (const cases::UserError& e) {
    // The register's own words, on the answer they are about.
    const std::string message = e.what();
    std::string field = "scope";
    if (message.find("email") != std::string::npos) field = "email";
    if (message.starts_with("role")) field = "role";
    if (message.starts_with("phase") || message.find("phases") != std::string::npos) field = "phases";
    return invite_form(ctx, {{field, message}}, e.category() == workflow::ErrorCategory::conflict ? 409 : 422);
  }
  // The invitation is a sign-in link, sent like any other.
  if (ctx.mailer != nullptr) ctx.mailer->request(email, "/");
  audit(ctx, "user.invite", ctx.form.text("name") + " (" + email + ")",
        role_title(ctx.form.text("role")) + (ctx.form.text("scope").empty() ? "" : ", " + ctx.form.text("scope")));
  return redirect(ctx, "/admin/users?done=invited&who=" + url_encode(email));
}

api::HttpResponse revoke(PageContext& ctx) {
  admins_only(ctx);
  const auto user = user_or_404(ctx);
  if (user.id == ctx.user().id) {
    throw PageRefusal{409, "You cannot revoke yourself", "Ask another administrator to revoke your account."};
  }
  (void)cases::revoke_tokens(*ctx.app.db, user.email);
  audit(ctx, "user.revoke", user.name + " (" + user.email + ")");
  return redirect(ctx, "/admin/users?done=revoked&who=" + url_encode(user.email));
}

// A user's scope changed: what they see from their next page on.
constexpr workflow::FieldSpec kScopeFields[] = {
    {"scope", workflow::FieldType::string, true, {}, ""},
    {"phases", workflow::FieldType::string, false, {}, "a lead only: phase groups to keep to, for example: primary, middle; empty for every phase"},
};

std::string scope_hint(std::string_view role) {
  if (role == "lead") return "mini_region:NAME or alliance:NUMBER, for example mini_region:Derbyshire";
  if (role == "school") return "school:URN, for example school:146330";
  if (role == "la_officer") return "la:CODE, for example la:830";
  return "system_leader:NUMBER, for example system_leader:2";
}

api::HttpResponse scope_form(PageContext& ctx, const cases::User& user, const Form* posted,
                             const std::vector<FieldError>& errors, int status) {
  const std::string hint = scope_hint(user.role);
  workflow::FieldSpec fields[] = {kScopeFields[0], kScopeFields[1]};
  fields[0].help = hint;
  const std::span<const workflow::FieldSpec> shown(fields, user.role == "lead" ? 2 : 1);
  Form current;
  if (posted == nullptr) {
    const std::string scope = user.scope_kind.empty() ? "" : user.scope_kind + ":" + user.scope_value;
    current = Form(std::vector<std::pair<std::string, std::string>>{{"scope", scope}, {"phases", user.scope_phases}});
  }
  return page(ctx, "admin_scope",
              json::object{{"title", std::string(errors.empty() ? "" : "Error: ") + "Change the scope of " + user.name},
                           {"name", user.name},
                           {"role", role_title(user.role)},
                           {"now", scope_words(user)},
                           {"action", "/admin/users/" + std::to_string(user.id) + "/scope"},
                           {"fields", field_models(shown, posted != nullptr ? posted : &current, errors)},
                           {"errors", error_summary(errors)},
                           {"has_errors", !errors.empty()}},
              status);
}

api::HttpResponse show_scope(PageContext& ctx) {
  admins_only(ctx);
  const auto user = user_or_404(ctx);
  if (user.role == "admin" || user.role == "strategic") {
    throw PageRefusal{409, "This user has no scope", role_title(user.role) + "s see every school."};
  }
  return scope_form(ctx, user, nullptr, {}, 200);
}

api::HttpResponse change_scope(PageContext& ctx) {
  admins_only(ctx);
  const auto user = user_or_404(ctx);
  if (user.role == "admin" || user.role == "strategic") {
    throw PageRefusal{409, "This user has no scope", role_title(user.role) + "s see every school."};
  }
  const ReadPayload read = read_payload(kScopeFields, ctx.form);
  if (!read.errors.empty()) return scope_form(ctx, user, &ctx.form, read.errors, 400);
  const auto text = [&](const char* name) {
    const auto* v = read.payload.if_contains(name);
    return v != nullptr ? std::string(v->as_string()) : std::string();
  };
  try {
    cases::set_user_scope(*ctx.app.db, user.id, text("scope"), user.role == "lead" ? text("phases") : "");
    const auto changed = cases::find_user(*ctx.app.db, user.id);
    audit(ctx, "user.scope", user.name + " (" + user.email + ")",
          "from " + scope_words(user) + " to " + (changed ? scope_words(*changed) : text("scope")));
  } catch (const cases::UserError& e) {
    std::string message = e.what();
    // The records speak of the command line's flag; the form has a field.
    if (const auto at = message.find("--scope "); at != std::string::npos) message.erase(at, 8);
    message[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(message[0])));
    const bool phases = message.find("phase") != std::string::npos && message.find("scope") == std::string::npos;
    return scope_form(ctx, user, &ctx.form, {{phases ? "phases" : "scope", message}}, 422);
  }
  return redirect(ctx, "/admin/users?done=scope&who=" + url_encode(user.email));
}

// A new calendar feed for the user (any earlier one stops working), its
// address shown once for the administrator to pass on.
api::HttpResponse feed(PageContext& ctx) {
  admins_only(ctx);
  const auto user = user_or_404(ctx);
  const std::string token = cases::new_feed_token(*ctx.app.db, user.email);
  audit(ctx, "user.feed", user.name + " (" + user.email + ")");
  return page(ctx, "admin_feed",
              json::object{{"title", "Calendar feed for " + user.name},
                           {"name", user.name},
                           {"url", ctx.app.options.public_url + "/api/v1/deadlines.ics?token=" + token}});
}

api::HttpResponse notify(PageContext& ctx) {
  admins_only(ctx);
  const auto user = user_or_404(ctx);
  const std::string mode = ctx.form.text("notify");
  if (mode != "immediate" && mode != "digest") {
    throw PageRefusal{400, "The form could not be read", "Choose each message at once, or a daily digest."};
  }
  cases::set_notify(*ctx.app.db, user.email, mode);
  audit(ctx, "user.notify", user.name + " (" + user.email + ")", mode == "digest" ? "a daily digest" : "each message");
  return redirect(ctx, "/admin/users?done=notify&who=" + url_encode(user.email));
}

// Closure days: an admin closes a day (an alliance-wide INSET day); every
// open deadline it moves is recomputed.
constexpr workflow::FieldSpec kClosureFields[] = {
    {"day", workflow::FieldType::date, true, {}, "the day no one works"},
    {"reason", workflow::FieldType::string, true, {}, "for example: alliance INSET day"},
};

api::HttpResponse closures_page(PageContext& ctx, const Form* posted, const std::vector<FieldError>& errors,
                                int status) {
  json::array rows;
  for (const auto& c : ctx.app.engine->calendar().closures()) {
    rows.push_back(json::object{{"day", long_date(c.date)}, {"reason", c.reason}});
  }
  json::object model{{"title", std::string(errors.empty() ? "" : "Error: ") + "Closure days"},
                     {"rows", rows},
                     {"has_rows", !rows.empty()},
                     {"fields", field_models(kClosureFields, posted, errors)},
                     {"errors", error_summary(errors)},
                     {"has_errors", !errors.empty()}};
  const std::string moved = query_value(ctx.request.query, "moved");
  if (!moved.empty() && posted == nullptr) {
    model["banner"] = "The day is closed; " + moved + (moved == "1" ? " deadline moved" : " deadlines moved");
  }
  return page(ctx, "admin_closures", std::move(model), status);
}

api::HttpResponse closures(PageContext& ctx) {
  admins_only(ctx);
  return closures_page(ctx, nullptr, {}, 200);
}

api::HttpResponse close_day(PageContext& ctx) {
  admins_only(ctx);
  const ReadPayload read = read_payload(kClosureFields, ctx.form);
  if (!read.errors.empty()) return closures_page(ctx, &ctx.form, read.errors, 400);
  const auto day = workflow::parse_date(std::string(read.payload.at("day").as_string()));
  int moved = 0;
  try {
    moved = ctx.app.engine->add_closure(*day, std::string(read.payload.at("reason").as_string()), ctx.actor.name);
  } catch (const workflow::EngineError& e) {
    std::string field = e.field();
    if (field.starts_with("$.")) field = field.substr(2);
    return closures_page(ctx, &ctx.form, {{field.empty() ? "day" : field, e.reason().empty() ? e.what() : e.reason()}},
                         422);
  }
  audit(ctx, "closure.add", long_date(*day), std::string(read.payload.at("reason").as_string()) + "; " +
                                                 std::to_string(moved) + (moved == 1 ? " deadline moved" : " deadlines moved"));
  return redirect(ctx, "/admin/closures?moved=" + std::to_string(moved));
}

// Dead letters: notifications that failed for the last time, with why, and
// sending them again.
api::HttpResponse dead_letters(PageContext& ctx) {
  admins_only(ctx);
  json::array rows;
  for (const auto& n : notifications::notifications(*ctx.app.db, "dead", 200)) {
    json::array deliveries;
    for (const auto& d : n.deliveries) {
      deliveries.push_back(json::object{{"to", d.recipient_name.empty() ? d.recipient : d.recipient_name + " (" + d.recipient + ")"},
                                        {"channel", d.channel},
                                        {"status", words(d.status)},
                                        {"attempts", std::to_string(d.attempts)},
                                        {"error", d.last_error}});
    }
    rows.push_back(json::object{{"id", std::to_string(n.outbox_id)},
                                {"message", words(n.message)},
                                {"created", long_date(n.created_at)},
                                {"deliveries", deliveries},
                                {"resend_href", "/admin/notifications/" + std::to_string(n.outbox_id) + "/resend"}});
  }
  json::object model{{"title", "Notifications that failed"}, {"rows", rows}, {"has_rows", !rows.empty()}};
  const std::string sent = query_value(ctx.request.query, "queued");
  if (!sent.empty()) model["banner"] = "Queued again: " + sent + (sent == "1" ? " delivery" : " deliveries");
  return page(ctx, "admin_notifications", std::move(model));
}

api::HttpResponse resend(PageContext& ctx) {
  admins_only(ctx);
  const std::string& text = ctx.param("id");
  std::int64_t id = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || ptr != text.data() + text.size()) throw PageRefusal{404, "Page not found", "No such message."};
  const int queued = notifications::resend(*ctx.app.db, id, ctx.app.engine->now());
  audit(ctx, "notification.resend", "notification " + std::to_string(id),
        std::to_string(queued) + (queued == 1 ? " delivery" : " deliveries") + " queued again");
  return redirect(ctx, "/admin/notifications?queued=" + std::to_string(queued));
}

// Webhooks: add one for an alliance or mini region (its secret shown once),
// rotate a secret (the new one shown once), remove one.
api::HttpResponse webhooks_page(PageContext& ctx, const std::vector<FieldError>& errors, int status) {
  json::array rows;
  for (const auto& w : notifications::list_webhooks(*ctx.app.db)) {
    rows.push_back(json::object{{"id", std::to_string(w.id)},
                                {"scope", w.scope},
                                {"url", w.url},
                                {"created", long_date(w.created_at)},
                                {"rotate_href", "/admin/webhooks/" + std::to_string(w.id) + "/rotate"},
                                {"remove_href", "/admin/webhooks/" + std::to_string(w.id) + "/remove"}});
  }
  json::object model{{"title", std::string(errors.empty() ? "" : "Error: ") + "Webhooks"},
                     {"rows", rows},
                     {"has_rows", !rows.empty()},
                     {"scope", ctx.form.text("scope")},
                     {"url", ctx.form.text("url")},
                     {"errors", error_summary(errors)},
                     {"has_errors", !errors.empty()}};
  for (const auto& e : errors) model[e.field + "_error"] = e.message;
  if (query_value(ctx.request.query, "done") == "removed") model["banner"] = "The webhook is removed";
  return page(ctx, "admin_webhooks", std::move(model), status);
}

api::HttpResponse webhooks(PageContext& ctx) {
  admins_only(ctx);
  return webhooks_page(ctx, {}, 200);
}

// The secret, shown this once: the receiver needs it to check signatures.
api::HttpResponse secret_page(PageContext& ctx, const std::string& title, const std::string& url,
                              const std::string& secret) {
  return page(ctx, "admin_webhook_secret", json::object{{"title", title}, {"url", url}, {"secret", secret}});
}

api::HttpResponse add_webhook(PageContext& ctx) {
  admins_only(ctx);
  const std::string scope = ctx.form.text("scope");
  const std::string url = ctx.form.text("url");
  std::vector<FieldError> errors;
  if (scope.empty()) errors.push_back({"scope", "Enter the alliance or mini region, like alliance:1"});
  if (url.empty()) errors.push_back({"url", "Enter the address to send to, starting https://"});
  if (url.size() > 2000) errors.push_back({"url", "The address must be 2,000 characters or fewer"});
  if (!errors.empty()) return webhooks_page(ctx, errors, 400);
  std::string secret;
  try {
    (void)notifications::add_webhook(*ctx.app.db, *cases::directory(), scope, url, secret, ctx.app.engine->now(),
                                     ctx.app.options.webhooks_to_private_addresses);
  } catch (const notifications::NotificationError& e) {
    const std::string message = e.what();
    const std::string field = message.find("url") != std::string::npos || message.find("webhook to") != std::string::npos
                                  ? "url"
                                  : "scope";
    return webhooks_page(ctx, {{field, message}}, e.category() == workflow::ErrorCategory::conflict ? 409 : 422);
  }
  audit(ctx, "webhook.add", "webhook to " + url, "for " + scope);
  return secret_page(ctx, "Webhook added", url, secret);
}

std::int64_t webhook_id(PageContext& ctx) {
  const std::string& text = ctx.param("id");
  std::int64_t id = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || ptr != text.data() + text.size()) throw PageRefusal{404, "Page not found", "No such webhook."};
  return id;
}

api::HttpResponse rotate_webhook(PageContext& ctx) {
  admins_only(ctx);
  const auto id = webhook_id(ctx);
  std::string url;
  for (const auto& w : notifications::list_webhooks(*ctx.app.db)) {
    if (w.id == id) url = w.url;
  }
  const std::string secret = notifications::rotate_webhook_secret(*ctx.app.db, id);
  audit(ctx, "webhook.rotate", "webhook to " + url);
  return secret_page(ctx, "New webhook secret", url, secret);
}

api::HttpResponse remove_webhook(PageContext& ctx) {
  admins_only(ctx);
  const auto id = webhook_id(ctx);
  std::string url = "webhook " + std::to_string(id);
  for (const auto& w : notifications::list_webhooks(*ctx.app.db)) {
    if (w.id == id) url = "webhook to " + w.url;
  }
  notifications::remove_webhook(*ctx.app.db, id);
  audit(ctx, "webhook.remove", url);
  return redirect(ctx, "/admin/webhooks?done=removed");
}

}  // namespace admin_pages

}  // namespace s2s::web
