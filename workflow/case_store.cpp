#include "workflow/case_store.h"

#include <soci/soci.h>

#include <algorithm>
#include <array>
#include <tuple>

#include "workflow/sql_query.h"
#include "workflow/timestamp.h"

namespace s2s::workflow {
namespace {

soci::indicator indicator_for(const std::optional<std::string>& value) { return value ? soci::i_ok : soci::i_null; }

std::optional<std::string> optional_text(const std::string& value, soci::indicator ind) {
  if (ind == soci::i_null) return std::nullopt;
  return value;
}

std::optional<std::string> row_optional_text(const soci::row& row, std::size_t column) {
  if (row.get_indicator(column) == soci::i_null) return std::nullopt;
  return row_text(row, column);
}

const std::string kCaseColumns =
    "SELECT " + case_columns_sql("cases") +
    ", CASE WHEN EXISTS (SELECT 1 FROM deadlines d WHERE d.case_id = cases.id AND d.status = 'overdue')"
    " THEN 1 ELSE 0 END FROM cases";

// A row's columns by index, whichever driver read it.
struct SociColumns {
  const soci::row& row;
  [[nodiscard]] std::string text(std::size_t i) const { return row_text(row, i); }
  [[nodiscard]] long long integer(std::size_t i) const { return row_integer(row, i); }
  [[nodiscard]] std::optional<std::string> optional_text(std::size_t i) const { return row_optional_text(row, i); }
};

struct PgColumns {
  const PgRows& rows;
  int row = 0;  // the first, unless told
  [[nodiscard]] std::string text(std::size_t i) const { return rows.text(row, static_cast<int>(i)); }
  [[nodiscard]] long long integer(std::size_t i) const { return rows.integer(row, static_cast<int>(i)); }
  [[nodiscard]] std::optional<std::string> optional_text(std::size_t i) const {
    if (rows.is_null(row, static_cast<int>(i))) return std::nullopt;
    return text(i);
  }
};

// The columns of case_columns_sql, from `first` on.
template <class Columns>
CaseRow read_case_columns(const Columns& columns, std::size_t first) {
  CaseRow out;
  out.id = columns.integer(first);
  out.kind = columns.text(first + 1);
  out.reference = columns.text(first + 2);
  out.school_urn = static_cast<std::int32_t>(columns.integer(first + 3));
  out.state = columns.text(first + 4);
  out.phase = columns.text(first + 5);
  out.version = static_cast<int>(columns.integer(first + 6));
  out.data = columns.text(first + 7);
  out.opened_on = columns.text(first + 8);
  out.opened_at = normalize_timestamp(columns.text(first + 9));
  if (const auto closed = columns.optional_text(first + 10)) out.closed_at = normalize_timestamp(*closed);
  out.updated_at = normalize_timestamp(columns.text(first + 11));
  return out;
}

// An event's statements on PostgreSQL, straight through libpq: the locked
// read carries the transaction's BEGIN, and the history row goes with its
// COMMIT (docs/architecture.md, "Storage").
const PgStatement kCaseLocked{"s2s_case_locked", kCaseColumns + " WHERE id = $1 FOR UPDATE OF cases"};
const PgStatement kCaseUpdate{"s2s_case_update",
                              "UPDATE cases SET state = $1, phase = $2, version = version + 1, data = $3,"
                              " updated_at = $4, closed_at = $5 WHERE id = $6 AND version = $7 RETURNING version"};
const PgStatement kHistoryInsert{"s2s_history_insert",
                                 "INSERT INTO case_history (case_id, sequence, event, from_state, to_state, actor,"
                                 " occurred_on, recorded_at, payload, timer_id)"
                                 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"};

// A batch of timers fired together on PostgreSQL (Engine::fire_due_timers):
// the take carries the transaction's BEGIN, the bump reads the cases back,
// and the last three writes go with the COMMIT, each row of them an element
// of an array parameter.
// The due timers a round fires (CaseStore::take_due_timers and
// claim_due_timers): pending, due by `today`, their lease free or run out by
// `now`, the first `limit` in the order they fell due; on PostgreSQL, those
// no other transaction has locked. Each argument is the placeholder that
// stands for it.
std::string due_timers_sql(std::string_view today, std::string_view now, std::string_view limit,
                           Backend backend) {
  return "SELECT id FROM timers WHERE status = 'pending' AND fire_on <= " + std::string(today) +
         " AND (lease_expires_at IS NULL OR lease_expires_at < " + std::string(now) + ") ORDER BY fire_on, id LIMIT " +
         std::string(limit) + (backend == Backend::postgresql ? " FOR UPDATE SKIP LOCKED" : "");
}

const PgStatement kTimersTake{
    "s2s_timers_take",
    "UPDATE timers SET status = 'fired', fired_at = $1, lease_owner = NULL, lease_expires_at = NULL,"
    " attempts = timers.attempts + 1 FROM deadlines d WHERE d.id = timers.deadline_id AND timers.id IN (" +
        due_timers_sql("$2", "$1", "$3", Backend::postgresql) +
        ") RETURNING timers.id, timers.case_id, timers.deadline_id, timers.event, CAST(timers.fire_on AS TEXT),"
        " timers.attempts, d.purpose, CAST(d.due_on AS TEXT)"};
const PgStatement kVersionsBump{
    "s2s_versions_bump",
    "UPDATE cases SET version = cases.version + n.step, updated_at = $3"
    " FROM unnest(CAST($1 AS bigint[]), CAST($2 AS integer[])) AS n(id, step) WHERE cases.id = n.id"
    " RETURNING cases.id, cases.version, cases.kind, cases.reference, cases.school_urn, cases.state, cases.phase"};
const PgStatement kDeadlinesOverdue{
    "s2s_deadlines_overdue",
    "UPDATE deadlines SET status = 'overdue', settled_on = NULL WHERE id = ANY (CAST($1 AS bigint[]))"};
const PgStatement kHistoryRows{
    "s2s_history_rows",
    "INSERT INTO case_history (case_id, sequence, event, from_state, to_state, actor, occurred_on, recorded_at,"
    " payload, timer_id) SELECT * FROM unnest(CAST($1 AS bigint[]), CAST($2 AS integer[]), CAST($3 AS text[]),"
    " CAST($4 AS text[]), CAST($5 AS text[]), CAST($6 AS text[]), CAST($7 AS date[]), CAST($8 AS timestamptz[]),"
    " CAST($9 AS jsonb[]), CAST($10 AS bigint[]))"};
const PgStatement kOutboxRows{
    "s2s_outbox_rows",
    "INSERT INTO outbox (case_id, message, payload, status, next_attempt_at, created_at)"
    " SELECT v.case_id, v.message, v.payload, 'pending', $4, $4"
    " FROM unnest(CAST($1 AS bigint[]), CAST($2 AS text[]), CAST($3 AS jsonb[])) AS v(case_id, message, payload)"};

// A case as kCaseColumns reads it, from libpq's text (case_row_at reads SOCI's).
CaseRow case_row_of(const PgRows& rows) {
  CaseRow row = read_case_columns(PgColumns{rows}, 0);
  row.overdue = rows.integer(0, 12) != 0;
  return row;
}

PgParam optional_param(const std::optional<std::string>& value) { return value ? PgParam(*value) : std::nullopt; }

const std::string kDeadlineColumns = "SELECT " + deadline_columns_sql("deadlines") + " FROM deadlines";

// Deadlines selected by kDeadlineColumns + `where`, which binds :id to `key`
// when given. First as a one-time bulk query (one round trip on PostgreSQL,
// where a prepared statement costs three); only a result that fills the first
// chunk is read again in full through a prepared statement.
std::vector<DeadlineRow> read_deadlines(soci::session& sql, const std::string& where, std::optional<long long> key) {
  constexpr std::size_t kChunk = 64;
  std::vector<long long> ids(kChunk);
  std::vector<long long> case_ids(kChunk);
  std::vector<std::string> purposes(kChunk);
  std::vector<std::string> states(kChunk);
  std::vector<std::string> due(kChunk);
  std::vector<std::string> computations(kChunk);
  std::vector<std::string> statuses(kChunk);
  std::vector<std::string> settled(kChunk);
  std::vector<soci::indicator> settled_ind(kChunk);
  long long bound = key.value_or(0);
  const std::string query = kDeadlineColumns + " " + where;
  std::vector<DeadlineRow> out;
  const auto collect = [&] {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      out.push_back(DeadlineRow{ids[i], case_ids[i], purposes[i], states[i], due[i], computations[i], statuses[i],
                                optional_text(settled[i], settled_ind[i])});
    }
  };
  const auto resize = [&] {
    for (auto* v : {&ids, &case_ids}) v->resize(kChunk);
    for (auto* v : {&purposes, &states, &due, &computations, &statuses, &settled}) v->resize(kChunk);
    settled_ind.resize(kChunk);
  };
  if (key) {
    sql << query, soci::use(bound), soci::into(ids), soci::into(case_ids), soci::into(purposes), soci::into(states),
        soci::into(due), soci::into(computations), soci::into(statuses), soci::into(settled, settled_ind);
  } else {
    sql << query, soci::into(ids), soci::into(case_ids), soci::into(purposes), soci::into(states), soci::into(due),
        soci::into(computations), soci::into(statuses), soci::into(settled, settled_ind);
  }
  if (!sql.got_data()) return out;
  if (ids.size() < kChunk) {
    collect();
    return out;
  }
  resize();
  soci::statement st =
      key ? (sql.prepare << query, soci::use(bound), soci::into(ids), soci::into(case_ids), soci::into(purposes),
             soci::into(states), soci::into(due), soci::into(computations), soci::into(statuses),
             soci::into(settled, settled_ind))
          : (sql.prepare << query, soci::into(ids), soci::into(case_ids), soci::into(purposes), soci::into(states),
             soci::into(due), soci::into(computations), soci::into(statuses), soci::into(settled, settled_ind));
  for (bool more = st.execute(true); more || !ids.empty();) {
    collect();
    if (!more) break;
    resize();
    more = st.fetch();
  }
  return out;
}

}  // namespace

std::string case_columns_sql(std::string_view table) {
  const std::string t(table);
  return t + ".id, " + t + ".kind, " + t + ".reference, " + t + ".school_urn, " + t + ".state, " + t + ".phase, " +
         t + ".version, CAST(" + t + ".data AS TEXT), CAST(" + t + ".opened_on AS TEXT), CAST(" + t +
         ".opened_at AS TEXT), CAST(" + t + ".closed_at AS TEXT), CAST(" + t + ".updated_at AS TEXT)";
}

CaseRow case_row_at(const soci::row& row, std::size_t first) { return read_case_columns(SociColumns{row}, first); }

std::string deadline_columns_sql(std::string_view table) {
  const std::string t(table);
  return t + ".id, " + t + ".case_id, " + t + ".purpose, " + t + ".armed_in_state, CAST(" + t +
         ".due_on AS TEXT), CAST(" + t + ".computation AS TEXT), " + t + ".status, CAST(" + t +
         ".settled_on AS TEXT)";
}

std::optional<DeadlineRow> deadline_row_at(const soci::row& row, std::size_t first) {
  if (row.get_indicator(first) == soci::i_null) return std::nullopt;
  return DeadlineRow{row_integer(row, first),      row_integer(row, first + 1), row_text(row, first + 2),
                     row_text(row, first + 3),     row_text(row, first + 4),    row_text(row, first + 5),
                     row_text(row, first + 6),     row_optional_text(row, first + 7)};
}

std::string history_columns_sql(std::string_view table) {
  const std::string t(table);
  return t + ".sequence, " + t + ".event, " + t + ".from_state, " + t + ".to_state, " + t + ".actor, CAST(" + t +
         ".occurred_on AS TEXT), CAST(" + t + ".recorded_at AS TEXT), CAST(" + t + ".payload AS TEXT), " + t +
         ".timer_id";
}

std::optional<HistoryRow> history_row_at(const soci::row& row, std::size_t first) {
  if (row.get_indicator(first) == soci::i_null) return std::nullopt;
  HistoryRow out;
  out.sequence = static_cast<int>(row_integer(row, first));
  out.event = row_text(row, first + 1);
  out.from_state = row_optional_text(row, first + 2);
  out.to_state = row_text(row, first + 3);
  out.actor = row_text(row, first + 4);
  out.occurred_on = row_text(row, first + 5);
  out.recorded_at = normalize_timestamp(row_text(row, first + 6));
  out.payload = row_text(row, first + 7);
  if (row.get_indicator(first + 8) != soci::i_null) out.timer_id = row_integer(row, first + 8);
  return out;
}

// The per-event statements, prepared once per connection. Each binds to the
// members above it, which callers fill before executing. On PostgreSQL an
// event's locked read, update and history row go through libpq instead
// (kCaseLocked, kCaseUpdate, kHistoryInsert).
struct CaseStore::HotStatements {
  HotStatements(soci::session& sql, Backend backend)
      : load(prepare_load(sql)),
        load_by_reference((sql.prepare << kCaseColumns + " WHERE reference = :reference", soci::use(l_reference),
                           soci::into(l_id), soci::into(l.kind), soci::into(l.reference), soci::into(l_urn),
                           soci::into(l.state), soci::into(l.phase), soci::into(l.version), soci::into(l.data),
                           soci::into(l.opened_on), soci::into(l.opened_at), soci::into(l_closed, l_closed_ind),
                           soci::into(l.updated_at), soci::into(l_overdue))),
        history_read((sql.prepare << "SELECT " + history_columns_sql("case_history") +
                                         " FROM case_history WHERE case_id = :id ORDER BY sequence",
                      soci::use(r_key), soci::into(r.sequence), soci::into(r.event), soci::into(r_from, r_from_ind),
                      soci::into(r.to_state), soci::into(r.actor), soci::into(r.occurred_on), soci::into(r.recorded_at),
                      soci::into(r.payload), soci::into(r_timer, r_timer_ind))),
        bump((sql.prepare << "UPDATE cases SET version = version + 1, updated_at = :updated_at WHERE id = :id"
                             " RETURNING version, kind, reference, school_urn, state, phase",
              soci::use(b_updated_at), soci::use(b_id), soci::into(b.version), soci::into(b.kind),
              soci::into(b.reference), soci::into(b_urn), soci::into(b.state), soci::into(b.phase))),
        mark_fired((sql.prepare << "UPDATE timers SET status = 'fired', fired_at = :now, lease_owner = NULL,"
                                   " lease_expires_at = NULL WHERE id = :id AND status = 'pending'"
                                   " AND lease_owner = :owner RETURNING id",
                    soci::use(m_now), soci::use(m_id), soci::use(m_owner), soci::into(m_returned))),
        deadline_status(
            (sql.prepare << "UPDATE deadlines SET status = :status, settled_on = :settled_on WHERE id = :id",
             soci::use(d_status), soci::use(d_settled, d_settled_ind), soci::use(d_id))),
        outbox((sql.prepare << "INSERT INTO outbox (case_id, message, payload, status, next_attempt_at, created_at)"
                               " VALUES (:case_id, :message, :payload, 'pending', :next_attempt_at, :created_at)",
                soci::use(o_case, o_case_ind), soci::use(o_message), soci::use(o_payload), soci::use(o_now),
                soci::use(o_now))) {
    if (backend == Backend::postgresql) return;
    update.emplace((sql.prepare << "UPDATE cases SET state = :state, phase = :phase, version = version + 1,"
                                   " data = :data, updated_at = :updated_at, closed_at = :closed_at"
                                   " WHERE id = :id AND version = :version RETURNING version",
                    soci::use(u_state), soci::use(u_phase), soci::use(u_data), soci::use(u_updated_at),
                    soci::use(u_closed, u_closed_ind), soci::use(u_id), soci::use(u_version), soci::into(u_returned)));
    history.emplace((sql.prepare << "INSERT INTO case_history (case_id, sequence, event, from_state, to_state, actor,"
                                    " occurred_on, recorded_at, payload, timer_id) VALUES (:case_id, :sequence,"
                                    " :event, :from_state, :to_state, :actor, :occurred_on, :recorded_at, :payload,"
                                    " :timer_id)",
                     soci::use(h_case), soci::use(h.sequence), soci::use(h.event), soci::use(h_from, h_from_ind),
                     soci::use(h.to_state), soci::use(h.actor), soci::use(h.occurred_on), soci::use(h.recorded_at),
                     soci::use(h.payload), soci::use(h_timer, h_timer_ind)));
  }

  soci::statement prepare_load(soci::session& sql) {
    return (sql.prepare << kCaseColumns + " WHERE id = :id", soci::use(l_key), soci::into(l_id), soci::into(l.kind),
            soci::into(l.reference), soci::into(l_urn), soci::into(l.state), soci::into(l.phase), soci::into(l.version),
            soci::into(l.data), soci::into(l.opened_on), soci::into(l.opened_at), soci::into(l_closed, l_closed_ind),
            soci::into(l.updated_at), soci::into(l_overdue));
  }

  // history
  long long r_key = 0;
  HistoryRow r;
  std::string r_from;
  soci::indicator r_from_ind = soci::i_ok;
  long long r_timer = 0;
  soci::indicator r_timer_ind = soci::i_ok;

  // load_case, load_case_by_reference
  long long l_key = 0;
  std::string l_reference;
  CaseRow l;
  long long l_id = 0;
  int l_urn = 0;
  std::string l_closed;
  soci::indicator l_closed_ind = soci::i_ok;
  int l_overdue = 0;
  // update_case
  std::string u_state, u_phase, u_data, u_updated_at, u_closed;
  soci::indicator u_closed_ind = soci::i_ok;
  long long u_id = 0;
  int u_version = 0;
  int u_returned = 0;
  // insert_history
  long long h_case = 0;
  HistoryRow h;
  std::string h_from;
  soci::indicator h_from_ind = soci::i_ok;
  long long h_timer = 0;
  soci::indicator h_timer_ind = soci::i_ok;
  // bump_version
  std::string b_updated_at;
  long long b_id = 0;
  CaseRow b;
  int b_urn = 0;
  // mark_timer_fired
  std::string m_now, m_owner;
  long long m_id = 0;
  long long m_returned = 0;
  // set_deadline_status
  std::string d_status, d_settled;
  soci::indicator d_settled_ind = soci::i_ok;
  long long d_id = 0;
  // insert_outbox
  long long o_case = 0;
  soci::indicator o_case_ind = soci::i_ok;
  std::string o_message, o_payload, o_now;

  soci::statement load;
  soci::statement load_by_reference;
  soci::statement history_read;
  std::optional<soci::statement> update;   // SQLite's; PostgreSQL's is kCaseUpdate
  std::optional<soci::statement> history;  // SQLite's; PostgreSQL's is kHistoryInsert
  soci::statement bump;
  soci::statement mark_fired;
  soci::statement deadline_status;
  soci::statement outbox;
};

CaseStore::CaseStore(Database::Connection& connection) : connection_(connection), backend_(connection.backend()) {}

CaseStore::HotStatements& CaseStore::hot() {
  return connection_.local<HotStatements>(
      [this](soci::session& sql) { return std::make_unique<HotStatements>(sql, backend_); });
}

std::optional<CaseRow> CaseStore::load_case(std::int64_t id, bool for_update) {
  if (for_update && backend_ == Backend::postgresql) {
    const PgRows rows = connection_.run(kCaseLocked, {std::to_string(id)});
    if (rows.size() == 0) return std::nullopt;
    return case_row_of(rows);
  }
  HotStatements& st = hot();
  st.l_key = id;
  // for_update on SQLite: its writer holds the lock already (BEGIN IMMEDIATE).
  if (!execute_once(st.load, backend_)) return std::nullopt;
  return loaded_row(st);
}

std::optional<CaseRow> CaseStore::load_case_by_reference(const std::string& reference) {
  HotStatements& st = hot();
  st.l_reference = reference;
  if (!execute_once(st.load_by_reference, backend_)) return std::nullopt;
  return loaded_row(st);
}

CaseRow CaseStore::loaded_row(HotStatements& st) {
  CaseRow row = st.l;
  row.id = st.l_id;
  row.school_urn = st.l_urn;
  row.opened_at = normalize_timestamp(row.opened_at);
  row.updated_at = normalize_timestamp(row.updated_at);
  if (st.l_closed_ind != soci::i_null) row.closed_at = normalize_timestamp(st.l_closed);
  row.overdue = st.l_overdue != 0;
  return row;
}

int CaseStore::next_reference_number(std::string_view prefix, int year) {
  const std::string p(prefix);
  int number = 0;
  sql() << "INSERT INTO case_references (prefix, year, last_number) VALUES (:p, :y, 1)"
           " ON CONFLICT (prefix, year) DO UPDATE SET last_number = case_references.last_number + 1"
           " RETURNING last_number",
      soci::use(p), soci::use(year), soci::into(number);
  return number;
}

std::int64_t CaseStore::insert_case(const CaseRow& row) {
  long long id = 0;
  const int urn = row.school_urn;
  sql() << "INSERT INTO cases (kind, reference, school_urn, state, phase, version, data, opened_on, opened_at,"
           " updated_at) VALUES (:kind, :reference, :urn, :state, :phase, 1, :data, :opened_on, :opened_at,"
           " :updated_at) RETURNING id",
      soci::use(row.kind), soci::use(row.reference), soci::use(urn), soci::use(row.state), soci::use(row.phase),
      soci::use(row.data), soci::use(row.opened_on), soci::use(row.opened_at), soci::use(row.updated_at),
      soci::into(id);
  return id;
}

bool CaseStore::update_case(std::int64_t id, int expected_version, const std::string& state, const std::string& phase,
                            const std::string& data, const std::string& updated_at,
                            const std::optional<std::string>& closed_at) {
  if (backend_ == Backend::postgresql) {
    // RETURNING tells whether the version still matched: no row, someone moved first.
    return connection_
               .run(kCaseUpdate, {state, phase, data, updated_at, optional_param(closed_at), std::to_string(id),
                                  std::to_string(expected_version)})
               .size() == 1;
  }
  HotStatements& st = hot();
  st.u_state = state;
  st.u_phase = phase;
  st.u_data = data;
  st.u_updated_at = updated_at;
  st.u_closed = closed_at.value_or("");
  st.u_closed_ind = indicator_for(closed_at);
  st.u_id = id;
  st.u_version = expected_version;
  // RETURNING tells whether the version still matched: no row, someone moved first.
  return execute_once(*st.update, backend_);
}

std::optional<CaseRow> CaseStore::bump_version(std::int64_t id, const std::string& updated_at) {
  HotStatements& st = hot();
  st.b_updated_at = updated_at;
  st.b_id = id;
  if (!execute_once(st.bump, backend_)) return std::nullopt;
  CaseRow row = st.b;
  row.id = id;
  row.school_urn = st.b_urn;
  return row;
}

void CaseStore::insert_history(std::int64_t case_id, const HistoryRow& row) {
  if (backend_ == Backend::postgresql) {
    // Nothing reads its result: it goes with the transaction's next statement, or its COMMIT.
    connection_.queue(kHistoryInsert,
                      {std::to_string(case_id), std::to_string(row.sequence), row.event, optional_param(row.from_state),
                       row.to_state, row.actor, row.occurred_on, row.recorded_at, row.payload,
                       row.timer_id ? PgParam(std::to_string(*row.timer_id)) : std::nullopt});
    return;
  }
  HotStatements& st = hot();
  st.h_case = case_id;
  st.h = row;
  st.h_from = row.from_state.value_or("");
  st.h_from_ind = indicator_for(row.from_state);
  st.h_timer = row.timer_id.value_or(0);
  st.h_timer_ind = row.timer_id ? soci::i_ok : soci::i_null;
  execute_once(*st.history, backend_);
}

std::optional<std::string> CaseStore::opened_by(std::int64_t case_id) {
  const long long key = case_id;
  std::string actor;
  sql() << "SELECT actor FROM case_history WHERE case_id = :id AND sequence = 1", soci::use(key), soci::into(actor);
  if (!sql().got_data()) return std::nullopt;
  return actor;
}

std::vector<HistoryRow> CaseStore::history(std::int64_t case_id) {
  // Read on every case page and API history: a statement kept with the connection.
  HotStatements& st = hot();
  st.r_key = case_id;
  std::vector<HistoryRow> out;
  st.history_read.execute();
  while (st.history_read.fetch()) {
    HistoryRow copy = st.r;
    copy.from_state = optional_text(st.r_from, st.r_from_ind);
    copy.timer_id = st.r_timer_ind == soci::i_null ? std::nullopt : std::optional<std::int64_t>(st.r_timer);
    copy.recorded_at = normalize_timestamp(copy.recorded_at);
    out.push_back(std::move(copy));
  }
  return out;
}

std::int64_t CaseStore::insert_deadline(const DeadlineRow& row, const std::string& created_at) {
  long long id = 0;
  const long long case_id = row.case_id;
  sql() << "INSERT INTO deadlines (case_id, purpose, armed_in_state, due_on, computation, status, created_at)"
           " VALUES (:case_id, :purpose, :state, :due_on, :computation, 'open', :created_at) RETURNING id",
      soci::use(case_id), soci::use(row.purpose), soci::use(row.armed_in_state), soci::use(row.due_on),
      soci::use(row.computation), soci::use(created_at), soci::into(id);
  return id;
}

namespace {

// A case's deadlines through a statement kept with the connection (every case
// read shows them): planned once, then one round trip, read row by row.
struct CaseDeadlines {
  explicit CaseDeadlines(soci::session& sql)
      : statement((sql.prepare << kDeadlineColumns + " WHERE case_id = :id ORDER BY id", soci::use(key),
                   soci::into(row.id), soci::into(row.case_id), soci::into(row.purpose), soci::into(row.armed_in_state),
                   soci::into(row.due_on), soci::into(row.computation), soci::into(row.status),
                   soci::into(settled, settled_ind))) {}
  long long key = 0;
  struct {
    long long id = 0;
    long long case_id = 0;
    std::string purpose, armed_in_state, due_on, computation, status;
  } row;
  std::string settled;
  soci::indicator settled_ind = soci::i_ok;
  soci::statement statement;
};

}  // namespace

std::vector<DeadlineRow> CaseStore::deadlines(std::int64_t case_id) {
  auto& st = connection_.local<CaseDeadlines>([](soci::session& sql) { return std::make_unique<CaseDeadlines>(sql); });
  st.key = case_id;
  std::vector<DeadlineRow> out;
  // Every row is fetched, so the statement is done (SQLite commits only then).
  if (st.statement.execute(true)) {
    do {
      out.push_back(DeadlineRow{st.row.id, st.row.case_id, st.row.purpose, st.row.armed_in_state, st.row.due_on,
                                st.row.computation, st.row.status, optional_text(st.settled, st.settled_ind)});
    } while (st.statement.fetch());
  }
  return out;
}

std::vector<DeadlineRow> CaseStore::unsettled_deadlines(std::optional<std::int64_t> case_id) {
  if (case_id) {
    const long long key = *case_id;
    return read_deadlines(sql(), "WHERE case_id = :id AND status IN ('open', 'overdue') ORDER BY id", key);
  }
  return read_deadlines(sql(), "WHERE status IN ('open', 'overdue') ORDER BY id", std::nullopt);
}

void CaseStore::set_deadline_status(std::int64_t id, const std::string& status,
                                    const std::optional<std::string>& settled_on) {
  HotStatements& st = hot();
  st.d_status = status;
  st.d_settled = settled_on.value_or("");
  st.d_settled_ind = indicator_for(settled_on);
  st.d_id = id;
  execute_once(st.deadline_status, backend_);
}

void CaseStore::move_deadline(std::int64_t id, const std::string& due_on, const std::string& computation) {
  const long long key = id;
  sql() << "UPDATE deadlines SET due_on = :due_on, computation = :computation WHERE id = :id", soci::use(due_on),
      soci::use(computation), soci::use(key);
}

void CaseStore::insert_timer(std::int64_t case_id, std::int64_t deadline_id, const std::string& event,
                             const std::string& fire_on, const std::string& created_at) {
  const long long c = case_id;
  const long long d = deadline_id;
  sql() << "INSERT INTO timers (case_id, deadline_id, event, fire_on, status, created_at)"
           " VALUES (:case_id, :deadline_id, :event, :fire_on, 'pending', :created_at)",
      soci::use(c), soci::use(d), soci::use(event), soci::use(fire_on), soci::use(created_at);
}

void CaseStore::cancel_timers(std::int64_t deadline_id) {
  const long long d = deadline_id;
  sql() << "UPDATE timers SET status = 'cancelled', lease_owner = NULL, lease_expires_at = NULL"
           " WHERE deadline_id = :d AND status = 'pending'",
      soci::use(d);
}

namespace {

// A timer as the claim and the take return it: id, case_id, deadline_id,
// event, fire_on, attempts, its deadline's purpose and due date.
template <class Columns>
ClaimedTimer claimed_timer_at(const Columns& c) {
  return ClaimedTimer{c.integer(0), c.integer(1), c.integer(2), c.text(3), c.text(4), static_cast<int>(c.integer(5)),
                      c.text(6),    c.text(7)};
}

// A case as bump_versions returns it: id, version, kind, reference,
// school_urn, state, phase.
template <class Columns>
CaseRow bumped_case_at(const Columns& c) {
  CaseRow row;
  row.id = c.integer(0);
  row.version = static_cast<int>(c.integer(1));
  row.kind = c.text(2);
  row.reference = c.text(3);
  row.school_urn = static_cast<std::int32_t>(c.integer(4));
  row.state = c.text(5);
  row.phase = c.text(6);
  return row;
}

// RETURNING gives the rows in no set order: timers fire in the order they
// fell due, so that a case's history runs in date order (its reminder before
// its deadline passing).
void sort_by_due(std::vector<ClaimedTimer>& timers) {
  std::sort(timers.begin(), timers.end(), [](const ClaimedTimer& a, const ClaimedTimer& b) {
    return std::tie(a.fire_on, a.id) < std::tie(b.fire_on, b.id);
  });
}

// Chooses up to `limit` due timers (pending, fire_on <= today, lease free or
// expired) in the order they fell due and sets `set` on them in one
// one-time statement, so that two processes never take one timer; returns
// them sorted by (fire_on, id). PostgreSQL skips rows others have locked.
std::vector<ClaimedTimer> claim_timers(soci::session& sql, Backend backend, std::string_view set,
                                       const std::vector<std::string>& set_values, const std::string& today,
                                       const std::string& now, int limit) {
  SqlQuery query("UPDATE timers SET ");
  query.add(set, set_values)
      .add(" WHERE id IN (" + due_timers_sql("?", "?", std::to_string(limit), backend) + ")", {today, now})
      .add(" RETURNING id, case_id, deadline_id, event, CAST(fire_on AS TEXT), attempts,"
           " (SELECT purpose FROM deadlines d WHERE d.id = timers.deadline_id),"
           " (SELECT CAST(due_on AS TEXT) FROM deadlines d WHERE d.id = timers.deadline_id)");
  std::vector<ClaimedTimer> out;
  query.each(sql, [&](const soci::row& r) { out.push_back(claimed_timer_at(SociColumns{r})); });
  sort_by_due(out);
  return out;
}

}  // namespace

std::vector<ClaimedTimer> CaseStore::claim_due_timers(const std::string& owner, const std::string& today,
                                                      const std::string& now, const std::string& lease_until,
                                                      int limit) {
  return claim_timers(sql(), backend_, "lease_owner = ?, lease_expires_at = ?, attempts = attempts + 1",
                      {owner, lease_until}, today, now, limit);
}

std::vector<ClaimedTimer> CaseStore::take_due_timers(const std::string& today, const std::string& now, int limit) {
  if (backend_ == Backend::postgresql) {
    const PgRows rows = connection_.run(kTimersTake, {now, today, std::to_string(limit)});
    std::vector<ClaimedTimer> out;
    out.reserve(static_cast<std::size_t>(rows.size()));
    for (int i = 0; i < rows.size(); ++i) out.push_back(claimed_timer_at(PgColumns{rows, i}));
    sort_by_due(out);
    return out;
  }
  return claim_timers(sql(), backend_,
                      "status = 'fired', fired_at = ?, lease_owner = NULL, lease_expires_at = NULL,"
                      " attempts = attempts + 1",
                      {now}, today, now, limit);
}

bool CaseStore::mark_timer_fired(std::int64_t id, const std::string& owner, const std::string& now) {
  HotStatements& st = hot();
  st.m_now = now;
  st.m_id = id;
  st.m_owner = owner;
  return execute_once(st.mark_fired, backend_);
}

void CaseStore::release_timer(std::int64_t id, const std::string& owner, const std::string& error, bool give_up,
                              const std::string& retry_at) {
  const long long key = id;
  const std::string status = give_up ? "failed" : "pending";
  // No owner, but a lease expiry in the future: nobody claims it again before retry_at.
  sql() << "UPDATE timers SET status = :status, last_error = :error, lease_owner = NULL, lease_expires_at = :retry"
           " WHERE id = :id AND lease_owner = :owner",
      soci::use(status), soci::use(error), soci::use(retry_at), soci::use(key), soci::use(owner);
}

void CaseStore::insert_outbox(std::optional<std::int64_t> case_id, const std::string& message,
                              const std::string& payload, const std::string& now) {
  HotStatements& st = hot();
  st.o_case = case_id.value_or(0);
  st.o_case_ind = case_id ? soci::i_ok : soci::i_null;
  st.o_message = message;
  st.o_payload = payload;
  st.o_now = now;
  execute_once(st.outbox, backend_);
}

namespace {

// "1, 2, 3": ids the database gave, spliced as numbers.
std::string id_list(const std::vector<std::int64_t>& ids) {
  std::string out;
  for (const auto id : ids) out += (out.empty() ? "" : ", ") + std::to_string(id);
  return out;
}

// Runs `query` once, its placeholders bound in order to `values` (which
// must outlive the call): a statement whose number of rows varies. A
// one-time statement: one round trip on PostgreSQL, where a statement
// prepared for one use costs three (prepare, execute, deallocate).
void execute_bound(soci::session& sql, const std::string& query, std::vector<std::string>& values) {
  soci::statement st(sql);
  for (auto& value : values) st.exchange(soci::use(value));
  st.alloc();
  st.prepare(query, soci::details::st_one_time_query);
  st.define_and_bind();
  st.execute(true);
}

}  // namespace

std::vector<std::int64_t> CaseStore::mark_timers_fired(const std::vector<std::int64_t>& ids, const std::string& owner,
                                                       const std::string& now) {
  std::vector<std::int64_t> out;
  if (ids.empty()) return out;
  SqlQuery query("UPDATE timers SET status = 'fired', lease_owner = NULL, lease_expires_at = NULL");
  query.add(", fired_at = ?", now)
      .add(" WHERE id IN (" + id_list(ids) + ") AND status = 'pending' AND lease_owner = ?", owner)
      .add(" RETURNING id");
  query.each(sql(), [&](const soci::row& r) { out.push_back(row_integer(r, 0)); });
  return out;
}

std::vector<CaseRow> CaseStore::bump_versions(const std::map<std::int64_t, int>& counts,
                                              const std::string& updated_at) {
  std::vector<CaseRow> out;
  if (counts.empty()) return out;
  if (backend_ == Backend::postgresql) {
    PgArray ids;
    PgArray steps;
    for (const auto& [id, n] : counts) {
      ids.number(id);
      steps.number(n);
    }
    const PgRows rows = connection_.run(kVersionsBump, {ids.str(), steps.str(), updated_at});
    for (int i = 0; i < rows.size(); ++i) out.push_back(bumped_case_at(PgColumns{rows, i}));
    return out;
  }
  std::vector<std::int64_t> ids;
  std::string more;  // the cases bumped by more than one
  for (const auto& [id, n] : counts) {
    ids.push_back(id);
    if (n > 1) more += " WHEN " + std::to_string(id) + " THEN " + std::to_string(n);
  }
  const std::string by = more.empty() ? "1" : "CASE id" + more + " ELSE 1 END";
  SqlQuery query("UPDATE cases SET version = version + " + by);
  query.add(", updated_at = ?", updated_at)
      .add(" WHERE id IN (" + id_list(ids) + ") RETURNING id, version, kind, reference, school_urn, state, phase");
  query.each(sql(), [&](const soci::row& r) { out.push_back(bumped_case_at(SociColumns{r})); });
  return out;
}

void CaseStore::set_deadlines_overdue(const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return;
  if (backend_ == Backend::postgresql) {
    PgArray array;
    for (const auto id : ids) array.number(id);
    connection_.queue(kDeadlinesOverdue, {array.str()});  // goes with the next statement, or the COMMIT
    return;
  }
  sql() << "UPDATE deadlines SET status = 'overdue', settled_on = NULL WHERE id IN (" + id_list(ids) + ")";
}

void CaseStore::insert_history_rows(const std::vector<std::pair<std::int64_t, HistoryRow>>& rows) {
  if (rows.empty()) return;
  if (backend_ == Backend::postgresql) {
    std::array<PgArray, 10> columns;
    for (const auto& [case_id, h] : rows) {
      columns[0].number(case_id);
      columns[1].number(h.sequence);
      columns[2].text(h.event);
      columns[3].text_or_null(h.from_state);
      columns[4].text(h.to_state);
      columns[5].text(h.actor);
      columns[6].text(h.occurred_on);
      columns[7].text(h.recorded_at);
      columns[8].text(h.payload);
      columns[9].number_or_null(h.timer_id);
    }
    std::array<std::string, 10> text;
    for (std::size_t i = 0; i < columns.size(); ++i) text[i] = columns[i].str();
    connection_.queue(kHistoryRows,
                      {text[0], text[1], text[2], text[3], text[4], text[5], text[6], text[7], text[8], text[9]});
    return;
  }
  std::string query =
      "INSERT INTO case_history (case_id, sequence, event, from_state, to_state, actor, occurred_on, recorded_at,"
      " payload, timer_id) VALUES ";
  std::vector<std::string> values;
  values.reserve(rows.size() * 7);
  for (const auto& [case_id, h] : rows) {
    const auto at = values.size();
    const auto mark = [&](std::size_t i) { return ":v" + std::to_string(at + i); };
    query += (at == 0 ? "(" : ", (") + std::to_string(case_id) + ", " + std::to_string(h.sequence) + ", " + mark(0) +
             ", " + (h.from_state ? mark(1) : "NULL") + ", " + mark(2) + ", " + mark(3) + ", " + mark(4) + ", " +
             mark(5) + ", " + mark(6) + ", " + (h.timer_id ? std::to_string(*h.timer_id) : "NULL") + ")";
    values.push_back(h.event);
    values.push_back(h.from_state.value_or(""));
    values.push_back(h.to_state);
    values.push_back(h.actor);
    values.push_back(h.occurred_on);
    values.push_back(h.recorded_at);
    values.push_back(h.payload);
    if (!h.from_state) values.erase(values.begin() + static_cast<std::ptrdiff_t>(at) + 1);
  }
  execute_bound(sql(), query, values);
}

void CaseStore::insert_outbox_rows(const std::vector<OutboxRow>& rows, const std::string& now) {
  if (rows.empty()) return;
  if (backend_ == Backend::postgresql) {
    PgArray cases;
    PgArray messages;
    PgArray payloads;
    for (const auto& row : rows) {
      cases.number(row.case_id);
      messages.text(row.message);
      payloads.text(row.payload);
    }
    connection_.queue(kOutboxRows, {cases.str(), messages.str(), payloads.str(), now});
    return;
  }
  std::string query = "INSERT INTO outbox (case_id, message, payload, status, next_attempt_at, created_at) VALUES ";
  std::vector<std::string> values;
  values.reserve(rows.size() * 4);
  for (const auto& row : rows) {
    const auto at = values.size();
    query += (at == 0 ? "(" : ", (") + std::to_string(row.case_id) + ", :v" + std::to_string(at) + ", :v" +
             std::to_string(at + 1) + ", 'pending', :v" + std::to_string(at + 2) + ", :v" + std::to_string(at + 3) +
             ")";
    values.push_back(row.message);
    values.push_back(row.payload);
    values.push_back(now);
    values.push_back(now);
  }
  execute_bound(sql(), query, values);
}

std::vector<ClosureRow> CaseStore::closures() {
  std::vector<ClosureRow> out;
  ClosureRow row;
  soci::statement st = (sql().prepare << "SELECT CAST(day AS TEXT), reason FROM calendar_closures ORDER BY day",
                        soci::into(row.day), soci::into(row.reason));
  st.execute();
  while (st.fetch()) out.push_back(row);
  return out;
}

void CaseStore::insert_closure(const std::string& day, const std::string& reason, const std::string& actor,
                               const std::string& now) {
  sql() << "INSERT INTO calendar_closures (day, reason, created_by, created_at) VALUES (:day, :reason, :actor, :now)",
      soci::use(day), soci::use(reason), soci::use(actor), soci::use(now);
}

CaseGauges case_gauges(Database& db, const std::string& today) {
  CaseGauges out;
  auto connection = db.acquire();
  try {
    soci::session& sql = connection.session();
    std::string status;
    long long n = 0;
    soci::statement st =
        (sql.prepare << "SELECT status, count(*) FROM timers GROUP BY status", soci::into(status), soci::into(n));
    st.execute();
    while (st.fetch()) {
      if (status == "pending") out.timers_pending = n;
      if (status == "fired") out.timers_fired = n;
      if (status == "failed") out.timers_failed = n;
      if (status == "cancelled") out.timers_cancelled = n;
    }
    sql << "SELECT count(*) FROM timers WHERE status = 'pending' AND fire_on <= :t", soci::use(today),
        soci::into(out.timers_due);
    sql << "SELECT count(*) FROM deadlines WHERE status = 'overdue'", soci::into(out.deadlines_overdue);
  } catch (...) {
    connection.rethrow_translated();
  }
  return out;
}

}  // namespace s2s::workflow
