#include "workflow/audit.h"

#include <soci/soci.h>

#include <algorithm>

#include "workflow/sql_query.h"
#include "workflow/timestamp.h"

namespace s2s::workflow {

void record_audit(Database& db, const AuditAction& action, std::chrono::system_clock::time_point at) {
  const std::string when = format_timestamp(at);
  db.transact([&](soci::session& sql) {
    sql << "INSERT INTO audit_log (recorded_at, actor, action, subject, detail)"
           " VALUES (:at, :actor, :action, :subject, :detail)",
        soci::use(when), soci::use(action.actor), soci::use(action.action), soci::use(action.subject),
        soci::use(action.detail);
  });
}

AuditPage audit_trail(Database& db, const AuditQuery& query) {
  const bool postgres = db.backend() == Backend::postgresql;
  const int offset = std::clamp(query.offset, 0, 10000);
  const int limit = std::clamp(query.limit, 1, 500);
  const std::string each = std::to_string(offset + limit + 1);  // each side's newest, enough for the page
  const std::string stamp = postgres ? "CAST(? AS TIMESTAMPTZ)" : "?";
  const auto filters = [&](SqlQuery& sql, const char* table) {
    const std::string t(table);
    if (query.who) sql.add(" AND lower(" + t + ".actor) LIKE ? ESCAPE '\\'", contains_pattern(*query.who));
    if (query.since) sql.add(" AND " + t + ".recorded_at >= " + stamp, *query.since);
  };
  SqlQuery sql("SELECT source, CAST(recorded AS TEXT), actor, what, subject, detail, from_state, to_state FROM (");
  const bool cases = query.kind != AuditQuery::Kind::administration;
  const bool actions = query.kind != AuditQuery::Kind::case_events;
  if (cases) {
    sql.add(
        "SELECT * FROM (SELECT 'case' AS source, h.recorded_at AS recorded, h.actor AS actor, h.event AS what,"
        " c.reference AS subject, COALESCE(s.name, '') AS detail, COALESCE(h.from_state, '') AS from_state,"
        " h.to_state AS to_state FROM case_history h JOIN cases c ON c.id = h.case_id"
        " LEFT JOIN schools s ON s.urn = c.school_urn WHERE 1 = 1");
    filters(sql, "h");
    sql.add(" ORDER BY h.recorded_at DESC LIMIT " + each + ") e");
  }
  if (cases && actions) sql.add(" UNION ALL ");
  if (actions) {
    sql.add(
        "SELECT * FROM (SELECT 'action' AS source, a.recorded_at AS recorded, a.actor AS actor, a.action AS what,"
        " a.subject AS subject, a.detail AS detail, '' AS from_state, '' AS to_state FROM audit_log a WHERE 1 = 1");
    filters(sql, "a");
    sql.add(" ORDER BY a.recorded_at DESC, a.id DESC LIMIT " + each + ") x");
  }
  sql.add(") t ORDER BY recorded DESC LIMIT " + std::to_string(limit + 1) + " OFFSET " + std::to_string(offset));
  AuditPage page;
  db.read([&](soci::session& session) {
    page.more = sql.read_page(session, limit, [&](const soci::row& r) {
      AuditRow row;
      row.case_event = row_text(r, 0) == "case";
      row.recorded_at = normalize_timestamp(row_text(r, 1));
      row.actor = row_text(r, 2);
      row.what = row_text(r, 3);
      row.subject = row_text(r, 4);
      row.detail = row_text(r, 5);
      row.from_state = row_text(r, 6);
      row.to_state = row_text(r, 7);
      page.rows.push_back(std::move(row));
    });
  });
  return page;
}

}  // namespace s2s::workflow
