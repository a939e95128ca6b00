#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "workflow/database.h"

// Schools as the KPIs see them: what GIAS gives (see gias_import.h) and what
// admins add that GIAS lacks.
namespace s2s::cases {

struct School {
  std::int32_t urn = 0;
  std::string name;
  int la_code = 0;
  std::string la_name;
  std::string mini_region;  // empty when the LA maps to none
  std::string phase;
  std::string status;
  std::string trust_code;
  std::string trust_name;
  std::optional<int> ofsted_grade;  // 1 outstanding .. 4 inadequate
  std::string ofsted_date;          // YYYY-MM-DD or empty
  bool ssif_eligible = false;
  bool category_5_6 = false;
  std::string type;         // TypeOfEstablishment (name)
  std::string phase_group;  // one of kPhaseGroups, worked out by the database from phase and type
  // Why it is in need under the criteria in force (need.h), read with it;
  // none when it is not, or when it was not asked for (school_columns_sql).
  std::optional<std::string> need;
};

// The phase groups a lead's scope may be narrowed to (docs/roles.md), as
// schools.phase_group holds them: special schools (of any phase) and
// alternative provision apart, middle schools together.
inline constexpr std::array<std::string_view, 9> kPhaseGroups{
    "nursery", "primary", "middle", "secondary", "all_through", "sixteen_plus", "special", "alternative_provision",
    "other"};
[[nodiscard]] bool is_phase_group(std::string_view text);
// "nursery, primary, ...", for messages.
[[nodiscard]] std::string phase_groups_text();
// A comma-separated list of phase groups ("primary,middle") as its items, in
// order, spaces trimmed; unchecked (see is_phase_group).
[[nodiscard]] std::vector<std::string> phase_list(std::string_view text);

// Why a school is in need under the criteria in force (docs/need.md; by
// default, for a graded judgement, the LTT plan's footnote iii: SSIF-eligible,
// and/or graded requires improvement AND in a Category 5/6 area), as it was
// read; nullopt when it is not.
[[nodiscard]] std::optional<std::string> in_need_because(const School& school);

[[nodiscard]] std::optional<School> find_school(workflow::Database& db, std::int32_t urn);
// The same on a connection the caller holds (a statement kept with it).
[[nodiscard]] std::optional<School> find_school(workflow::Database::Connection& connection, std::int32_t urn);
// The schools with these URNs, by URN (one not in the register is absent), on the caller's connection.
[[nodiscard]] std::map<std::int32_t, School> find_schools(workflow::Database::Connection& connection,
                                                          const std::set<std::int32_t>& urns);
// For reads that join a school to rows of their own: its 16 columns over
// `schools s LEFT JOIN la_mini_regions m ON m.la_code = s.la_code`, and the
// school read back from column `first` on. Without `with_need`, the need's
// column is NULL (School::need nullopt), for a read that does not show it.
[[nodiscard]] std::string school_columns_sql(bool with_need = true);
[[nodiscard]] School school_at(const soci::row& row, std::size_t first);

// A school search: each filter applied when set.
struct SchoolSearch {
  std::optional<std::string> text;         // in the name, any case; a number of up to 8 digits also matches the URN
  std::optional<std::int64_t> la;          // the local authority code
  std::optional<std::string> mini_region;  // the local authority lies in it
  std::optional<std::int64_t> after;       // the last URN of the previous page: the next page follows it
  int limit = 50;
};

struct SchoolPage {
  std::vector<School> items;  // by URN
  bool more = false;          // another page follows the last item
};

// The schools matching `search`, by URN, `search.limit` at most. Every value
// is bound. Reads on its own connection; thread-safe. Throws
// DatabaseUnavailable or DatabaseError.
[[nodiscard]] SchoolPage search_schools(workflow::Database& db, const SchoolSearch& search);

// The mini regions the register knows (la_mini_regions), sorted.
[[nodiscard]] std::vector<std::string> mini_region_names(workflow::Database& db);

// An admin's change to the fields GIAS lacks; unset members stay as they are.
// An Ofsted grade of 0 clears the grade (and a date of "" clears the date).
struct SchoolEdit {
  std::optional<int> ofsted_grade;
  std::optional<std::string> ofsted_date;
  std::optional<bool> ssif_eligible;
  std::optional<bool> category_5_6;
  std::optional<std::string> trust_code;
  std::optional<std::string> trust_name;
};

// Applies the edit in one transaction and returns the school as it now is.
// Throws workflow::Refused (nothing changed) for an unknown URN, a grade outside
// 1-4, a date that does not exist or lies in the future, or an empty edit.
School edit_school(workflow::Database& db, std::int32_t urn, const SchoolEdit& edit, std::chrono::year_month_day today);

}  // namespace s2s::cases
