#include "notifications/mailer.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <curl/curl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>
#include <mutex>

#include "workflow/errors.h"

namespace s2s::notifications {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string header_text(const std::string& text);

// Whether `address` can go into RCPT TO and a header as it is.
bool plain_address(const std::string& address) {
  if (address.empty() || address.find('@') == std::string::npos) return false;
  return std::none_of(address.begin(), address.end(), [](char c) {
    return static_cast<unsigned char>(c) < 33 || c == 127 || c == '<' || c == '>' || c == '"' || c == ',';
  });
}

// A display name as a quoted string (or an encoded word when it is not ASCII).
std::string display_name(const std::string& name) {
  const bool plain = std::all_of(name.begin(), name.end(), [](char c) { return c >= 32 && c < 127; });
  if (!plain) return header_text(name);
  std::string out = "\"";
  for (const char c : name) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// An address from "Name <addr>" or "addr".
std::string bare_address(const std::string& from) {
  const auto open = from.find('<');
  const auto close = from.find('>', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) return from;
  return from.substr(open + 1, close - open - 1);
}

// RFC 2047 for a header holding anything but printable ASCII.
std::string header_text(const std::string& text) {
  const bool plain = std::all_of(text.begin(), text.end(), [](char c) { return c >= 32 && c < 127; });
  if (plain) return text;
  static constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  for (std::size_t i = 0; i < text.size(); i += 3) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    const auto b1 = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    const auto b2 = i + 2 < text.size() ? static_cast<unsigned char>(text[i + 2]) : 0;
    encoded += kBase64[b0 >> 2];
    encoded += kBase64[((b0 & 3) << 4) | (b1 >> 4)];
    encoded += i + 1 < text.size() ? kBase64[((b1 & 15) << 2) | (b2 >> 6)] : '=';
    encoded += i + 2 < text.size() ? kBase64[b2 & 63] : '=';
  }
  return "=?UTF-8?B?" + encoded + "?=";
}

// CRLF line ends, as SMTP wants them.
std::string crlf(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '\n') out += '\r';
    if (c != '\r') out += c;
  }
  return out;
}

struct Upload {
  const std::string* text;
  std::size_t sent = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, upload->text->size() - upload->sent);
  std::memcpy(buffer, upload->text->data() + upload->sent, n);
  upload->sent += n;
  return n;
}

}  // namespace

Mailer::Mailer(SmtpOptions options) : options_(std::move(options)) {
  if (!options_.url.starts_with("smtp://") && !options_.url.starts_with("smtps://")) {
    throw workflow::ConfigError("--smtp-url must be smtp://host:port or smtps://host:port");
  }
  global_init();
}

std::string Mailer::format(const Email& email) const {
  const std::string boundary = "s2s-" + std::to_string(std::hash<std::string>{}(email.message_id));
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  std::string out;
  out += "Date: " + fmt::format("{:%a, %d %b %Y %H:%M:%S} +0000", now) + "\n";
  const std::string from_address = bare_address(options_.from);
  const auto open = options_.from.find('<');
  const std::string from_name = open == std::string::npos ? "" : options_.from.substr(0, open);
  std::string trimmed = from_name;
  while (!trimmed.empty() && trimmed.back() == ' ') trimmed.pop_back();
  out += "From: " + (trimmed.empty() ? from_address : display_name(trimmed) + " <" + from_address + ">") + "\n";
  out += "To: " + (email.to_name.empty() ? email.to : display_name(email.to_name) + " <" + email.to + ">") + "\n";
  out += "Subject: " + header_text(email.subject) + "\n";
  out += "Message-ID: " + email.message_id + "\n";
  out += "MIME-Version: 1.0\n";
  out += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\n\n";
  out += "--" + boundary + "\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n";
  out += email.text + "\n";
  out += "--" + boundary + "\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n";
  out += email.html + "\n";
  out += "--" + boundary + "--\n";
  return crlf(out);
}

std::string Mailer::redacted_url() const {
  const auto scheme = options_.url.find("://");
  const auto at = options_.url.find('@', scheme == std::string::npos ? 0 : scheme);
  if (scheme == std::string::npos || at == std::string::npos) return options_.url;
  return options_.url.substr(0, scheme + 3) + "***@" + options_.url.substr(at + 1);
}

void Mailer::send(const Email& email) const {
  if (!plain_address(email.to)) throw DeliveryError("not an email address that can be sent to: '" + email.to + "'");
  if (!plain_address(bare_address(options_.from))) {
    throw DeliveryError("--smtp-from holds no usable address: '" + options_.from + "'");
  }
  const std::string message = format(email);
  CURL* curl = curl_easy_init();
  if (curl == nullptr) throw DeliveryError("libcurl could not start");
  char error[CURL_ERROR_SIZE] = {0};
  curl_slist* recipients = curl_slist_append(nullptr, ("<" + email.to + ">").c_str());
  const std::string from = "<" + bare_address(options_.from) + ">";
  Upload upload{&message};
  curl_easy_setopt(curl, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  // STARTTLS when offered; required when logging in, so a password never travels in clear.
  curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(options_.user.empty() ? CURLUSESSL_TRY : CURLUSESSL_ALL));
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min<long long>(options_.timeout.count(), 5000)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  if (!options_.user.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, options_.user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.password.c_str());
  }
  const CURLcode result = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(recipients);
  curl_easy_cleanup(curl);
  if (result != CURLE_OK) {
    throw DeliveryError(fmt::format("SMTP {}: {} (last reply {})", redacted_url(),
                                    error[0] != '\0' ? error : curl_easy_strerror(result), code));
  }
}

std::string hmac_sha256_hex(const std::string& secret, const std::string& body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

bool is_private_address(const std::string& ip) {
  in_addr v4{};
  if (inet_pton(AF_INET, ip.c_str(), &v4) == 1) {
    const std::uint32_t a = ntohl(v4.s_addr);
    const auto in = [a](std::uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
    return in(0x00000000, 8) || in(0x0A000000, 8) || in(0x7F000000, 8) || in(0xA9FE0000, 16) ||
           in(0xAC100000, 12) || in(0xC0A80000, 16) || in(0x64400000, 10);
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, ip.c_str(), &v6) != 1) return true;  // not an address we know: not to be trusted
  const unsigned char* b = v6.s6_addr;
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  if (std::equal(b, b + 12, kMapped)) {
    return is_private_address(std::to_string(b[12]) + "." + std::to_string(b[13]) + "." + std::to_string(b[14]) + "." +
                              std::to_string(b[15]));
  }
  const bool zero_prefix = std::all_of(b, b + 15, [](unsigned char c) { return c == 0; });
  if (zero_prefix && (b[15] == 0 || b[15] == 1)) return true;  // :: and ::1
  if ((b[0] & 0xFE) == 0xFC) return true;                      // fc00::/7, unique local
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return true;      // fe80::/10, link-local
  return false;
}

namespace {

// Refuses, as curl is about to send, a connection to an address a webhook must not reach.
int refuse_private(void* user, char* conn_primary_ip, char*, int, int) {
  auto* refused = static_cast<std::string*>(user);
  if (is_private_address(conn_primary_ip)) {
    *refused = conn_primary_ip;
    return CURL_PREREQFUNC_ABORT;
  }
  return CURL_PREREQFUNC_OK;
}

}  // namespace

void post_webhook(const std::string& url, const std::string& secret, const std::string& delivery,
                  const std::string& body, std::chrono::milliseconds timeout, bool allow_private) {
  global_init();
  CURL* curl = curl_easy_init();
  if (curl == nullptr) throw DeliveryError("libcurl could not start");
  char error[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, ("X-S2S-Delivery: " + delivery).c_str());
  headers = curl_slist_append(headers, ("X-S2S-Signature: sha256=" + hmac_sha256_hex(secret, body)).c_str());
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  // The receiver's answer is read and dropped: only its status is kept.
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char*, std::size_t size, std::size_t count, void*) { return size * count; });
  std::string refused;
  if (!allow_private) {
    curl_easy_setopt(curl, CURLOPT_PREREQFUNCTION, refuse_private);
    curl_easy_setopt(curl, CURLOPT_PREREQDATA, &refused);
  }
  const CURLcode result = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (!refused.empty()) {
    throw DeliveryError("refused: the host is at " + refused +
                        ", a loopback, private or link-local address (s2sd serve --webhooks-to-private-addresses "
                        "allows it)");
  }
  if (result != CURLE_OK) {
    throw DeliveryError(fmt::format("no answer: {}", error[0] != '\0' ? error : curl_easy_strerror(result)));
  }
  if (code < 200 || code > 299) throw DeliveryError(fmt::format("answered {}", code));
}

}  // namespace s2s::notifications
