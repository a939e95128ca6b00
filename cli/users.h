#pragma once

#include "cli/common.h"

// The commands over users and their tokens (cases/users.h holds the users).
namespace s2s::cli {

// s2sd user add: creates a user and prints its bearer token alone on the last line.
[[nodiscard]] Command user_add_command();
// s2sd user revoke EMAIL: revokes every token of that user.
[[nodiscard]] Command user_revoke_command();
// user sign-in-link: a one-time web sign-in link, printed.
[[nodiscard]] Command user_sign_in_link_command();
// s2sd user feed EMAIL: a calendar feed URL of the user's deadlines.
[[nodiscard]] Command user_feed_command();
// s2sd user notify EMAIL immediate|digest: how the user hears of their cases.
[[nodiscard]] Command user_notify_command();

}  // namespace s2s::cli
