#include "cases/case_list.h"

#include <soci/soci.h>

#include <algorithm>
#include <functional>
#include <iterator>

#include "cases/deployments.h"
#include "workflow/case_store.h"
#include "workflow/kept_history.h"
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
      // (cases_school_filters_opened, schools_la_urn); then only their rows.
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
  if (!value.empty() && (value[0] == '=' || value[0] == '+' || value[0] == '-' || value[0] == '@' || value[0] == '\t' ||
                         value[0] == '\r')) {
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

namespace {

// case_view_sql's rows: which part a row is in (kViewPart), then that
// part's columns, every part's from the same column on (kViewColumns).
constexpr std::size_t kViewPart = 0;
constexpr std::size_t kViewColumns = 1;
enum ViewPart : int { kCasePart = 1, kDeadlinePart = 2, kHistoryPart = 3, kCallerPart = 4 };
// Where the case's row holds its school and its supporter.
constexpr std::size_t kViewSchool = kViewColumns + 12;
constexpr std::size_t kViewSupporter = kViewSchool + 16;
// A history entry's row: after its 9 columns, the user its actor names.
constexpr std::size_t kViewActorName = kViewColumns + 9;

// Who is asking, read in the view's statement as its last part: a web
// session (SessionQuery) or an API token (TokenQuery).
struct CallerPart {
  std::string columns;     // the lookup's columns
  std::string from_where;  // its FROM and WHERE
};

// On SQLite, the characters of a history actor after "user:" up to its first space.
std::string sqlite_actor_digits() { return "substr(h.actor, 6, instr(substr(h.actor, 6) || ' ', ' ') - 1)"; }

// A part's columns, each as text, so that every part's columns can share the
// row's places: in a UNION, PostgreSQL needs each place's type to be one.
// The readers (row_integer and the rest) read a number from its text.
struct TextColumns {
  std::string sql;
  std::size_t count = 0;
};

// `columns`, a list of SQL expressions, each cast to TEXT; with `alias`, the
// i-th (from 1) named alias + i. The list is split at its commas outside
// parentheses and quotes.
TextColumns as_text(std::string_view columns, std::string_view alias = {}) {
  TextColumns out;
  const auto add = [&](std::string_view column) {
    while (!column.empty() && column.front() == ' ') column.remove_prefix(1);
    while (!column.empty() && column.back() == ' ') column.remove_suffix(1);
    out.sql += (out.count == 0 ? "CAST(" : ", CAST(") + std::string(column) + " AS TEXT)";
    ++out.count;
    if (!alias.empty()) out.sql += " AS " + std::string(alias) + std::to_string(out.count);
  };
  int depth = 0;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const char ch = columns[i];
    if (ch == '\'') quoted = !quoted;
    if (quoted) continue;
    if (ch == '(') ++depth;
    if (ch == ')') --depth;
    if (ch == ',' && depth == 0) {
      add(columns.substr(start, i - start));
      start = i + 1;
    }
  }
  add(columns.substr(start));
  return out;
}

// ", NULL" `count` times.
std::string null_columns(std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += ", NULL";
  return out;
}

// One case in parts, one part a row: the case with its school and its
// supporter; then its deadlines, a row each; with `history`, its history
// entries, a row each, with the name of the user its actor names ("user:ID
// EMAIL", as users_of_actors reads them). Every row says its part in its
// first column; each part's columns follow, as text, in the same places,
// the rest NULL (a row as wide as the widest part, the case's, rather than
// as wide as all of them: the database's work on a statement grows with its
// columns). The case's part is a subquery of at most one row, so the
// school's need is decided once; none of it when the case does not exist.
// With `caller`, a last row holds the caller's lookup (a session or a
// token), if it finds one: the case for the person asking, and who they
// are, in one round trip. With `history_after`, only the history entries
// after a sequence bound after the key (those read before are kept:
// workflow/kept_history.h). Without `school_need`, the school's need is not
// worked out (its column NULL): a case's page does not show it, and it is a
// tenth of the statement's work. The rows come in no order (sorting them
// costs the database more than read_view's sorting them).
struct CaseViewShape {
  bool history = false;
  const CallerPart* caller = nullptr;
  bool history_after = false;
  bool school_need = true;
};
std::string case_view_sql(const std::string& where, workflow::Backend backend, const CaseViewShape& shape) {
  const auto the_case = as_text(
      workflow::case_columns_sql("c") + ", " + school_columns_sql(shape.school_need) + ", " + supporter_columns_sql(),
      "v");
  const auto deadline = as_text(workflow::deadline_columns_sql("dl"));
  const auto entry = as_text(workflow::history_columns_sql("h") + ", u.name");
  const auto caller = shape.caller != nullptr ? as_text(shape.caller->columns) : TextColumns{};
  std::size_t width = std::max(the_case.count, deadline.count);
  if (shape.history) width = std::max(width, entry.count);
  width = std::max(width, caller.count);
  const auto part = [&](ViewPart which, const TextColumns& columns) {
    return "SELECT " + std::to_string(which) + ", " + columns.sql + null_columns(width - columns.count);
  };
  std::string case_columns;
  for (std::size_t i = 1; i <= the_case.count; ++i) case_columns += (i == 1 ? "v" : ", v") + std::to_string(i);
  std::string sql = "WITH v AS (SELECT c.id AS view_case, " + the_case.sql +
                    " FROM cases c LEFT JOIN schools s ON s.urn = c.school_urn"
                    " LEFT JOIN la_mini_regions m ON m.la_code = s.la_code" +
                    supporter_joins_sql("c.id") + " WHERE " + where + " LIMIT 1) " +
                    part(kCasePart, TextColumns{case_columns, the_case.count}) + " FROM v UNION ALL " +
                    part(kDeadlinePart, deadline) + " FROM deadlines dl WHERE dl.case_id = (SELECT view_case FROM v)";
  if (shape.history) {
    // The actor's user id: the digits after "user:", up to a space or the end
    // (at most 18, so that they fit); NULL for any other actor.
    const std::string user_id =
        backend == workflow::Backend::postgresql
            ? "CASE WHEN h.actor ~ '^user:[0-9]{1,18}( |$)' THEN CAST(split_part(substr(h.actor, 6), ' ', 1) AS BIGINT)"
              " END"
            : "CASE WHEN substr(h.actor, 1, 5) = 'user:' AND length(" + sqlite_actor_digits() +
                  ") BETWEEN 1 AND 18 AND " + sqlite_actor_digits() + " NOT GLOB '*[^0-9]*' THEN CAST(" +
                  sqlite_actor_digits() + " AS INTEGER) END";
    sql += " UNION ALL " + part(kHistoryPart, entry) + " FROM case_history h LEFT JOIN users u ON u.id = " + user_id +
           " WHERE h.case_id = (SELECT view_case FROM v)" + (shape.history_after ? " AND h.sequence > :after" : "");
  }
  if (shape.caller != nullptr) sql += " UNION ALL " + part(kCallerPart, caller) + shape.caller->from_where;
  return sql;
}

// The statements kept with a connection (every case page and GET runs one),
// each with its own row: a statement describes its row's columns afresh.
// Those with the history are prepared on a connection's first page, not on
// its first GET.
template <bool History>
struct CaseViewStatements {
  CaseViewStatements(soci::session& sql, workflow::Backend backend)
      : by_id((sql.prepare << case_view_sql("c.id = :id", backend, {.history = History}), soci::use(id),
               soci::into(id_row))),
        by_reference((sql.prepare << case_view_sql("c.reference = :reference", backend, {.history = History}),
                      soci::use(reference), soci::into(reference_row))) {}
  long long id = 0;
  std::string reference;
  soci::row id_row;
  soci::row reference_row;
  soci::statement by_id;
  soci::statement by_reference;
};

const CallerPart& session_part() {
  static const CallerPart part{SessionQuery::columns(), SessionQuery::from_where()};
  return part;
}

const CallerPart& token_part() {
  static const CallerPart part{TokenQuery::columns(), TokenQuery::from_where()};
  return part;
}

// A case's page: its history after what is kept, with the session of the
// person reading it, without its school's need.
CaseViewShape page_shape() {
  return {.history = true, .caller = &session_part(), .history_after = true, .school_need = false};
}

// A case's page with the session of the person reading it (by_id and
// by_reference bind the key, the sequence after which its history is read,
// then the session's four values).
struct CasePageStatements {
  CasePageStatements(soci::session& sql, workflow::Backend backend)
      : by_id((sql.prepare << case_page_sql(backend), soci::use(id), soci::use(after), soci::use(session.touch_before),
               soci::use(session.hash), soci::use(session.idle_since), soci::use(session.born_since),
               soci::into(id_row))),
        by_reference((sql.prepare << case_view_sql("c.reference = :reference", backend, page_shape()),
                      soci::use(reference), soci::use(after), soci::use(session.touch_before), soci::use(session.hash),
                      soci::use(session.idle_since), soci::use(session.born_since), soci::into(reference_row))) {}
  long long id = 0;
  std::string reference;
  int after = 0;
  SessionQuery session;
  soci::row id_row;
  soci::row reference_row;
  soci::statement by_id;
  soci::statement by_reference;
};

// A case's JSON with the API token of the caller (by_id and by_reference
// bind the key, then the token's hash and purpose).
struct ApiCaseStatements {
  ApiCaseStatements(soci::session& sql, workflow::Backend backend)
      : by_id((sql.prepare << case_view_sql("c.id = :id", backend, {.caller = &token_part()}), soci::use(id),
               soci::use(token.hash), soci::use(token.purpose), soci::into(id_row))),
        by_reference((sql.prepare << case_view_sql("c.reference = :reference", backend, {.caller = &token_part()}),
                      soci::use(reference), soci::use(token.hash), soci::use(token.purpose),
                      soci::into(reference_row))) {}
  long long id = 0;
  std::string reference;
  TokenQuery token;
  soci::row id_row;
  soci::row reference_row;
  soci::statement by_id;
  soci::statement by_reference;
};

// Reads a caller's columns from a row of a view read with them.
using ReadCaller = std::function<void(const soci::row& row, std::size_t first)>;

// Reads the view through `statement`, fetching every row before parsing any
// (so that SQLite's statement is done, and holds no transaction open, even
// when a stored value does not parse). `known`: the case itself, as the
// caller has it already, which is then not parsed again. With `read_caller`,
// the statement's caller row (if any) is handed to it; the view is nullopt
// when the case does not exist, whoever the caller.
std::optional<CaseView> read_view(soci::statement& statement, const soci::row& row, bool history,
                                  std::optional<workflow::Case> known, const ReadCaller* read_caller = nullptr) {
  if (!statement.execute(true)) return std::nullopt;
  CaseView out;
  std::optional<workflow::CaseRow> case_row;
  std::vector<workflow::DeadlineRow> deadlines;
  std::vector<workflow::HistoryRow> entries;
  std::map<std::string, std::string> names;
  do {
    switch (workflow::row_integer(row, kViewPart)) {
      case kCasePart:
        case_row = workflow::case_row_at(row, kViewColumns);
        if (row.get_indicator(kViewSchool) != soci::i_null) out.school = school_at(row, kViewSchool);
        out.supporter = supporter_at(row, kViewSupporter);
        break;
      case kDeadlinePart:
        if (auto deadline = workflow::deadline_row_at(row, kViewColumns)) deadlines.push_back(std::move(*deadline));
        break;
      case kHistoryPart:
        if (auto entry = workflow::history_row_at(row, kViewColumns); entry && history) {
          if (row.get_indicator(kViewActorName) != soci::i_null) {
            names.emplace(entry->actor, workflow::row_text(row, kViewActorName));
          }
          entries.push_back(std::move(*entry));
        }
        break;
      case kCallerPart:
        if (read_caller != nullptr) (*read_caller)(row, kViewColumns);
        break;
      default:
        break;
    }
  } while (statement.fetch());
  if (!case_row) return std::nullopt;
  // The statement's rows come in no order.
  std::sort(deadlines.begin(), deadlines.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.sequence < b.sequence; });
  for (const auto& deadline : deadlines) {
    case_row->overdue = case_row->overdue || deadline.status == "overdue";
    out.deadlines.push_back(workflow::deadline_from_row(deadline));
  }
  if (history) {
    out.history.emplace();
    out.history->reserve(entries.size());
    for (const auto& entry : entries) out.history->push_back(workflow::history_from_row(entry));
    out.user_names = std::move(names);
  }
  out.c = known ? std::move(*known) : workflow::case_from_row(*case_row);
  return out;
}

// The view by id or by reference through `st`'s statements (with
// `read_caller`, those read with a caller).
template <class Statements>
std::optional<CaseView> read_keyed(Statements& st, const workflow::CaseKey& key, bool history,
                                   std::optional<workflow::Case> known, const ReadCaller* read_caller = nullptr) {
  if (key.id != 0) {
    st.id = key.id;
    return read_view(st.by_id, st.id_row, history, std::move(known), read_caller);
  }
  st.reference = key.reference;
  return read_view(st.by_reference, st.reference_row, history, std::move(known), read_caller);
}

template <bool History>
std::optional<CaseView> read_view_with(workflow::Database::Connection& connection, const workflow::CaseKey& key,
                                       std::optional<workflow::Case> known) {
  using Statements = CaseViewStatements<History>;
  auto& st = connection.local<Statements>(
      [backend = connection.backend()](soci::session& sql) { return std::make_unique<Statements>(sql, backend); });
  return read_keyed(st, key, History, std::move(known));
}

std::optional<CaseView> read_view(workflow::Database::Connection& connection, const workflow::CaseKey& key,
                                  CaseViewParts parts, std::optional<workflow::Case> known = std::nullopt) {
  if (parts == CaseViewParts::with_history) {
    return read_view_with<true>(connection, key, std::move(known));
  }
  return read_view_with<false>(connection, key, std::move(known));
}

// `view`, read with the history entries after those `kept` holds (or all
// of them, without it), with its whole history; keeps that in `kept_history`
// when it goes further than `kept`.
CaseView with_kept_history(workflow::KeptHistory& kept_history, const workflow::KeptCaseHistory* kept, CaseView view) {
  auto& history = *view.history;
  const bool read_any = !history.empty();
  if (kept != nullptr) {
    std::vector<workflow::HistoryEntry> whole;
    whole.reserve(kept->entries.size() + history.size());
    whole.insert(whole.end(), kept->entries.begin(), kept->entries.end());
    whole.insert(whole.end(), std::make_move_iterator(history.begin()), std::make_move_iterator(history.end()));
    history = std::move(whole);
    view.user_names.insert(kept->names.begin(), kept->names.end());
  }
  if ((kept == nullptr || read_any) && kept_history.keeps_any()) {
    auto whole = std::make_shared<workflow::KeptCaseHistory>();
    whole->case_id = view.c.id;
    whole->reference = view.c.reference;
    whole->opened_at = view.c.opened_at;
    whole->entries = history;
    whole->names = view.user_names;
    kept_history.keep(std::move(whole));
  }
  return view;
}

// Whether `actor` may see the case of `view`, decided from its school's row.
bool in_scope(workflow::Database::Connection& connection, const workflow::Actor& actor, const CaseView& view) {
  const workflow::Case& c = view.c;
  const workflow::CaseSnapshot snapshot{c.id, c.kind, c.reference, c.school_urn, c.state, c.version, c.opened_on};
  return !scope_refusal_given_school(connection, actor, snapshot, view.school);
}

}  // namespace

std::optional<CaseView> find_visible_case_view(workflow::Engine& engine, const workflow::Actor& actor,
                                               std::string_view id_or_reference, CaseViewParts parts) {
  const auto key = workflow::case_key(id_or_reference);
  if (!key) return std::nullopt;
  auto connection = engine.database().acquire();
  try {
    auto view = read_view(connection, *key, parts);
    if (!view || !in_scope(connection, actor, *view)) return std::nullopt;
    return view;
  } catch (...) {
    connection.rethrow_translated();
  }
}

std::string case_page_sql(workflow::Backend backend) { return case_view_sql("c.id = :id", backend, page_shape()); }

SignedInCaseView find_session_and_case_page(workflow::Engine& engine, std::string_view session_token,
                                            std::chrono::system_clock::time_point now, const SessionPolicy& policy,
                                            std::string_view id_or_reference) {
  SignedInCaseView out;
  SessionQuery query;
  if (!query.set(session_token, now, policy)) return out;  // not a token: nothing to read
  const auto key = workflow::case_key(id_or_reference);
  if (!key) {
    // No case can have this key: the session is all there is to read.
    out.session = find_session(engine.database(), session_token, now, policy);
    return out;
  }
  {
    auto connection = engine.database().acquire();
    try {
      auto& st = connection.local<CasePageStatements>([backend = connection.backend()](soci::session& sql) {
        return std::make_unique<CasePageStatements>(sql, backend);
      });
      const ReadCaller read_session = [&](const soci::row& row, std::size_t first) {
        out.session = st.session.session_at(row, first);
      };
      // The history as far as it was read before, if it is kept; then only
      // the entries after it are read.
      auto& kept_history = engine.kept_history();
      auto kept = key->id != 0 ? kept_history.find(key->id) : kept_history.find(key->reference);
      st.session = query;
      st.after = kept ? kept->last_sequence() : 0;
      auto view = read_keyed(st, *key, true, std::nullopt, &read_session);
      if (view && kept && !kept->belongs_to(view->c)) {
        // Kept for another case that had its id or reference: read it all.
        kept_history.forget(kept->case_id);
        kept = nullptr;
        st.session = query;
        st.after = 0;
        view = read_keyed(st, *key, true, std::nullopt, &read_session);
      }
      // Nobody's: the case is not shown, whether or not it exists.
      if (!out.session) return out;
      query = st.session;  // with whether its use is to be noted
      if (view && in_scope(connection, actor_of(out.session->user), *view)) {
        out.view = with_kept_history(kept_history, kept.get(), std::move(*view));
      }
    } catch (...) {
      connection.rethrow_translated();
    }
  }
  query.note_use(engine.database(), out.session->id, now);
  return out;
}

CallerCaseView find_caller_and_case_view(workflow::Engine& engine, std::string_view bearer_token,
                                         std::string_view id_or_reference) {
  CallerCaseView out;
  TokenQuery query;
  if (!query.set(bearer_token)) return out;  // not a token: nothing to read
  const auto key = workflow::case_key(id_or_reference);
  if (!key) {
    // No case can have this key: the caller is all there is to read.
    out.user = authenticate(engine.database(), bearer_token);
    return out;
  }
  auto connection = engine.database().acquire();
  try {
    auto& st = connection.local<ApiCaseStatements>([backend = connection.backend()](soci::session& sql) {
      return std::make_unique<ApiCaseStatements>(sql, backend);
    });
    st.token = query;
    const ReadCaller read_token = [&](const soci::row& row, std::size_t first) {
      out.user = st.token.user_at(row, first);
    };
    auto view = read_keyed(st, *key, false, std::nullopt, &read_token);
    // Nobody's: the case is not answered, whether or not it exists.
    if (out.user && view && in_scope(connection, actor_of(*out.user), *view)) out.view = std::move(view);
  } catch (...) {
    connection.rethrow_translated();
  }
  return out;
}

CaseView case_view_of(workflow::Engine& engine, workflow::Case c) {
  const std::int64_t id = c.id;
  auto connection = engine.database().acquire();
  std::optional<CaseView> view;
  try {
    view = read_view(connection, workflow::CaseKey{id, {}}, CaseViewParts::deadlines, std::move(c));
  } catch (...) {
    connection.rethrow_translated();
  }
  if (!view) {
    throw workflow::EngineError(workflow::EngineError::Code::unknown_case,
                                "case " + std::to_string(id) + " does not exist");
  }
  return std::move(*view);
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
  if (const auto* source = data.if_contains("source"); source != nullptr && source->is_string() &&
                                                       source->get_string() == "risk_assessment" &&
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
