#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/http.h"

namespace s2s::api {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;                              // 0: any free port (see HttpServer::port)
  std::size_t io_threads = 1;                             // threads running sockets
  std::size_t worker_threads = 4;                         // threads running handlers
  std::size_t max_connections = 512;                      // further connections get 503 and are closed
  std::size_t max_connections_per_client = 128;           // from one address; further ones get 503 likewise
  // Reverse proxies whose X-Forwarded-For names the client (rate limits and
  // failed logins then count the client, not the proxy). Empty: none.
  std::vector<std::string> trusted_proxies;
  std::size_t max_body_bytes = 1 << 20;                   // larger bodies get 413
  std::size_t max_header_bytes = 16 << 10;                // larger headers get 431
  std::size_t max_upload_bytes = 64 << 20;                // the body limit on upload_paths instead
  std::vector<std::string> upload_paths;                  // exact paths taking uploads (a GIAS extract)
  std::chrono::milliseconds upload_read_timeout{300000};  // a whole upload, headers and body
  // Whether a POST to an upload path may send up to max_upload_bytes, asked
  // before its body is read, on a worker thread, with the request's head (no
  // body): only an administrator's token or session, so that nobody else can
  // make the server hold an upload's worth of memory. Unset: any request
  // with a bearer token may (the route still checks the token and the role).
  std::function<bool(const HttpRequest& head)> may_upload;
  std::chrono::milliseconds read_timeout{10000};          // whole request, headers and body
  std::chrono::milliseconds write_timeout{10000};         // whole response
  std::chrono::milliseconds idle_timeout{30000};          // keep-alive wait for the next request
  std::chrono::milliseconds shutdown_grace{10000};        // in-flight requests get this long on SIGTERM
};

// An HTTP/1.1 server (Boost.Beast on Boost.Asio). Sockets run on io_threads;
// handlers on a separate pool of worker_threads so a slow database call never
// stalls other connections. Every request is logged (method, path without the
// query, status, duration).
class HttpServer {
 public:
  // Binds and listens; throws std::runtime_error naming the address when it cannot.
  HttpServer(ServerOptions options, HttpHandler handler);
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();

  // The bound port (useful with port 0).
  [[nodiscard]] std::uint16_t port() const noexcept;

  // Serves until stop() or SIGINT/SIGTERM (when handle_signals), then stops
  // accepting, lets in-flight requests finish (up to shutdown_grace) and returns.
  void run(bool handle_signals = true);

  // Starts the same graceful shutdown from any thread.
  void stop();

  struct Impl;  // defined in server.cpp; public so its connection sessions can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace s2s::api
