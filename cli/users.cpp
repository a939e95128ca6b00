#include "cli/command_list.h"

#include <chrono>
#include <iostream>
#include <string>

#include "cases/sign_in.h"
#include "cases/users.h"
#include "workflow/database.h"

namespace s2s::cli {
namespace users_commands {

int run_user_add(const Settings& settings) {
  auto db = open_migrated(settings);
  const auto created =
      cases::add_user(*db, settings.require("name"), settings.require("email"), settings.require("role"),
                      settings.get("scope").value_or(""), settings.get("phases").value_or(""));
  const auto& u = created.user;
  record(*db, "user.add", u.name + " (" + u.email + ")",
         u.role + (u.scope_kind.empty() ? "" : ", " + u.scope_kind + ":" + u.scope_value));
  std::string scope = u.scope_kind.empty() ? "" : ", " + u.scope_kind + ":" + u.scope_value;
  if (!u.scope_phases.empty()) scope += ", phases " + u.scope_phases;
  std::cout << "user " << u.id << " " << u.email << " (" << u.role << scope
            << ") created; its bearer token, shown only now:\n"
            << created.token << '\n';
  return 0;
}

int run_user_revoke(const Settings& settings) {
  auto db = open_database(settings);
  const int revoked = cases::revoke_tokens(*db, settings.positional[0]);
  record(*db, "user.revoke", settings.positional[0]);
  std::cout << revoked << " token(s) of " << settings.positional[0]
            << " revoked; their web sessions ended and they can no longer sign in\n";
  return 0;
}

int run_user_feed(const Settings& settings) {
  auto db = open_migrated(settings);
  std::string token;
  token = cases::new_feed_token(*db, settings.positional[0]);
  record(*db, "user.feed", settings.positional[0]);
  std::cout << "calendar feed for " << settings.positional[0] << " (any earlier one is revoked), shown only now:\n"
            << settings.get("public-url").value_or("http://127.0.0.1:8080") << "/api/v1/deadlines.ics?token=" << token
            << '\n';
  return 0;
}

int run_user_notify(const Settings& settings) {
  auto db = open_migrated(settings);
  cases::set_notify(*db, settings.positional[0], settings.positional[1]);
  record(*db, "user.notify", settings.positional[0], settings.positional[1]);
  std::cout << settings.positional[0] << " now hears " << settings.positional[1]
            << (settings.positional[1] == "digest" ? " (one message a day)" : " (each message as it happens)") << '\n';
  return 0;
}

// A sign-in link printed rather than emailed: for an administrator helping
// someone in, and for ./scripts/run's demo users. Subject to the same limit
// per address as links asked for on the sign-in page.
int run_user_sign_in_link(const Settings& settings) {
  auto db = open_migrated(settings);
  const std::string& email = settings.positional[0];
  const cases::SessionPolicy policy;
  const auto link = cases::create_sign_in_link(*db, email, settings.get("next").value_or("/"),
                                               std::chrono::system_clock::now(), policy);
  if (!link) {
    throw cases::UserError("no sign-in link for " + email + ": no live user has this email, or it has had " +
                               std::to_string(policy.links_per_address_per_hour) + " links in the last hour",
                           workflow::ErrorCategory::not_found);
  }
  record(*db, "user.sign_in_link", email);
  std::cout << settings.get("public-url").value_or("http://127.0.0.1:8080") << "/sign-in/link?token=" << link->token
            << '\n';
  return 0;
}

}  // namespace users_commands

}  // namespace s2s::cli
