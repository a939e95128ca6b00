#pragma once

#include "cli/common.h"

namespace s2s::cli {

// s2sd serve: the one composition root. It opens (and migrates) the database,
// builds the engine, starts the timer service and the notification dispatcher,
// registers the API's routes and runs the HTTP server until SIGTERM or SIGINT.
[[nodiscard]] Command serve_command();

}  // namespace s2s::cli
