#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workflow/database.h"

// What the notifications need to know of the people and places around a case,
// asked of the module that owns them (cases/ implements it: cases/recipients.h).
// notifications/ reads no table but its own (outbox, deliveries,
// delivery_attempts, webhooks); everything else comes through this interface.
namespace s2s::notifications {

// One person to tell, as the owner of people knows them.
struct Person {
  std::string name;
  std::string email;    // empty: known, but with no address to send to
  bool digest = false;  // asked to hear in the daily digest rather than at once
};

// An area a webhook may cover: kind "alliance" (value: the alliance's id) or
// "mini_region" (value: its name).
struct Area {
  std::string kind;
  std::string value;
  friend bool operator==(const Area&, const Area&) = default;
};

// Every method runs on the caller's connection, inside the caller's transaction
// when one is open (the dispatcher expands a message in one transaction), and
// throws what SOCI throws; the connection is the caller's to translate errors.
// Implementations hold no state of their own: thread-safe, each thread with its
// own connection.
class Directory {
 public:
  Directory() = default;
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;
  virtual ~Directory() = default;

  // The people of `role` on a case about the school `school_urn`, in a stable
  // order: "lead" (the leads whose mini region or alliance holds the school,
  // narrowed to phases where a lead is), "system_leader" (those proposed for or
  // deployed to the case), "school" (the school's own users), "referrer" (the
  // LA officer who opened the case, if one did). Empty for nobody, or a role
  // not named here.
  [[nodiscard]] virtual std::vector<Person> people(workflow::Database::Connection& connection, std::string_view role,
                                                   std::int64_t case_id, std::int32_t school_urn) const = 0;

  // The school's name; nullopt when it is not in the register.
  [[nodiscard]] virtual std::optional<std::string> school_name(workflow::Database::Connection& connection,
                                                               std::int32_t school_urn) const = 0;

  // The areas that hold the school: its alliances (as member or lead school)
  // and its mini region. Empty for a school not in the register.
  [[nodiscard]] virtual std::vector<Area> areas_of_school(workflow::Database::Connection& connection,
                                                          std::int32_t school_urn) const = 0;

  // Whether the area exists (an alliance by id, a mini region by name).
  [[nodiscard]] virtual bool area_exists(workflow::Database::Connection& connection, const Area& area) const = 0;
};

}  // namespace s2s::notifications
