#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "notifications/mailer.h"

// Sends sign-in links by email off the request's thread, so that asking for a
// link takes the same time whether or not the address is known. The queue is
// bounded and held in memory: a link lost to a restart is asked for again.
namespace s2s::web {

class LinkMailer {
 public:
  LinkMailer(notifications::SmtpOptions smtp, std::string public_url, std::chrono::minutes valid_for,
             std::size_t capacity = 1000);
  LinkMailer(const LinkMailer&) = delete;
  LinkMailer& operator=(const LinkMailer&) = delete;
  ~LinkMailer();

  // Queues the email with the link for `token`; false (and nothing queued)
  // when the queue is full. Never logs the token.
  bool send(const std::string& to, const std::string& to_name, const std::string& token);

  // The link a token opens: PUBLIC_URL/sign-in/link?token=TOKEN (in the query,
  // which the server never logs).
  [[nodiscard]] static std::string link_for(const std::string& public_url, const std::string& token);

 private:
  struct Item {
    std::string to;
    std::string to_name;
    std::string token;
  };
  void run();

  notifications::Mailer mailer_;
  std::string public_url_;
  std::chrono::minutes valid_for_;
  std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace s2s::web
