#pragma once

#include <span>
#include <string>

namespace s2s::cli {

// Runs s2sd with the words after the program name; returns the exit status:
// 0 success, 1 failure (printed as one line on standard error), 2 usage error.
int run_s2sd(std::span<const std::string> args);

}  // namespace s2s::cli
