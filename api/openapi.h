#pragma once

#include <string_view>

namespace s2s::api {

// api/openapi.yaml as JSON, converted at build time (cmake/yaml_to_json.py).
[[nodiscard]] std::string_view openapi_json() noexcept;

}  // namespace s2s::api
