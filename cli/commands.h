#pragma once

#include <span>
#include <string>

namespace s2s::cli {

// Runs s2sd with the words after the program name; returns the exit status:
// 0 success, 1 failure (printed as one line on standard error), 2 usage error,
// or what the command itself answers (migrate --status: 3 with migrations pending).
// Configures spdlog's default logger; call from one thread, before any other starts.
[[nodiscard]] int run_s2sd(std::span<const std::string> args);

}  // namespace s2s::cli
