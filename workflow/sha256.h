#pragma once

#include <string>
#include <string_view>

namespace s2s::workflow {

// Lower-case hex SHA-256 of `data`. Thread-safe.
[[nodiscard]] std::string sha256_hex(std::string_view data);

}  // namespace s2s::workflow
