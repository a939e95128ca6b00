#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>

#include "cases/kpis.h"
#include "cases/progress_report.h"

// Reports made once for a scope and a state of the data (docs/kpis.md,
// Cost): a report costs a good part of a second over a large year, and the
// same one is asked for again and again (a page reloaded, the strategic
// group each opening it). A report is kept under its scope, its day and the
// data's version, so any recorded change (an event, a correction, an
// administrator's change) makes the next one fresh. Thread-safe.
namespace s2s::cases {

// The state of the data the reports count: the newest case event (with how
// many share its instant) and the newest administrative change. Cheap: both
// are read through their recorded_at indexes.
[[nodiscard]] std::string data_version(workflow::Database& db);

class ReportCache {
 public:
  // At most `capacity` reports, of which at most `heavy_capacity` list the
  // cases behind each KPI (over a large year those run to megabytes).
  explicit ReportCache(std::size_t capacity = 64, std::size_t heavy_capacity = 4)
      : capacity_(capacity), heavy_capacity_(heavy_capacity) {}
  ReportCache(const ReportCache&) = delete;
  ReportCache& operator=(const ReportCache&) = delete;

  // As kpi_report and progress_report, from the cache when the same report
  // was made for the same data.
  [[nodiscard]] std::shared_ptr<const KpiReport> kpis(workflow::Database& db, const workflow::Calendar& calendar,
                                                      const KpiScope& scope, std::chrono::year_month_day today);
  // The same for a data version the caller read (data_version), so that a
  // page keeping several things reads it once.
  [[nodiscard]] std::shared_ptr<const KpiReport> kpis(workflow::Database& db, const workflow::Calendar& calendar,
                                                      const KpiScope& scope, std::chrono::year_month_day today,
                                                      const std::string& version);
  [[nodiscard]] std::shared_ptr<const ProgressReport> progress(workflow::Database& db,
                                                               const workflow::Calendar& calendar,
                                                               const KpiScope& scope, const Quarter& quarter,
                                                               std::chrono::year_month_day today);

  // A page's model made from the data (the lead's dashboard), kept under
  // `key`, which names everything else it depends on (who asks, the day), and
  // the data's version, as a report is: `make` runs when none is kept.
  [[nodiscard]] std::shared_ptr<const boost::json::object> model(workflow::Database& db, const std::string& key,
                                                                const std::function<boost::json::object()>& make);
  [[nodiscard]] std::shared_ptr<const boost::json::object> model(const std::string& key,
                                                                const std::function<boost::json::object()>& make,
                                                                const std::string& version);

  // How many reports were made rather than found.
  [[nodiscard]] std::size_t made() const;
  // Forgets every report: for data written other than through the engine or
  // an audited change (a test's own SQL, a restore).
  void clear();

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const void> report;
    bool heavy = false;
  };
  template <class Report, class Make>
  std::shared_ptr<const Report> find_or_make(const std::string& key, bool heavy, Make&& make);

  std::size_t capacity_;
  std::size_t heavy_capacity_;
  mutable std::mutex mutex_;
  std::list<Entry> entries_;  // most recently used first
  std::size_t made_ = 0;
};

}  // namespace s2s::cases
