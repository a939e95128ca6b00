#include "notifications/mailer.h"

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
  out += "From: " + header_text(options_.from) + "\n";
  out += "To: " + (email.to_name.empty() ? email.to : header_text(email.to_name) + " <" + email.to + ">") + "\n";
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

void Mailer::send(const Email& email) const {
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
  curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));  // STARTTLS when offered
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
    throw DeliveryError(fmt::format("SMTP {}: {} (last reply {})", options_.url,
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

void post_webhook(const std::string& url, const std::string& secret, const std::string& delivery,
                  const std::string& body, std::chrono::milliseconds timeout) {
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
  const CURLcode result = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (result != CURLE_OK) {
    throw DeliveryError(fmt::format("webhook {}: {}", url, error[0] != '\0' ? error : curl_easy_strerror(result)));
  }
  if (code < 200 || code > 299) throw DeliveryError(fmt::format("webhook {}: answered {}", url, code));
}

}  // namespace s2s::notifications
