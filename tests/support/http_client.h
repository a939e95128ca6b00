#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

// A small blocking HTTP/1.1 client for tests: real requests over loopback.
namespace s2s::testing {

struct ClientResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased

  [[nodiscard]] std::string header(const std::string& lower_case_name) const;
};

// One request on a new connection. Throws std::runtime_error when the server
// cannot be reached or answers nothing within `timeout`.
ClientResponse http_request(std::uint16_t port, const std::string& method, const std::string& target,
                            const std::string& body = "",
                            const std::vector<std::pair<std::string, std::string>>& headers = {},
                            std::chrono::milliseconds timeout = std::chrono::seconds(10));

struct RawExchange {
  std::string received;
  bool closed_by_server = false;  // false: our timeout ended the wait
};

// Sends `bytes` as they are on a new connection, then reads until the server
// closes it or `timeout` passes. For malformed and slow requests.
RawExchange raw_exchange(std::uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A port that was free a moment ago on 127.0.0.1.
std::uint16_t free_port();

}  // namespace s2s::testing
