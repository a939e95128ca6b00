#pragma once

#include <soci/soci.h>

#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

// A SELECT put together from optional filters (the storage layers' lists),
// or a write returning rows, with every value bound, never spliced into the
// text, run as a one-time statement. Include it only from a
// storage layer's .cpp: it brings SOCI with it.
namespace s2s::workflow {

class SqlQuery {
 public:
  explicit SqlQuery(std::string_view head) : text_(head) {}

  // Appends `fragment`, binding `values` to its '?' placeholders in order.
  SqlQuery& add(std::string_view fragment, const std::vector<std::string>& values = {}) {
    std::size_t next = 0;
    for (const char c : fragment) {
      if (c != '?') {
        text_ += c;
        continue;
      }
      const std::string name = "p" + std::to_string(count_++);
      text_ += ":" + name;
      values_.set(name, values.at(next++));
    }
    return *this;
  }
  SqlQuery& add(std::string_view fragment, const std::string& value) {
    return add(fragment, std::vector<std::string>{value});
  }

  // Runs the query as a one-time statement and hands each row to `read`,
  // until it returns false if it returns a bool: one round trip on
  // PostgreSQL, where a statement prepared for one use costs three (prepare,
  // execute, deallocate).
  template <class Read>
  void each(soci::session& sql, Read read) {
    soci::row row;
    soci::statement statement(sql);
    statement.exchange(soci::into(row));
    statement.exchange(soci::use(values_));
    statement.alloc();
    statement.prepare(text_, soci::details::st_one_time_query);
    statement.define_and_bind();
    if (!statement.execute(true)) return;
    do {
      const soci::row& current = row;
      if constexpr (std::is_void_v<std::invoke_result_t<Read&, const soci::row&>>) {
        read(current);
      } else if (!read(current)) {
        return;
      }
    } while (statement.fetch());
  }
  // A page of a list: runs the query, whose LIMIT asks for one row more than
  // `limit`, hands each of the first `limit` rows to `read`, and says whether
  // that further row was there (more follow).
  template <class Read>
  [[nodiscard]] bool read_page(soci::session& sql, int limit, Read read) {
    int n = 0;
    bool more = false;
    each(sql, [&](const soci::row& row) {
      if (n++ == limit) {
        more = true;
        return false;
      }
      read(row);
      return true;
    });
    return more;
  }
  [[nodiscard]] const std::string& text() const noexcept { return text_; }

 private:
  std::string text_;
  soci::values values_;
  int count_ = 0;
};

// A LIKE pattern matching `text` anywhere, lower-cased, with its own % and _
// escaped by backslash (use with ESCAPE '\').
[[nodiscard]] inline std::string contains_pattern(std::string_view text) {
  std::string out = "%";
  for (const char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  return out + "%";
}

}  // namespace s2s::workflow
