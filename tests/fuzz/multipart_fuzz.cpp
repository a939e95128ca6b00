// libFuzzer target: multipart/form-data as the admin console's upload reads
// it. The first byte picks the boundary's length; the rest is the body.
// Whatever comes, parsing ends, and every part it gives lies inside the body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "web/multipart.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t length = 1 + data[0] % 70;
  if (size < 1 + length) return 0;
  const std::string_view boundary(reinterpret_cast<const char*>(data + 1), length);
  const std::string_view body(reinterpret_cast<const char*>(data + 1 + length), size - 1 - length);
  (void)s2s::web::multipart_boundary("multipart/form-data; boundary=" + std::string(boundary));
  const auto parts = s2s::web::parse_multipart(body, boundary, 20);
  if (!parts) return 0;
  if (parts->size() > 20) std::abort();
  for (const auto& part : *parts) {
    if (part.name.empty()) std::abort();
    if (part.data.data() < body.data() || part.data.data() + part.data.size() > body.data() + body.size()) std::abort();
  }
  return 0;
}
