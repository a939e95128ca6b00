// The admin console's schools register (docs/web.md): uploading the GIAS
// extract. The upload starts an import on its own thread and the browser
// follows it on a page that shows how far it has got (its script moves the
// bar; without script a link checks again) until the import report is in:
// rows read, schools new, changed and unchanged, and each line refused with why.
#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "cases/gias_import.h"
#include "web/page.h"
#include "workflow/audit.h"
#include "workflow/engine.h"
#include "workflow/errors.h"
#include "workflow/text.h"
#include "workflow/timestamp.h"

namespace s2s::web {
namespace {

namespace json = boost::json;

// Imports started from the console: one at a time, each on its own thread;
// the last few kept (in memory: a restart forgets them, the schools stay).
class ImportJobs {
 public:
  struct Job {
    int id = 0;
    std::string file_name;
    std::string started_by;
    std::string started_at;  // workflow/timestamp.h's form
    std::size_t done = 0;    // rows checked
    std::size_t total = 0;   // rows in the file, once read
    bool finished = false;
    std::optional<cases::GiasImportReport> report;
    std::string error;  // why nothing was imported
  };

  explicit ImportJobs(api::App& app) : app_(app) {}
  ImportJobs(const ImportJobs&) = delete;
  ImportJobs& operator=(const ImportJobs&) = delete;
  ~ImportJobs() {
    if (thread_.joinable()) thread_.join();
  }

  // Starts importing `bytes`; nullopt while another import runs.
  // `actor` is recorded in the audit trail with the import's outcome.
  std::optional<int> start(std::string bytes, std::string file_name, std::string started_by, std::string actor,
                           std::string now) {
    std::lock_guard lock(mutex_);
    if (!jobs_.empty() && !jobs_.back().finished) return std::nullopt;
    if (thread_.joinable()) thread_.join();  // the last one has finished
    Job job;
    job.id = next_id_++;
    job.file_name = std::move(file_name);
    job.started_by = std::move(started_by);
    job.started_at = std::move(now);
    jobs_.push_back(job);
    if (jobs_.size() > kKept) jobs_.pop_front();
    thread_ = std::thread([this, id = job.id, bytes = std::move(bytes), actor = std::move(actor)] {
      run(id, bytes, actor);
    });
    return job.id;
  }

  // The job as it stands; with `wait`, as it stands once it has finished or
  // `wait` has passed, whichever comes first.
  [[nodiscard]] std::optional<Job> find(int id, std::chrono::milliseconds wait = {}) const {
    std::unique_lock lock(mutex_);
    const auto of = [&]() -> const Job* {
      for (const auto& j : jobs_) {
        if (j.id == id) return &j;
      }
      return nullptr;
    };
    finished_.wait_for(lock, wait, [&] {
      const Job* j = of();
      return j == nullptr || j->finished;
    });
    const Job* j = of();
    return j != nullptr ? std::optional<Job>(*j) : std::nullopt;
  }

  [[nodiscard]] std::vector<Job> recent() const {
    std::lock_guard lock(mutex_);
    return {jobs_.rbegin(), jobs_.rend()};
  }

 private:
  static constexpr std::size_t kKept = 10;

  Job* job(int id) {
    for (auto& j : jobs_) {
      if (j.id == id) return &j;
    }
    return nullptr;
  }

  void run(int id, const std::string& bytes, const std::string& actor) {
    std::optional<cases::GiasImportReport> report;
    std::string error;
    try {
      report = cases::import_gias(
          *app_.db, bytes,
          [this, id](std::size_t done, std::size_t total) {
            std::lock_guard lock(mutex_);
            if (Job* j = job(id)) {
              j->done = done;
              j->total = total;
            }
          },
          500);
    } catch (const workflow::Error& e) {
      error = e.what();
    } catch (const std::exception& e) {
      spdlog::error("GIAS import {} failed: {}", id, e.what());
      error = "the server could not finish it; the error is in its log";
    }
    std::string file_name;
    {
      std::lock_guard lock(mutex_);
      if (Job* j = job(id)) file_name = j->file_name;
    }
    try {
      workflow::record_audit(*app_.db,
                             {actor, "schools.import", file_name,
                              report ? fmt::format("{} rows: {} new, {} changed, {} refused", report->rows,
                                                   report->inserted, report->updated, report->skipped)
                                     : "not imported: " + error},
                             app_.engine->now());
    } catch (const std::exception& e) {
      spdlog::error("GIAS import {}: not recorded in the audit trail: {}", id, e.what());
    }
    {
      std::lock_guard lock(mutex_);
      if (Job* j = job(id)) {
        j->report = std::move(report);
        j->error = std::move(error);
        j->finished = true;
      }
    }
    finished_.notify_all();
  }

  api::App& app_;
  mutable std::mutex mutex_;
  mutable std::condition_variable finished_;  // told when a job finishes
  std::deque<Job> jobs_;
  int next_id_ = 1;
  std::thread thread_;
};

std::string progress_text(const ImportJobs::Job& job) {
  if (job.finished) return "Done";
  if (job.total == 0) return "Reading the file";
  if (job.done < job.total) return "Checked " + thousands(job.done) + " of " + thousands(job.total) + " rows";
  return "Saving " + thousands(job.total) + " rows to the register";
}

std::string outcome(const ImportJobs::Job& job) {
  if (!job.finished) return "Importing";
  if (!job.error.empty()) return "Not imported";
  return fmt::format("{} rows: {} new, {} changed, {} refused", thousands(job.report->rows),
                     thousands(job.report->inserted), thousands(job.report->updated),
                     thousands(job.report->skipped));
}

api::HttpResponse schools_form(PageContext& ctx, ImportJobs& jobs, const std::string& error, int status) {
  json::array recent;
  for (const auto& j : jobs.recent()) {
    recent.push_back(json::object{{"href", "/admin/schools/import/" + std::to_string(j.id)},
                                  {"file", j.file_name},
                                  {"by", j.started_by},
                                  {"when", long_date_time(j.started_at)},
                                  {"outcome", outcome(j)}});
  }
  return page(ctx, "admin_schools",
              json::object{{"title", error.empty() ? "Schools register" : "Error: Schools register"},
                           {"error", error},
                           {"recent", recent},
                           {"any", !recent.empty()}},
              status);
}

api::HttpResponse import_page(PageContext& ctx, ImportJobs& jobs) {
  admins_only(ctx);
  int id = 0;
  const std::string& text = ctx.param("id");
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  // The progress answer may wait for the import to finish (wait_ms, at most
  // 5 s): a client following it need not ask again and again.
  std::chrono::milliseconds wait{};
  if (ctx.request.path.ends_with("/progress")) {
    const std::string asked = query_value(ctx.request.query, "wait_ms");
    if (!asked.empty() && asked.size() <= 4 && asked.find_first_not_of("0123456789") == std::string::npos) {
      wait = std::chrono::milliseconds(std::min(std::stoi(asked), 5000));
    }
  }
  const auto job = ec == std::errc() && ptr == text.data() + text.size() ? jobs.find(id, wait) : std::nullopt;
  if (!job) {
    throw PageRefusal{404, "Page not found",
                      "That import is no longer shown (the server keeps the last ten until it restarts). The schools "
                      "it imported are on the register."};
  }
  json::object model{{"title", "Import of " + job->file_name},
                     {"file", job->file_name},
                     {"by", job->started_by},
                     {"when", long_date_time(job->started_at)}};
  const std::string href = "/admin/schools/import/" + std::to_string(job->id);
  if (ctx.request.path.ends_with("/progress")) {
    // How far it has got, for the page's script to move its bar.
    api::HttpResponse response = api::HttpResponse::json(
        200, json::serialize(json::object{{"finished", job->finished},
                                          {"done", job->done},
                                          {"total", job->total},
                                          {"text", progress_text(*job)}}));
    add_security_headers(response);
    return response;
  }
  if (!job->finished) {
    model["running"] = true;
    model["href"] = href;
    model["progress_href"] = href + "/progress";
    model["done"] = std::to_string(job->done);
    model["total"] = std::to_string(std::max<std::size_t>(job->total, 1));
    model["progress"] = progress_text(*job);
    return page(ctx, "admin_school_import", std::move(model));
  }
  if (!job->error.empty()) {
    model["error"] = job->error;
    return page(ctx, "admin_school_import", std::move(model));
  }
  const auto& r = *job->report;
  constexpr std::size_t kShown = 500;
  json::array problems;
  for (std::size_t i = 0; i < r.problems.size() && i < kShown; ++i) {
    const std::string& p = r.problems[i];
    const auto colon = p.find(": ");
    const bool has_line = p.starts_with("line ") && colon != std::string::npos;
    problems.push_back(json::object{{"line", has_line ? p.substr(5, colon - 5) : std::string()},
                                    {"problem", has_line ? p.substr(colon + 2) : p}});
  }
  const char* encoding = r.encoding == cases::TextEncoding::utf8       ? "UTF-8"
                         : r.encoding == cases::TextEncoding::utf8_bom ? "UTF-8 (with a byte order mark)"
                                                                       : "Windows-1252";
  model["report"] = json::object{{"rows", thousands(r.rows)},
                                 {"inserted", thousands(r.inserted)},
                                 {"updated", thousands(r.updated)},
                                 {"unchanged", thousands(r.unchanged)},
                                 {"skipped", thousands(r.skipped)},
                                 {"encoding", encoding},
                                 {"problems", problems},
                                 {"any_problems", !problems.empty()},
                                 {"more", r.problems.size() > kShown ? thousands(r.problems.size() - kShown)
                                                                      : std::string()}};
  return page(ctx, "admin_school_import", std::move(model));
}

}  // namespace

void register_school_import_pages(api::Router& router, api::App& app, const WebOptions& options,
                                  LinkMailer* mailer) {
  // The router's handlers share the jobs, and the last handler to go joins
  // the import thread: before the database the app holds is closed.
  auto jobs = std::make_shared<ImportJobs>(app);
  add_page(router, app, options, mailer, "GET", "/admin/schools", Access::signed_in, [jobs](PageContext& ctx) {
    admins_only(ctx);
    return schools_form(ctx, *jobs, "", 200);
  });
  add_page(router, app, options, mailer, "POST", "/admin/schools/import", Access::signed_in,
           [jobs](PageContext& ctx) {
             admins_only(ctx);
             const MultipartPart* file = nullptr;
             for (const auto& f : ctx.files) {
               if (f.name == "extract") file = &f;
             }
             if (file == nullptr || file->filename.value_or("").empty()) {
               return schools_form(ctx, *jobs, "Choose the GIAS extract to upload", 400);
             }
             if (file->data.empty()) return schools_form(ctx, *jobs, "The file you chose is empty", 400);
             std::string name = *file->filename;
             if (name.size() > 200 || !workflow::valid_utf8(name)) name = "the uploaded file";
             const auto id = jobs->start(std::string(file->data), name, ctx.user().name, ctx.actor.name,
                                         workflow::format_timestamp(ctx.app.engine->now()));
             if (!id) {
               return schools_form(ctx, *jobs, "An import is already running: wait for it to finish, then upload",
                                   409);
             }
             spdlog::info("GIAS import {} of {} bytes started by user {}", *id, file->data.size(), ctx.user().id);
             return redirect(ctx, "/admin/schools/import/" + std::to_string(*id));
           });
  add_page(router, app, options, mailer, "GET", "/admin/schools/import/{id}", Access::signed_in,
           [jobs](PageContext& ctx) { return import_page(ctx, *jobs); });
  add_page(router, app, options, mailer, "GET", "/admin/schools/import/{id}/progress", Access::signed_in,
           [jobs](PageContext& ctx) { return import_page(ctx, *jobs); });
}

}  // namespace s2s::web
