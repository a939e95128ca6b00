#include "cases/recipients.h"

#include <soci/soci.h>

#include <utility>

#include "cases/deployments.h"
#include "cases/schools.h"
#include "cases/user_row.h"
#include "cases/users.h"
#include "workflow/case_store.h"

namespace s2s::cases {
namespace {

using notifications::Area;
using notifications::Person;
using workflow::Database;

// A user who may hear of a case, with how they like to hear.
struct Listener {
  User user;
  std::string notify;
  std::string scope;  // as workflow::Actor carries it: "KIND:VALUE[;phase:GROUP,...]"
};

// Users are cases/users.*'s; who hears of a case is read here, beside them,
// through the same rules (docs/roles.md). A revoked user hears of nothing
// more.
std::vector<Listener> users_where(soci::session& sql, const std::string& condition, const std::string& value) {
  std::vector<Listener> out;
  UserRow row;
  std::string notify;
  soci::statement st = (sql.prepare << "SELECT id, name, email, role, notify, scope_kind, scope_value, scope_phases"
                                       " FROM users WHERE revoked_at IS NULL AND (" +
                                           condition + ") ORDER BY id",
                        soci::use(value), soci::into(row.id), soci::into(row.name), soci::into(row.email),
                        soci::into(row.role), soci::into(notify), soci::into(row.kind, row.kind_ind),
                        soci::into(row.value, row.value_ind), soci::into(row.phases, row.phases_ind));
  st.execute();
  while (st.fetch()) {
    User user = row.user();
    std::string scope = actor_scope(user);
    out.push_back(Listener{std::move(user), notify, std::move(scope)});
  }
  return out;
}

Person person_of(const Listener& listener) {
  return Person{listener.user.name, listener.user.email, listener.notify == "digest"};
}

// The leads whose area holds the school. One statement finds the leads of its
// mini region and of each alliance it belongs to or leads (a lead of anywhere
// else cannot see it: a scope's number is written in digits alone, so text
// compares as the number does); each of those then passes the scope rule
// (scope_refusal_given_school, the school read once), the rule of every
// lead's own reading of a case, phases and all, so that a lead hears of
// exactly the cases they may open. Asking the rule of every lead in the
// country cost a statement or two a lead for each message.
std::vector<Person> leads(Database::Connection& connection, std::int64_t case_id, std::int32_t school_urn) {
  workflow::CaseSnapshot snapshot;
  snapshot.id = case_id;
  snapshot.school_urn = school_urn;
  const std::string urn = std::to_string(school_urn);  // an integer of ours
  const std::string of_the_school =
      "role = :r AND ((scope_kind = 'mini_region' AND scope_value IN (SELECT m.mini_region FROM schools s"
      " JOIN la_mini_regions m ON m.la_code = s.la_code WHERE s.urn = " +
      urn +
      ")) OR (scope_kind = 'alliance' AND scope_value IN (SELECT CAST(alliance_id AS TEXT) FROM alliance_members"
      " WHERE school_urn = " +
      urn + " UNION SELECT CAST(id AS TEXT) FROM alliances WHERE lead_school_urn = " + urn + ")))";
  const auto listeners = users_where(connection.session(), of_the_school, "lead");
  if (listeners.empty()) return {};
  const auto school = find_school(connection, school_urn);
  std::vector<Person> out;
  for (const auto& listener : listeners) {
    const workflow::Actor actor(listener.user.name, "lead", listener.scope);
    if (!scope_refusal_given_school(connection, actor, snapshot, school)) out.push_back(person_of(listener));
  }
  return out;
}

std::vector<Person> system_leaders(soci::session& sql, std::int64_t case_id) {
  std::vector<Person> out;
  std::string name;
  std::string email;
  const long long key = case_id;
  soci::statement st =
      (sql.prepare << "SELECT l.name, l.email FROM deployments d JOIN system_leaders l ON l.id = d.system_leader_id"
                      " WHERE d.case_id = :c AND d.status IN ('proposed', 'active') ORDER BY l.id",
       soci::use(key), soci::into(name), soci::into(email));
  st.execute();
  while (st.fetch()) out.push_back(Person{name, email, false});
  return out;
}

// The LA officer who referred the case: the person who opened it (its first
// history entry, recorded as "user:ID EMAIL"), when that is an LA officer.
std::vector<Person> referrer(Database::Connection& connection, std::int64_t case_id) {
  workflow::CaseStore store(connection);
  const auto opener = store.opened_by(case_id);
  if (!opener) return {};
  std::vector<Person> out;
  for (const auto& user :
       users_where(connection.session(), "role = 'la_officer' AND 'user:' || CAST(id AS TEXT) || ' ' || email = :a",
                   *opener)) {
    out.push_back(person_of(user));
  }
  return out;
}

class CaseDirectory final : public notifications::Directory {
 public:
  std::vector<Person> people(Database::Connection& connection, std::string_view role, std::int64_t case_id,
                             std::int32_t school_urn) const override {
    if (role == "lead") return leads(connection, case_id, school_urn);
    if (role == "system_leader") return system_leaders(connection.session(), case_id);
    if (role == "referrer") return referrer(connection, case_id);
    if (role == "school") {
      std::vector<Person> out;
      for (const auto& user :
           users_where(connection.session(), "role = 'school' AND scope_kind = 'school' AND scope_value = :u",
                       std::to_string(school_urn))) {
        out.push_back(person_of(user));
      }
      return out;
    }
    return {};
  }

  std::optional<std::string> school_name(Database::Connection& connection, std::int32_t school_urn) const override {
    auto& sql = connection.session();
    std::string name;
    soci::indicator ind = soci::i_ok;
    const int urn = school_urn;
    sql << "SELECT name FROM schools WHERE urn = :u", soci::use(urn), soci::into(name, ind);
    if (!sql.got_data() || ind == soci::i_null) return std::nullopt;
    return name;
  }

  std::vector<Area> areas_of_school(Database::Connection& connection, std::int32_t school_urn) const override {
    auto& sql = connection.session();
    const int urn = school_urn;
    std::vector<Area> out;
    {
      long long alliance = 0;
      soci::statement st = (sql.prepare << "SELECT alliance_id FROM alliance_members WHERE school_urn = :u1"
                                           " UNION SELECT id FROM alliances WHERE lead_school_urn = :u2",
                            soci::use(urn), soci::use(urn), soci::into(alliance));
      st.execute();
      while (st.fetch()) out.push_back(Area{"alliance", std::to_string(alliance)});
    }
    {
      std::string region;
      soci::statement st = (sql.prepare << "SELECT m.mini_region FROM schools s JOIN la_mini_regions m"
                                           " ON m.la_code = s.la_code WHERE s.urn = :u",
                            soci::use(urn), soci::into(region));
      st.execute();
      while (st.fetch()) out.push_back(Area{"mini_region", region});
    }
    return out;
  }

  bool area_exists(Database::Connection& connection, const Area& area) const override {
    auto& sql = connection.session();
    int known = 0;
    if (area.kind == "alliance") {
      sql << "SELECT count(*) FROM alliances WHERE CAST(id AS TEXT) = :v", soci::use(area.value), soci::into(known);
    } else if (area.kind == "mini_region") {
      sql << "SELECT count(*) FROM la_mini_regions WHERE mini_region = :v", soci::use(area.value), soci::into(known);
    }
    return known > 0;
  }
};

}  // namespace

std::shared_ptr<const notifications::Directory> directory() {
  static const auto instance = std::make_shared<const CaseDirectory>();
  return instance;
}

}  // namespace s2s::cases
