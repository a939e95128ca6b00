#pragma once

#include <string>
#include <string_view>

namespace s2s::workflow {

// Lower-case hex SHA-256 of `data`. Thread-safe.
[[nodiscard]] std::string sha256_hex(std::string_view data);

// `prefix` and 32 bytes from the system's secure random source as hex: 256
// bits, unguessable. For tokens, links and sessions. Thread-safe.
[[nodiscard]] std::string random_token(std::string_view prefix);

// Whether two strings are equal, in time that does not depend on where they differ.
[[nodiscard]] bool equal_in_constant_time(std::string_view a, std::string_view b);

}  // namespace s2s::workflow
