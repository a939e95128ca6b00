#include "web/link_mailer.h"

#include <spdlog/spdlog.h>

#include "notifications/templates.h"
#include "workflow/sha256.h"

namespace s2s::web {

LinkMailer::LinkMailer(notifications::SmtpOptions smtp, std::string public_url, std::chrono::minutes valid_for,
                       std::size_t capacity)
    : mailer_(std::move(smtp)), public_url_(std::move(public_url)), valid_for_(valid_for), capacity_(capacity) {
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

bool LinkMailer::send(const std::string& to, const std::string& to_name, const std::string& token) {
  {
    const std::lock_guard lock(mutex_);
    if (queue_.size() >= capacity_) return false;
    queue_.push_back(Item{to, to_name, token});
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
      const auto rendered = notifications::render(
          "sign_in_link",
          {{"recipient_name", item.to_name}, {"link", link_for(public_url_, item.token)}, {"valid_for", std::to_string(valid_for_.count()) + " minutes"}});
      notifications::Email email;
      email.message_id = "<sign-in-" + workflow::sha256_hex(item.token).substr(0, 24) + ".s2s@localhost>";
      email.to = item.to;
      email.to_name = item.to_name;
      email.subject = rendered.subject;
      email.text = rendered.text;
      email.html = rendered.html;
      mailer_.send(email);
      spdlog::info("sign-in link sent to user {}", item.to);
    } catch (const std::exception& e) {
      // The person asks again; the error names the server's answer, never the link.
      spdlog::warn("sign-in link to {} not sent: {}", item.to, e.what());
    }
  }
}

}  // namespace s2s::web
