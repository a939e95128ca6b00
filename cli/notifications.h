#pragma once

#include <vector>

#include "cli/common.h"

namespace s2s::notifications {
class Mailer;
struct DispatcherOptions;
}  // namespace s2s::notifications

namespace s2s::cli {

// --smtp-url and the rest of how messages go out: taken by notifications run
// and by serve, which sends continuously when given --smtp-url.
[[nodiscard]] std::vector<OptionSpec> smtp_option_specs();

// The mail server of --smtp-url, --smtp-user, --smtp-password and --smtp-from.
// Throws UsageError naming the source of a bad --smtp-url.
[[nodiscard]] notifications::Mailer make_mailer(const Settings& settings);

// The dispatcher's attempts, backoff, lease, links and digest time from those
// flags. Throws UsageError.
[[nodiscard]] notifications::DispatcherOptions dispatcher_options(const Settings& settings);

// s2sd notifications run: sends every due notification now and exits, 1 when
// any became a dead letter.
[[nodiscard]] Command notifications_run_command();
// s2sd notifications resend ID: queues a dead letter's failed deliveries again.
[[nodiscard]] Command notifications_resend_command();
// s2sd notifications list: notifications of a status with their deliveries.
[[nodiscard]] Command notifications_list_command();
// s2sd webhook add: a signed POST of every notification about a scope's schools.
[[nodiscard]] Command webhook_add_command();

}  // namespace s2s::cli
