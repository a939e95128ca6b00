#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// multipart/form-data (RFC 7578), as a browser sends a form with a file: the
// GIAS upload. Parts are views into the body, which must outlive them.
namespace s2s::web {

struct MultipartPart {
  std::string name;                    // the form field's name
  std::optional<std::string> filename;  // set for a file (maybe empty: no file chosen)
  std::string content_type;            // the part's own, "" when not given
  std::string_view data;
};

// The boundary of a multipart/form-data Content-Type, or nullopt when the
// type is not multipart/form-data or has no usable boundary (1-70 characters).
[[nodiscard]] std::optional<std::string> multipart_boundary(std::string_view content_type);

// The parts of `body`, in order; nullopt when it is not well formed (a
// missing boundary or closing delimiter, a part without Content-Disposition
// form-data and a name, headers past 8 KiB) or has more than `most_parts`.
[[nodiscard]] std::optional<std::vector<MultipartPart>> parse_multipart(std::string_view body, std::string_view boundary,
                                                                        std::size_t most_parts = 50);

}  // namespace s2s::web
