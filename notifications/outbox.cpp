#include "notifications/outbox.h"

#include <soci/soci.h>

#include <initializer_list>

namespace s2s::notifications {

namespace {

// Rows of `table` counted by status: every status in `statuses` (0 when none)
// and any other the table holds.
std::map<std::string, long long> count_by_status(workflow::Database& db, const std::string& table,
                                                 std::initializer_list<const char*> statuses) {
  std::map<std::string, long long> out;
  for (const char* s : statuses) out[s] = 0;
  auto connection = db.acquire();
  try {
    std::string status;
    long long n = 0;
    soci::statement st = (connection.session().prepare << "SELECT status, count(*) FROM " + table + " GROUP BY status",
                          soci::into(status), soci::into(n));
    st.execute();
    while (st.fetch()) out[status] = n;
  } catch (...) {
    connection.rethrow_translated();
  }
  return out;
}

}  // namespace

OutboxCounts outbox_counts(workflow::Database& db) {
  auto by_status = count_by_status(db, "outbox", {"pending", "sent", "dead"});
  return OutboxCounts{by_status["pending"], by_status["sent"], by_status["dead"]};
}

std::map<std::string, long long> delivery_counts(workflow::Database& db) {
  return count_by_status(db, "deliveries", {"pending", "held", "sent", "dead", "undeliverable"});
}

}  // namespace s2s::notifications
