#pragma once

#include <memory>

#include "notifications/directory.h"

// Who hears of a case and where its school lies, for the notifications: the
// cases module's answer to notifications::Directory, over the tables it owns
// (schools, la_mini_regions, alliances, alliance_members, system_leaders,
// deployments), the users table and the case's first history entry, with the
// scope rules of deployments.h deciding which leads cover a school.
namespace s2s::cases {

// The directory, created once. Thread-safe (it holds no state); lives for the process.
[[nodiscard]] std::shared_ptr<const notifications::Directory> directory();

}  // namespace s2s::cases
