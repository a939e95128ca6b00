#include "cli/command_list.h"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <tuple>
#include <utility>

#include "api/app.h"
#include "api/router.h"
#include "api/server.h"
#include "cases/forecast_digest.h"
#include "cases/kinds.h"
#include "cases/recipients.h"
#include "cli/notifications.h"
#include "cli/timers.h"
#include "notifications/dispatcher.h"
#include "notifications/templates.h"
#include "web/link_mailer.h"
#include "web/web.h"
#include "workflow/database.h"
#include "workflow/engine.h"
#include "workflow/migrations.h"
#include "workflow/timer_service.h"
#include "workflow/text.h"

namespace s2s::cli {
namespace serve_commands {

std::pair<std::string, std::uint16_t> parse_listen(const Settings& settings) {
  const std::string listen = settings.require("listen");
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    throw UsageError(settings.source("listen") + ": listen must be HOST:PORT, got '" + listen + "'");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port_text = listen.substr(colon + 1);
  char* end = nullptr;
  const long port = std::strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || port < 0 || port > 65535) {
    throw UsageError(settings.source("listen") + ": port must be 0 to 65535, got '" + port_text + "'");
  }
  return {host, static_cast<std::uint16_t>(port)};
}

int run_serve(const Settings& settings) {
  // A page of a hundred kilobytes or more is made and freed on every request.
  // By default glibc hands such memory back to the kernel as soon as it is
  // freed and takes it again, page by page, on the next request; this keeps
  // up to 32 MB a worker for reuse (docs/performance.md).
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  mallopt(M_TRIM_THRESHOLD, 32 << 20);
  api::ServerOptions options;
  std::tie(options.host, options.port) = parse_listen(settings);
  options.io_threads = static_cast<std::size_t>(settings.integer("io-threads", 1, 64));
  // More handler threads than this only queue for the cores (docs/performance.md).
  options.worker_threads = static_cast<std::size_t>(
      settings.integer_or_auto("workers", 1, 256, static_cast<long long>(handler_threads_for_machine())));
  options.max_connections = static_cast<std::size_t>(settings.integer("max-connections", 1, 100000));
  options.max_connections_per_client =
      static_cast<std::size_t>(settings.integer("max-connections-per-client", 1, 100000));
  if (const auto proxies = settings.get("trusted-proxy"); proxies && !proxies->empty()) {
    for (const auto proxy : workflow::split_list(*proxies)) options.trusted_proxies.emplace_back(proxy);
  }
  options.max_body_bytes = static_cast<std::size_t>(settings.integer("max-body-bytes", 1024, 1LL << 30));
  options.read_timeout = std::chrono::milliseconds(settings.integer("read-timeout-ms", 100, 3600000));
  options.write_timeout = std::chrono::milliseconds(settings.integer("write-timeout-ms", 100, 3600000));
  options.idle_timeout = std::chrono::milliseconds(settings.integer("idle-timeout-ms", 100, 3600000));
  options.shutdown_grace = std::chrono::milliseconds(settings.integer("shutdown-grace-ms", 0, 3600000));

  options.max_upload_bytes = static_cast<std::size_t>(settings.integer("max-upload-bytes", 1024, 1LL << 32));
  options.upload_paths = web::upload_paths();
  options.upload_read_timeout = std::chrono::milliseconds(settings.integer("upload-timeout-ms", 1000, 3600000));

  api::App app;
  app.options.max_page_size = static_cast<int>(settings.integer("max-page-size", 1, 10000));
  app.options.default_page_size = std::min(app.options.default_page_size, app.options.max_page_size);
  app.options.rate_per_second = static_cast<double>(settings.integer("rate-limit", 1, 1000000));
  app.options.rate_burst = static_cast<double>(settings.integer("rate-burst", 1, 1000000));
  app.options.public_url = settings.get("public-url").value_or("http://127.0.0.1:8080");
  app.options.webhooks_to_private_addresses = settings.enabled("webhooks-to-private-addresses");
  auto engine_options = engine_options_of(settings);  // a bad setting is named before the database is touched
  app.db = open_database(settings);
  if (!settings.enabled("no-migrate")) {
    const auto applied = workflow::migrate(*app.db, workflow::bundled_migrations(app.db->backend()));
    if (!applied.empty()) spdlog::info("applied {} migration(s)", applied.size());
  } else {
    // Still refuse to serve on a database whose applied migrations were edited.
    (void)workflow::migration_status(*app.db, workflow::bundled_migrations(app.db->backend()));
  }
  app.engine = make_engine(std::move(engine_options), app.db);
  std::unique_ptr<workflow::TimerService> timers;
  if (!settings.enabled("no-timers")) {
    timers = std::make_unique<workflow::TimerService>(*app.engine, timer_options(settings));
    timers->start();
  }
  std::unique_ptr<cases::ForecastDigests> forecasts;
  std::unique_ptr<notifications::Dispatcher> dispatcher;
  std::unique_ptr<notifications::DispatchService> dispatch;
  notifications::check_templates();  // a broken template stops s2sd now, not when a message is due
  if (settings.get("smtp-url")) {
    auto options = dispatcher_options(settings);
    // The monthly forecast to the leads goes out on the dispatcher's rounds, with its mail server.
    forecasts = std::make_unique<cases::ForecastDigests>(
        *app.db, *app.engine,
        cases::ForecastDigestOptions{options.public_url, options.message_id_domain, options.digest_at,
                                     options.retry(), options.lease, "s2sd"});
    options.each_round = [f = forecasts.get()](const notifications::Mailer& mailer,
                                                std::chrono::system_clock::time_point now) {
      const auto r = f->run_once(mailer, now);
      if (r.sent > 0) spdlog::info("the monthly forecast went to {} lead(s)", r.sent);
    };
    dispatcher = std::make_unique<notifications::Dispatcher>(app.db, cases::all_kinds(), cases::directory(),
                                                             make_mailer(settings), std::move(options));
    dispatch = std::make_unique<notifications::DispatchService>(
        *dispatcher, std::chrono::milliseconds(settings.integer("notify-poll-ms", 100, 3600000)));
    dispatch->start();
  } else {
    spdlog::warn("notifications are not sent: no --smtp-url (they wait in the outbox)");
  }
  web::WebOptions web_options;
  web_options.secure_cookies = app.options.public_url.starts_with("https://");
  web_options.sessions.idle = std::chrono::minutes(settings.integer("session-idle-minutes", 5, 24 * 60));
  web_options.sessions.absolute = std::chrono::hours(settings.integer("session-hours", 1, 24 * 30));
  web_options.cold_spot_days = static_cast<double>(settings.integer("cold-spot-days", 0, 365));
  std::unique_ptr<web::LinkMailer> link_mailer;
  if (settings.get("smtp-url")) {
    link_mailer = std::make_unique<web::LinkMailer>(app.db, make_mailer(settings).options(), app.options.public_url,
                                                    web_options.sessions);
  } else {
    spdlog::warn("sign-in links are not emailed: no --smtp-url ('s2sd user sign-in-link EMAIL' prints one)");
  }
  api::Router router;
  api::register_routes(router, app);
  web::register_web_routes(router, app, web_options, link_mailer.get());
  options.may_upload = web::may_upload(app, web_options);
  api::HttpServer server(options, api::make_handler(router, app));
  spdlog::info("s2sd {} serving http://{}:{} with {} database {} (memory: {})", version(), options.host, server.port(),
               workflow::to_string(app.db->backend()), app.db->url().redacted, memory_allocator());
  server.run();
  if (timers) timers->stop();
  if (dispatch) dispatch->stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace serve_commands

}  // namespace s2s::cli
