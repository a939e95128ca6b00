#include "web/link_mailer.h"

#include <spdlog/spdlog.h>

#include "notifications/templates.h"
#include "workflow/sha256.h"

namespace s2s::web {

LinkMailer::LinkMailer(std::shared_ptr<workflow::Database> db, notifications::SmtpOptions smtp,
                       std::string public_url, cases::SessionPolicy policy, std::size_t capacity)
    : db_(std::move(db)),
      mailer_(std::move(smtp)),
      public_url_(std::move(public_url)),
      policy_(policy),
      capacity_(capacity) {
  worker_ = std::thread([this] { run(); });
}

LinkMailer::~LinkMailer() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

std::string LinkMailer::link_for(const std::string& public_url, const std::string& token) {
  return public_url + "/sign-in/link?token=" + token;
}

bool LinkMailer::request(const std::string& email, const std::string& next_path) {
  {
    const std::lock_guard lock(mutex_);
    if (queue_.size() >= capacity_) return false;
    queue_.push_back(Item{email, next_path});
  }
  wake_.notify_one();
  return true;
}

void LinkMailer::run() {
  while (true) {
    Item item;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to send
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      make_and_send(item);
    } catch (const std::exception& e) {
      // The person asks again; the error names the server's answer, never the link.
      spdlog::warn("sign-in link not sent: {}", e.what());
    }
  }
}

void LinkMailer::make_and_send(const Item& item) {
  const auto link =
      cases::create_sign_in_link(*db_, item.email, item.next_path, std::chrono::system_clock::now(), policy_);
  if (!link) return;  // nobody has this address, or it has had its links for the hour: nothing is said
  const auto rendered = notifications::render(
      "sign_in_link", {{"recipient_name", link->user.name},
                       {"link", link_for(public_url_, link->token)},
                       {"valid_for", std::to_string(policy_.link_lifetime.count()) + " minutes"}});
  notifications::Email email;
  email.message_id = "<sign-in-" + workflow::sha256_hex(link->token).substr(0, 24) + ".s2s@localhost>";
  email.to = link->user.email;
  email.to_name = link->user.name;
  email.subject = rendered.subject;
  email.text = rendered.text;
  email.html = rendered.html;
  mailer_.send(email);
  spdlog::info("sign-in link sent to user {}", link->user.id);
}

}  // namespace s2s::web
