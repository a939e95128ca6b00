#include "cases/case_list.h"

#include <soci/soci.h>

#include "cases/deployments.h"
#include "workflow/sql_query.h"
#include "workflow/text.h"
#include "workflow/timestamp.h"

namespace s2s::cases {

CasePage list_cases(workflow::Database& db, const workflow::Actor& actor, const CaseFilter& filter) {
  const bool postgres = db.backend() == workflow::Backend::postgresql;
  workflow::SqlQuery sql(
      "SELECT c.id, c.kind, c.reference, c.school_urn, s.name, c.state, c.phase, c.version,"
      " CAST(c.opened_on AS TEXT), CAST(c.opened_at AS TEXT), CAST(c.closed_at AS TEXT), CAST(c.updated_at AS TEXT),"
      " CASE WHEN EXISTS (SELECT 1 FROM deadlines d WHERE d.case_id = c.id AND d.status = 'overdue')"
      " THEN 1 ELSE 0 END,"
      " (SELECT CAST(h.occurred_on AS TEXT) FROM case_history h WHERE h.case_id = c.id AND h.timer_id IS NULL"
      " ORDER BY h.sequence DESC LIMIT 1)"
      " FROM cases c LEFT JOIN schools s ON s.urn = c.school_urn WHERE c.id IN ("
      // The page's ids first, from the indexes alone where the filters allow
      // (cases_school_filters_id, schools_la_urn); then only their rows.
      "SELECT c.id FROM cases c LEFT JOIN schools s ON s.urn = c.school_urn WHERE ");
  add_scope_condition(sql, actor);
  if (filter.kind) sql.add(" AND c.kind = ?", *filter.kind);
  if (filter.state) sql.add(" AND c.state = ?", *filter.state);
  if (filter.phase) sql.add(" AND c.phase = ?", *filter.phase);
  if (filter.school_urn) sql.add(" AND c.school_urn = CAST(? AS INTEGER)", std::to_string(*filter.school_urn));
  if (filter.mini_region) {
    sql.add(" AND s.la_code IN (SELECT la_code FROM la_mini_regions WHERE mini_region = ?)", *filter.mini_region);
  }
  if (filter.la) sql.add(" AND s.la_code = CAST(? AS INTEGER)", std::to_string(*filter.la));
  if (filter.overdue) {
    sql.add(*filter.overdue ? " AND EXISTS" : " AND NOT EXISTS");
    sql.add(" (SELECT 1 FROM deadlines d WHERE d.case_id = c.id AND d.status = 'overdue')");
  }
  if (filter.text) {
    const std::string pattern = workflow::contains_pattern(*filter.text);
    sql.add(postgres ? " AND (lower(c.reference) LIKE ? ESCAPE '\\' OR lower(s.name) LIKE ? ESCAPE '\\'"
                       " OR lower(c.data->>'summary') LIKE ? ESCAPE '\\')"
                     : " AND (lower(c.reference) LIKE ? ESCAPE '\\' OR lower(s.name) LIKE ? ESCAPE '\\'"
                       " OR lower(json_extract(c.data, '$.summary')) LIKE ? ESCAPE '\\')",
            {pattern, pattern, pattern});
  }
  if (filter.references) {
    if (filter.references->empty() || filter.references->size() > 200) {
      sql.add(" AND 1 = 0");
    } else {
      std::string marks;
      for (std::size_t i = 0; i < filter.references->size(); ++i) marks += i == 0 ? "?" : ", ?";
      sql.add(" AND c.reference IN (" + marks + ")", *filter.references);
    }
  }
  if (filter.after) sql.add(" AND c.id < CAST(? AS BIGINT)", std::to_string(*filter.after));
  // The limit is ours, an integer: one more row than asked says whether more follow.
  sql.add(" ORDER BY c.id DESC LIMIT " + std::to_string(filter.limit + 1) + ") ORDER BY c.id DESC");

  CasePage page;
  auto connection = db.acquire();
  try {
    page.more = sql.read_page(connection.session(), filter.limit, [&](const soci::row& row) {
      ListedCase item;
      item.id = workflow::row_integer(row, 0);
      item.kind = workflow::row_text(row, 1);
      item.reference = workflow::row_text(row, 2);
      item.school_urn = workflow::row_integer(row, 3);
      if (std::string school = workflow::row_text(row, 4); !school.empty()) item.school_name = std::move(school);
      item.state = workflow::row_text(row, 5);
      item.phase = workflow::row_text(row, 6);
      item.version = static_cast<int>(workflow::row_integer(row, 7));
      item.opened_on = workflow::row_text(row, 8);
      item.opened_at = workflow::normalize_timestamp(workflow::row_text(row, 9));
      if (const std::string closed = workflow::row_text(row, 10); !closed.empty()) {
        item.closed_at = workflow::normalize_timestamp(closed);
      }
      item.updated_at = workflow::normalize_timestamp(workflow::row_text(row, 11));
      item.overdue = workflow::row_integer(row, 12) != 0;
      item.changed_on = workflow::row_text(row, 13);
      page.items.push_back(std::move(item));
    });
  } catch (...) {
    connection.rethrow_translated();
  }
  return page;
}

namespace {

// One CSV field: quoted when it holds a comma, quote or line end; a text a
// spreadsheet would take for a formula starts with an apostrophe.
std::string csv_text(const std::string& text) {
  std::string value = text;
  if (!value.empty() && (value[0] == '=' || value[0] == '+' || value[0] == '-' || value[0] == '@' ||
                         value[0] == '\t' || value[0] == '\r')) {
    value.insert(0, "'");
  }
  return workflow::csv_quote(value);
}

}  // namespace

std::string case_list_csv(workflow::Database& db, const workflow::Actor& actor, CaseFilter filter, int most) {
  std::string out = "\xEF\xBB\xBFreference,kind,school_urn,school,state,phase,opened_on,last_event_on,overdue\r\n";
  filter.after.reset();
  filter.limit = 500;
  int written = 0;
  while (written < most) {
    const auto page = list_cases(db, actor, filter);
    for (const auto& c : page.items) {
      if (written == most) break;
      out += csv_text(c.reference) + "," + csv_text(c.kind) + "," + std::to_string(c.school_urn) + "," +
             csv_text(c.school_name.value_or("")) + "," + csv_text(c.state) + "," + csv_text(c.phase) + "," +
             csv_text(c.opened_on) + "," + csv_text(c.changed_on) + "," + (c.overdue ? "yes" : "no") + "\r\n";
      ++written;
    }
    if (!page.more || page.items.empty()) break;
    filter.after = page.items.back().id;
  }
  return out;
}

std::optional<workflow::Case> find_visible_case(workflow::Engine& engine, const workflow::Actor& actor,
                                                std::string_view id_or_reference) {
  auto found = engine.lookup(id_or_reference);
  if (!found) return std::nullopt;
  const auto& check = engine.kinds().scope_check();
  if (check) {
    const workflow::CaseSnapshot snapshot{found->id,    found->kind,    found->reference, found->school_urn,
                                          found->state, found->version, found->opened_on};
    auto connection = engine.database().acquire();
    std::optional<std::string> refusal;
    try {
      refusal = check(connection, actor, snapshot);
    } catch (...) {
      connection.rethrow_translated();
    }
    if (refusal) return std::nullopt;
  }
  return found;
}

std::optional<VisibleCase> find_visible_case_with_school(workflow::Engine& engine, const workflow::Actor& actor,
                                                         std::string_view id_or_reference) {
  auto found = engine.lookup(id_or_reference);
  if (!found) return std::nullopt;
  auto connection = engine.database().acquire();
  try {
    auto school = find_school(connection, found->school_urn);
    VisibleCase out{std::move(*found), std::move(school)};
    const workflow::CaseSnapshot snapshot{out.c.id,    out.c.kind,    out.c.reference, out.c.school_urn,
                                          out.c.state, out.c.version, out.c.opened_on};
    if (scope_refusal_given_school(connection, actor, snapshot, out.school)) return std::nullopt;
    return out;
  } catch (...) {
    connection.rethrow_translated();
  }
}

std::optional<std::pair<std::string, std::string>> referral_link_problem(workflow::Engine& engine,
                                                                        const workflow::Actor& actor,
                                                                        const boost::json::object& data) {
  std::optional<workflow::Case> linked;
  if (const auto* value = data.if_contains("linked_case"); value != nullptr && value->is_string()) {
    const std::string reference(value->get_string());
    linked = find_visible_case(engine, actor, reference);
    if (!linked) return std::pair{std::string("linked_case"), "there is no case " + reference + " that you can see"};
  }
  if (const auto* source = data.if_contains("source");
      source != nullptr && source->is_string() && source->get_string() == "risk_assessment" &&
      (!linked || linked->kind != "risk_assessment")) {
    return std::pair{std::string("source"),
                     std::string("a referral a risk assessment recommended names that assessment in linked_case")};
  }
  return std::nullopt;
}

std::vector<const workflow::EventInfo*> actions_for(const workflow::Engine& engine, const workflow::Case& c,
                                                    std::string_view role) {
  return actions_for(engine.kinds(), c.kind, c.state, role);
}

std::vector<const workflow::EventInfo*> actions_for(const workflow::KindRegistry& kinds, std::string_view kind_name,
                                                    std::string_view state, std::string_view role) {
  std::vector<const workflow::EventInfo*> out;
  const workflow::CaseKind* kind = kinds.find(kind_name);
  if (kind == nullptr) return out;
  for (const auto name : kind->allowed_events(state)) {
    const workflow::EventInfo* info = kind->find_event(name);
    if (info != nullptr && workflow::names_role(info->who, role)) out.push_back(info);
  }
  return out;
}

}  // namespace s2s::cases
