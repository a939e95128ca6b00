#pragma once

#include <signal.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/http_client.h"
#include "tests/support/process.h"

// A real SMTP server for tests: tests/support/smtp_sink.py (aiosmtpd, Debian's
// python3-aiosmtpd) as a child process; or, given "http_sink.py", a real HTTP
// receiver for webhooks. Needs S2S_SOURCE_DIR defined.
namespace s2s::testing {

// aiosmtpd on a free port, writing what it accepts into a folder.
class SmtpSink {
 public:
  explicit SmtpSink(const std::string& script = "smtp_sink.py")
      : folder_(std::filesystem::temp_directory_path() /
                ("s2s_smtp_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++))),
        port_(free_port()) {
    std::filesystem::create_directories(folder_);
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"/usr/bin/python3", std::string(S2S_SOURCE_DIR) + "/tests/support/" + script, "--port",
                                 std::to_string(port_), "--folder", folder_.string()});
    if (!process_->wait_for_stderr("listening on")) {
      throw std::runtime_error("the SMTP sink did not start: " + process_->stderr_text());
    }
  }
  ~SmtpSink() {
    process_->signal(SIGTERM);
    process_->wait();
    std::filesystem::remove_all(folder_);
  }
  // Waits until the server has stored its `n`th message (1, 2, ...): its
  // file, which the server renames into place whole; false after `timeout`.
  bool wait_for_stored(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(30)) const {
    char name[32];
    std::snprintf(name, sizeof name, "%04zu.json", n);
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!std::filesystem::exists(folder_ / name)) {
      if (std::chrono::steady_clock::now() >= until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }
  // While on, each message is stored but never answered.
  void slow(bool on) {
    if (on) {
      std::ofstream(folder_ / "slow") << "30";
    } else {
      std::filesystem::remove(folder_ / "slow");
    }
  }
  void refuse(bool on) {
    if (on) {
      std::ofstream(folder_ / "refuse") << "451";
    } else {
      std::filesystem::remove(folder_ / "refuse");
    }
  }
  [[nodiscard]] std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  // For the HTTP sink: the status its next answers carry.
  void answer(int status) { std::ofstream(folder_ / "status") << status; }
  // The accepted messages, in order.
  [[nodiscard]] std::vector<boost::json::object> messages() const {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(folder_)) {
      if (entry.path().extension() == ".json") files.push_back(entry.path());
    }
    // By number: 0999 before 1000, and 9999 before 10000.
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
      const auto x = a.filename().string();
      const auto y = b.filename().string();
      return x.size() != y.size() ? x.size() < y.size() : x < y;
    });
    std::vector<boost::json::object> out;
    for (const auto& f : files) {
      std::ifstream in(f);
      const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      out.push_back(boost::json::parse(text).as_object());
    }
    return out;
  }

 private:
  static inline int counter_ = 0;
  std::filesystem::path folder_;
  std::uint16_t port_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace s2s::testing
