#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cases/sign_in.h"
#include "notifications/mailer.h"
#include "workflow/database.h"

// Makes and emails sign-in links off the request's thread: the page that asks
// for one only queues the address, so it answers in the same time whether or
// not the address is known (looking it up, storing the link and sending the
// email all happen here). The queue is bounded and held in memory: a request
// lost to a restart is simply made again.
namespace s2s::web {

class LinkMailer {
 public:
  LinkMailer(std::shared_ptr<workflow::Database> db, notifications::SmtpOptions smtp, std::string public_url,
             cases::SessionPolicy policy, std::size_t capacity = 1000);
  LinkMailer(const LinkMailer&) = delete;
  LinkMailer& operator=(const LinkMailer&) = delete;
  ~LinkMailer();

  // Queues a request for a link to `next_path` for whoever has this email;
  // false (and nothing queued) when the queue is full.
  bool request(const std::string& email, const std::string& next_path);

  // The link a token opens: PUBLIC_URL/sign-in/link?token=TOKEN (in the query,
  // which the server never logs).
  [[nodiscard]] static std::string link_for(const std::string& public_url, const std::string& token);

 private:
  struct Item {
    std::string email;
    std::string next_path;
  };
  void run();
  void make_and_send(const Item& item);

  std::shared_ptr<workflow::Database> db_;
  notifications::Mailer mailer_;
  std::string public_url_;
  cases::SessionPolicy policy_;
  std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace s2s::web
