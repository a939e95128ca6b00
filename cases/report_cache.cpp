#include "cases/report_cache.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include "workflow/date.h"

namespace s2s::cases {
namespace {

// Everything that decides what a report says, as text.
std::string scope_key(const KpiScope& scope, std::chrono::year_month_day today) {
  std::string phases;
  for (const auto& p : scope.phases) phases += p + ",";
  return fmt::format("{}|a{}|m{}|l{}|p{}|r{}|{}{}{}|o{}|d{}", scope.academic_year,
                     scope.alliance ? std::to_string(*scope.alliance) : "", scope.mini_region.value_or(""),
                     scope.la ? std::to_string(*scope.la) : "", phases, scope.day_rate, scope.with_references ? 'R' : '-',
                     scope.with_overdue_items ? 'O' : '-', scope.with_breakdowns ? 'B' : '-', scope.as_of ? workflow::format_date(*scope.as_of) : "",
                     workflow::format_date(today));
}

}  // namespace

std::string data_version(workflow::Database& db) {
  return db.read([](soci::session& sql) {
    std::string newest_event;
    long long at_newest = 0;
    long long newest_action = 0;
    soci::indicator event_ind = soci::i_ok;
    soci::indicator action_ind = soci::i_ok;
    // One statement, one round trip: every view of a kept page asks.
    sql << "SELECT CAST(m AS TEXT), (SELECT count(*) FROM case_history WHERE recorded_at = m),"
           " (SELECT max(id) FROM audit_log) FROM (SELECT max(recorded_at) AS m FROM case_history) x",
        soci::into(newest_event, event_ind), soci::into(at_newest), soci::into(newest_action, action_ind);
    return fmt::format("{}#{}|{}", event_ind == soci::i_ok ? newest_event : "", at_newest,
                       action_ind == soci::i_ok ? newest_action : 0);
  });
}

template <class Report, class Make>
std::shared_ptr<const Report> ReportCache::find_or_make(const std::string& key, bool heavy, Make&& make) {
  {
    std::lock_guard lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->key == key) {
        entries_.splice(entries_.begin(), entries_, it);
        return std::static_pointer_cast<const Report>(entries_.front().report);
      }
    }
  }
  // Made outside the lock: other reports are not held up by this one.
  auto made = std::make_shared<const Report>(make());
  std::lock_guard lock(mutex_);
  ++made_;
  entries_.push_front(Entry{key, made, heavy});
  while (entries_.size() > capacity_) entries_.pop_back();
  // The least recently used heavy ones go first beyond their own share.
  std::size_t heavy_kept = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->heavy && ++heavy_kept > heavy_capacity_) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  return made;
}

std::shared_ptr<const KpiReport> ReportCache::kpis(workflow::Database& db, const workflow::Calendar& calendar,
                                                   const KpiScope& scope, std::chrono::year_month_day today) {
  return kpis(db, calendar, scope, today, data_version(db));
}

std::shared_ptr<const KpiReport> ReportCache::kpis(workflow::Database& db, const workflow::Calendar& calendar,
                                                   const KpiScope& scope, std::chrono::year_month_day today,
                                                   const std::string& version) {
  const std::string key = "kpis|" + scope_key(scope, today) + "|" + version;
  return find_or_make<KpiReport>(key, scope.with_references, [&] { return kpi_report(db, calendar, scope, today); });
}

std::shared_ptr<const ProgressReport> ReportCache::progress(workflow::Database& db,
                                                            const workflow::Calendar& calendar, const KpiScope& scope,
                                                            const Quarter& quarter,
                                                            std::chrono::year_month_day today) {
  const std::string key = "progress|" + quarter.id() + "|" + scope_key(scope, today) + "|" + data_version(db);
  return find_or_make<ProgressReport>(key, scope.with_references,
                                      [&] { return progress_report(db, calendar, scope, quarter, today); });
}

std::shared_ptr<const boost::json::object> ReportCache::model(workflow::Database& db, const std::string& key,
                                                              const std::function<boost::json::object()>& make) {
  return model(key, make, data_version(db));
}

std::shared_ptr<const boost::json::object> ReportCache::model(const std::string& key,
                                                              const std::function<boost::json::object()>& make,
                                                              const std::string& version) {
  return find_or_make<boost::json::object>("model|" + key + "|" + version, false, make);
}

void ReportCache::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

std::size_t ReportCache::made() const {
  std::lock_guard lock(mutex_);
  return made_;
}

}  // namespace s2s::cases
