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

}  // namespace s2s::cli
