#include "notifications/outbox.h"

#include <soci/soci.h>

namespace s2s::notifications {

OutboxCounts outbox_counts(workflow::Database& db) {
  auto connection = db.acquire();
  OutboxCounts counts;
  try {
    std::string status;
    long long n = 0;
    soci::statement st = (connection.session().prepare << "SELECT status, count(*) FROM outbox GROUP BY status",
                          soci::into(status), soci::into(n));
    st.execute();
    while (st.fetch()) {
      if (status == "pending") counts.pending = n;
      if (status == "sent") counts.sent = n;
      if (status == "dead") counts.dead = n;
    }
  } catch (...) {
    connection.rethrow_translated();
  }
  return counts;
}

std::map<std::string, long long> delivery_counts(workflow::Database& db) {
  std::map<std::string, long long> out;
  for (const char* s : {"pending", "held", "sent", "dead", "undeliverable"}) out[s] = 0;
  auto connection = db.acquire();
  try {
    std::string status;
    long long n = 0;
    soci::statement st = (connection.session().prepare << "SELECT status, count(*) FROM deliveries GROUP BY status",
                          soci::into(status), soci::into(n));
    st.execute();
    while (st.fetch()) out[status] = n;
  } catch (...) {
    connection.rethrow_translated();
  }
  return out;
}

}  // namespace s2s::notifications
