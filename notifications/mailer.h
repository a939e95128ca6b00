#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

// Email over SMTP with libcurl: smtp:// (STARTTLS when the server offers it)
// or smtps://, with an optional login. Thread-safe: each send is its own
// connection.
namespace s2s::notifications {

struct SmtpOptions {
  std::string url;       // smtp://host:port or smtps://host:port
  std::string user;      // empty: no login
  std::string password;  // never logged
  std::string from = "s2s <s2s@localhost>";
  std::chrono::milliseconds timeout{15000};  // the whole exchange
};

struct Email {
  std::string message_id;  // "<outbox-42.s2s@localhost>": the same for every send of one message
  std::string to;          // one address
  std::string to_name;
  std::string subject;
  std::string text;
  std::string html;
};

// The server refused the message or could not be reached: what() says how.
class DeliveryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Mailer {
 public:
  // Throws workflow::ConfigError for a URL that is not smtp:// or smtps://.
  explicit Mailer(SmtpOptions options);
  // Sends one message; throws DeliveryError (also for an address or name
  // with control characters, or an address with spaces or angle brackets).
  void send(const Email& email) const;
  // The RFC 5322 text sent (headers, a multipart/alternative body), for tests.
  [[nodiscard]] std::string format(const Email& email) const;
  [[nodiscard]] const SmtpOptions& options() const noexcept { return options_; }
  // The server's URL without any user or password in it: safe in logs and records.
  [[nodiscard]] std::string redacted_url() const;

 private:
  SmtpOptions options_;
};

// Webhook deliveries: a JSON POST signed with HMAC-SHA256 over the body
// (header X-S2S-Signature: sha256=HEX) and naming the delivery (X-S2S-Delivery).
// Any 2xx is success; anything else, or no answer, is a DeliveryError that
// keeps only the status (never the receiver's words). Unless
// `allow_private`, a host that resolves to a loopback, private or link-local
// address is refused as it connects (a DeliveryError), so a webhook cannot
// reach the server's own network.
void post_webhook(const std::string& url, const std::string& secret, const std::string& delivery,
                  const std::string& body, std::chrono::milliseconds timeout, bool allow_private = false);

// Whether an IP address (text, IPv4 or IPv6) is loopback, private, link-local,
// carrier-grade NAT or unspecified: not somewhere a webhook should go.
[[nodiscard]] bool is_private_address(const std::string& ip);

// HMAC-SHA256 of `body` under `secret`, as lower-case hex.
[[nodiscard]] std::string hmac_sha256_hex(const std::string& secret, const std::string& body);

}  // namespace s2s::notifications
