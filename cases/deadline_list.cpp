#include "cases/deadline_list.h"

#include <soci/soci.h>

#include <map>
#include <string_view>

#include "cases/deployments.h"
#include "cases/providers.h"
#include "workflow/date.h"
#include "workflow/sql_query.h"

namespace s2s::cases {
namespace {

using workflow::row_integer;
using workflow::row_text;

// A field of the case's data as SQL: the provider ids are all the list needs of it.
std::string data_field(workflow::Backend backend, std::string_view name) {
  return backend == workflow::Backend::postgresql ? "c.data->>'" + std::string(name) + "'"
                                                  : "json_extract(c.data, '$." + std::string(name) + "')";
}

std::string_view owner_role(const workflow::KindRegistry& kinds, const std::string& kind, const std::string& purpose) {
  const auto* k = kinds.find(kind);
  const auto* spec = k != nullptr ? k->find_deadline(purpose) : nullptr;
  return spec != nullptr && !spec->owner.empty() ? spec->owner : std::string_view("lead");
}

}  // namespace

DeadlinePage list_deadlines(workflow::Database& db, const workflow::KindRegistry& kinds,
                            const workflow::Calendar& calendar, const workflow::Actor& actor,
                            std::chrono::year_month_day today, const DeadlineFilter& filter) {
  DeadlinePage page;
  {
    auto connection = db.acquire();
    const auto backend = connection.backend();
    workflow::SqlQuery sql(
        "SELECT d.id, d.case_id, c.reference, c.kind, c.state, d.purpose, CAST(d.due_on AS TEXT), d.status,"
        " s.name, " +
        data_field(backend, "deployed_provider_id") + ", " + data_field(backend, "provider_id") +
        " FROM deadlines d JOIN cases c ON c.id = d.case_id LEFT JOIN schools s ON s.urn = c.school_urn"
        " WHERE d.status IN ('open', 'overdue') AND ");
    add_scope_condition(sql, actor);
    if (filter.status) sql.add(" AND d.status = ?", {*filter.status});
    if (filter.due_by) sql.add(" AND d.due_on <= ?", {workflow::format_date(*filter.due_by)});
    if (filter.after) {
      // The page after a deadline follows it in the list's order, wherever it
      // stands now: a deadline settled since still has its due day and case.
      sql.add(
          " AND (d.due_on, c.reference, d.id) > (SELECT a.due_on, ac.reference, a.id FROM deadlines a"
          " JOIN cases ac ON ac.id = a.case_id WHERE a.id = CAST(? AS BIGINT))",
          {std::to_string(*filter.after)});
    }
    sql.add(" ORDER BY d.due_on, c.reference, d.id LIMIT " + std::to_string(filter.limit + 1));
    try {
      page.more = sql.read_page(connection.session(), filter.limit, [&](const soci::row& row) {
        ListedDeadline d;
        d.id = row_integer(row, 0);
        d.case_id = row_integer(row, 1);
        d.reference = row_text(row, 2);
        d.kind = row_text(row, 3);
        d.state = row_text(row, 4);
        d.purpose = row_text(row, 5);
        d.due_on = workflow::parse_date(row_text(row, 6)).value();  // a DATE column: always a date
        d.status = row_text(row, 7);
        d.school_name = row_text(row, 8);
        d.owner.role = owner_role(kinds, d.kind, d.purpose);
        if (d.owner.role == "system_leader") {
          for (const std::size_t column : {9u, 10u}) {
            if (row.get_indicator(column) != soci::i_null) {
              d.owner.system_leader_id = row_integer(row, column);
              break;
            }
          }
        } else if (d.owner.role == "school") {
          d.owner.name = d.school_name;
        }
        if (today <= d.due_on) {
          d.working_days_left = calendar.working_days_between(today, d.due_on);
        } else {
          d.working_days_late = calendar.working_days_between(d.due_on, today);
        }
        page.items.push_back(std::move(d));
      });
    } catch (...) {
      connection.rethrow_translated();
    }
  }
  // Names once the list's connection is back in the pool, once per person.
  std::map<std::int64_t, std::string> names;
  for (auto& d : page.items) {
    if (!d.owner.system_leader_id) continue;
    const auto id = *d.owner.system_leader_id;
    auto known = names.find(id);
    if (known == names.end()) {
      const auto leader = find_system_leader(db, id);
      known = names.emplace(id, leader ? leader->name : std::string()).first;
    }
    d.owner.name = known->second;
  }
  return page;
}

}  // namespace s2s::cases
