#include "workflow/timer_service.h"

#include <unistd.h>

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <random>
#include <thread>

namespace s2s::workflow {
namespace {

std::string default_owner() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::random_device rd;
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + std::to_string(rd() % 100000);
}

}  // namespace

struct TimerService::Impl {
  Impl(Engine& e, TimerServiceOptions o) : engine(e), options(std::move(o)), timer(ioc) {
    if (options.owner.empty()) options.owner = default_owner();
  }

  Engine& engine;
  TimerServiceOptions options;
  boost::asio::io_context ioc;
  boost::asio::steady_timer timer;
  std::thread thread;
  std::chrono::steady_clock::time_point last_reload = std::chrono::steady_clock::now();

  FireReport run_until_idle() {
    FireReport total;
    for (;;) {
      const FireReport round = engine.fire_due_timers(options.owner, options.batch, options.lease);
      total.claimed += round.claimed;
      total.fired += round.fired;
      total.skipped += round.skipped;
      total.failed += round.failed;
      if (round.claimed > 0) {
        spdlog::debug("timers: a round fired {} of the {} it took", round.fired, round.claimed);
      }
      // A round smaller than the batch has taken everything that was due.
      if (round.claimed < options.batch) return total;
    }
  }

  void tick() {
    try {
      if (std::chrono::steady_clock::now() - last_reload >= options.calendar_reload) {
        engine.reload_calendar();
        last_reload = std::chrono::steady_clock::now();
      }
      const auto report = run_until_idle();
      if (report.claimed > 0) {
        spdlog::info("timers: fired {}, skipped {}, failed {}", report.fired, report.skipped, report.failed);
      }
    } catch (const std::exception& e) {
      // The database may be down: keep polling, the timers are durable.
      spdlog::warn("timers: {}", e.what());
    }
    timer.expires_after(options.poll_interval);
    timer.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) tick();
    });
  }
};

TimerService::TimerService(Engine& engine, TimerServiceOptions options)
    : impl_(std::make_unique<Impl>(engine, std::move(options))) {}

TimerService::~TimerService() { stop(); }

FireReport TimerService::run_until_idle() { return impl_->run_until_idle(); }

void TimerService::start() {
  if (impl_->thread.joinable()) return;
  impl_->ioc.restart();
  boost::asio::post(impl_->ioc, [this] { impl_->tick(); });
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
  spdlog::info("timers: polling every {} ms as {}", impl_->options.poll_interval.count(), impl_->options.owner);
}

void TimerService::stop() {
  if (!impl_->thread.joinable()) return;
  boost::asio::post(impl_->ioc, [this] {
    impl_->timer.cancel();
    impl_->ioc.stop();
  });
  impl_->thread.join();
}

const std::string& TimerService::owner() const noexcept { return impl_->options.owner; }

}  // namespace s2s::workflow
