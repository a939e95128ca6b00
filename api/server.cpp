#include "api/server.h"
#include "api/http_headers.h"
#include "workflow/errors.h"

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace s2s::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::optional<std::string_view> HttpRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

bool HttpResponse::has_header(std::string_view name) const {
  return std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return iequals(h.first, name); });
}

HttpResponse HttpResponse::json(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

namespace {

// A JSON string: quoted, with what JSON needs escaped.
std::string json_string(std::string_view text) { return boost::json::serialize(boost::json::string(text)); }

}  // namespace

HttpResponse HttpResponse::problem(int status, std::string_view type, std::string_view title, std::string_view detail,
                                   std::string_view extra_members) {
  HttpResponse response;
  response.status = status;
  response.content_type = "application/problem+json";
  response.body = "{\"type\":" + json_string("https://s2s.example/problems/" + std::string(type)) +
                  ",\"title\":" + json_string(title) + ",\"status\":" + std::to_string(status) +
                  ",\"detail\":" + json_string(detail);
  if (!extra_members.empty()) response.body += "," + std::string(extra_members);
  response.body += "}";
  return response;
}

namespace {

class Session;

// A request body kept as text as it arrives, growing with it: unlike
// Beast's string_body it never reserves a declared Content-Length up front,
// so a client that announces a large body and sends little holds little.
// The parser's body limit still applies.
struct ArrivingBody {
  using value_type = std::string;

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& body) : body_(body) {}

    void init(const boost::optional<std::uint64_t>&, beast::error_code& ec) { ec = {}; }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      const std::size_t n = beast::buffer_bytes(buffers);
      const std::size_t size = body_.size();
      body_.resize(size + n);  // capacity grows geometrically
      ec = {};
      return asio::buffer_copy(asio::buffer(body_.data() + size, n), buffers);
    }

    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

}  // namespace

struct HttpServer::Impl {
  Impl(ServerOptions opts, HttpHandler h)
      : options(std::move(opts)),
        handler(std::move(h)),
        workers(options.worker_threads),
        acceptor(asio::make_strand(ioc)),
        signals(ioc, SIGINT, SIGTERM),
        grace_timer(ioc) {}

  ServerOptions options;
  HttpHandler handler;
  asio::io_context ioc;
  asio::thread_pool workers;
  tcp::acceptor acceptor;
  asio::signal_set signals;
  asio::steady_timer grace_timer;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> connections{0};

  std::mutex sessions_mutex;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
  std::unordered_map<std::string, std::size_t> per_client;  // open connections by client address

  void do_accept();
  void begin_shutdown();
  void session_ended(Session* session);
};

namespace {

// One connection: reads requests one at a time, hands each to a worker, writes
// the response, and keeps the connection for the next one unless told not to.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, HttpServer::Impl& server) : stream_(std::move(socket)), server_(server) {
    beast::error_code ec;
    const auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = endpoint.address().to_string();
  }

  ~Session() { server_.session_ended(this); }

  // The client's address ("" when the socket had none).
  [[nodiscard]] const std::string& remote() const noexcept { return remote_; }

  void start() {
    asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::do_read_header, shared_from_this()));
  }

  // Refuses the connection politely: the server is at its connection cap.
  void reject_busy() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      auto response = HttpResponse::problem(503, "server-busy", "Too many connections",
                                            "the server is at its connection limit; retry shortly");
      response.headers.emplace_back("Retry-After", "1");
      self->keep_alive_ = false;
      self->do_write(std::move(response));
    });
  }

  // Closes the connection if it is waiting for a request (shutdown).
  void close_if_idle() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      const std::lock_guard lock(self->between_requests_);
      if (!self->busy_) {
        beast::error_code ec;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        self->stream_.socket().close(ec);
      }
    });
  }

 private:
  void do_read_header() {
    busy_ = false;
    if (server_.stopping) return do_close();
    parser_.emplace();
    // The header decides which limit applies (uploads have their own), so
    // the parser starts with the larger; on_read_header narrows it.
    body_limit_ = std::max(server_.options.max_body_bytes,
                           server_.options.upload_paths.empty() ? 0 : server_.options.max_upload_bytes);
    parser_->body_limit(body_limit_);
    parser_->header_limit(static_cast<std::uint32_t>(server_.options.max_header_bytes));
    // The whole request must arrive within read_timeout of its first byte; a
    // kept-alive connection may wait idle_timeout for that first byte.
    if (buffer_.size() == 0 && requests_served_ > 0) {
      stream_.expires_after(server_.options.idle_timeout);
      stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
        if (ec) return self->do_close();
        self->buffer_.commit(n);
        self->read_started();
      });
      return;
    }
    read_started();
  }

  void read_started() {
    busy_ = true;
    started_ = Clock::now();
    stream_.expires_after(server_.options.read_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_read_header, shared_from_this()));
  }

  void on_read_header(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    const auto& request = parser_->get();
    // Framing the server cannot trust is refused and the connection closed,
    // so that no body is ever read as another request (RFC 9112 6.3).
    if (const auto problem = framing_problem(request.base(), request.version(), parser_->chunked())) {
      keep_alive_ = false;
      return do_write(HttpResponse::problem(400, "malformed-request", "Malformed HTTP request", *problem));
    }
    const std::string_view target = request.target();
    const auto path = target.substr(0, target.find('?'));
    body_limit_ = server_.options.max_body_bytes;
    // The larger limit, and the longer deadline a large body needs, only for
    // a POST to an upload path by someone who may upload: nobody else makes
    // the server hold an upload's worth of memory.
    const bool upload = request.method() == http::verb::post &&
                        std::find(server_.options.upload_paths.begin(), server_.options.upload_paths.end(), path) !=
                            server_.options.upload_paths.end();
    if (!upload) return read_body(false);
    if (!server_.options.may_upload) {
      return read_body(request[http::field::authorization].substr(0, 7) == "Bearer ");
    }
    // The check may read the database: off the I/O threads, as handlers are.
    HttpRequest head;
    head.method = std::string(request.method_string());
    head.target = std::string(target);
    head.path = std::string(path);
    for (const auto& field : request) head.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    head.remote_address = remote_;
    asio::post(server_.workers, [self = shared_from_this(), head = std::move(head)] {
      bool allowed = false;
      try {
        allowed = self->server_.options.may_upload(head);
      } catch (const std::exception& e) {
        spdlog::warn("{} {}: could not check who may upload: {}", head.method, head.path, e.what());
      }
      asio::post(self->stream_.get_executor(), [self, allowed] { self->read_body(allowed); });
    });
  }

  // Reads the body of the request whose header is in, up to the upload
  // limit when `upload`, else the body limit.
  void read_body(bool upload) {
    if (upload) {
      body_limit_ = server_.options.max_upload_bytes;
      stream_.expires_after(server_.options.upload_read_timeout);
    }
    const auto& request = parser_->get();
    parser_->body_limit(body_limit_);
    if (const auto length = parser_->content_length(); length && *length > body_limit_) {
      return on_read_error(http::error::body_limit);
    }
    if (iequals(request[http::field::expect], "100-continue")) {
      // curl and others wait for this before sending a body.
      auto interim = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(stream_, *interim,
                        [self = shared_from_this(), interim](beast::error_code write_ec, std::size_t) {
                          if (write_ec) return self->do_close();
                          http::async_read(self->stream_, self->buffer_, *self->parser_,
                                           beast::bind_front_handler(&Session::on_read, self));
                        });
      return;
    }
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read_error(beast::error_code ec) {
    keep_alive_ = false;
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::bad_descriptor) {
      return do_close();
    }
    if (ec == http::error::body_limit) {
      return do_write(HttpResponse::problem(413, "payload-too-large", "Request body too large",
                                            "the body exceeds " + std::to_string(body_limit_) + " bytes"));
    }
    if (ec == http::error::header_limit) {
      return do_write(
          HttpResponse::problem(431, "headers-too-large", "Request headers too large",
                                "the headers exceed " + std::to_string(server_.options.max_header_bytes) + " bytes"));
    }
    if (ec == beast::error::timeout) {
      // tcp_stream has closed the socket already: a slow client gets no answer.
      spdlog::info("closed connection from {}: request not received within {} ms", remote_,
                   server_.options.read_timeout.count());
      return do_close();
    }
    spdlog::debug("bad request from {}: {}", remote_, ec.message());
    do_write(HttpResponse::problem(400, "malformed-request", "Malformed HTTP request", ec.message()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    auto message = parser_->release();
    keep_alive_ = message.keep_alive();
    HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    const auto question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string::npos) request.query = request.target.substr(question + 1);
    for (const auto& field : message) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(message.body());
    request.remote_address = client_address(request);
    client_ = request.remote_address;
    method_ = request.method;
    path_ = request.path;

    // The handler may block on the database: run it off the I/O threads.
    asio::post(server_.workers, [self = shared_from_this(), request = std::move(request)] {
      HttpResponse response;
      try {
        response = self->server_.handler(request);
      } catch (const std::bad_alloc&) {
        // Out of memory for this request: its answer, not the process's end.
        spdlog::error("{} {}: out of memory", request.method, request.path);
        response = HttpResponse::problem(503, "server-busy", "Server busy",
                                         "the server is short of memory for this request; retry shortly");
        response.headers.emplace_back("Retry-After", "5");
      } catch (const std::exception& e) {
        spdlog::error("{} {}: unhandled error: {}", request.method, request.path, e.what());
        response = HttpResponse::problem(500, "internal-error", "Internal server error",
                                         "the server could not complete the request; it has been logged");
      }
      self->answer_from_worker(std::move(response));
    });
  }

  // Who sent the request: the peer, or behind a trusted reverse proxy the
  // nearest address in X-Forwarded-For that is not itself a trusted proxy.
  std::string client_address(const HttpRequest& request) const {
    const auto& trusted = server_.options.trusted_proxies;
    const auto is_trusted = [&](std::string_view a) { return std::find(trusted.begin(), trusted.end(), a) != trusted.end(); };
    if (!is_trusted(remote_)) return remote_;
    const auto forwarded = request.header("X-Forwarded-For");
    if (!forwarded) return remote_;
    std::string_view hops = *forwarded;
    while (!hops.empty()) {
      const auto comma = hops.rfind(',');
      std::string_view hop = comma == std::string_view::npos ? hops : hops.substr(comma + 1);
      hops = comma == std::string_view::npos ? std::string_view() : hops.substr(0, comma);
      while (!hop.empty() && hop.front() == ' ') hop.remove_prefix(1);
      while (!hop.empty() && hop.back() == ' ') hop.remove_suffix(1);
      if (hop.empty() || hop.size() > 45) return remote_;  // not an address: trust nothing in it
      if (!is_trusted(hop)) return std::string(hop);
    }
    return remote_;
  }

  // A response on its way out: the message and the serializer writing it,
  // together until its last byte is sent.
  struct Outgoing {
    explicit Outgoing(http::response<http::string_body>&& m) : message(std::move(m)), serializer(message) {}
    http::response<http::string_body> message;
    http::serializer<false, http::string_body> serializer;
  };

  // The message for `response`, on whichever thread has the connection.
  std::shared_ptr<Outgoing> prepare(HttpResponse response) {
    if (server_.stopping) keep_alive_ = false;
    http::response<http::string_body> message(static_cast<http::status>(response.status), 11);
    message.set(http::field::server, "s2sd");
    message.set(http::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) message.insert(name, value);  // Set-Cookie may repeat
    message.body() = std::move(response.body);
    message.keep_alive(keep_alive_);
    message.prepare_payload();
    status_ = response.status;
    return std::make_shared<Outgoing>(std::move(message));
  }

  // On the I/O strand.
  void do_write(HttpResponse response) {
    busy_ = true;
    write_rest(prepare(std::move(response)), {});
  }

  // On the handler's worker thread, with the connection between its read and
  // its write: no operation is pending on the socket, so nothing else touches
  // it. Sends what the socket takes now, without waiting (a slow reader never
  // holds a worker), so the client has its answer without first waking an I/O
  // thread. When all of it went, the worker goes on as the strand would after
  // a write (the next read is started here; its completion runs on the
  // strand), so no I/O thread is woken for the request at all; otherwise the
  // strand writes the rest and reads the next request. The lock keeps a
  // shutdown's close_if_idle from closing the socket while the read starts.
  void answer_from_worker(HttpResponse response) {
    auto out = prepare(std::move(response));
    beast::error_code ec;
    send_now(*out, ec);
    if (!ec && out->serializer.is_done()) {
      const std::lock_guard lock(between_requests_);
      on_write({});
      return;
    }
    asio::post(stream_.get_executor(),
               [self = shared_from_this(), out = std::move(out), ec] { self->write_rest(out, ec); });
  }

  // Sends from `out` until it is done, the socket would block or fails (ec).
  void send_now(Outgoing& out, beast::error_code& ec) {
    const int fd = stream_.socket().native_handle();
    while (!out.serializer.is_done()) {
      std::size_t sent = 0;
      bool would_block = false;
      out.serializer.next(ec, [&](beast::error_code& next_ec, const auto& buffers) {
        std::array<iovec, 16> parts{};
        std::size_t count = 0;
        for (const auto buffer : beast::buffers_range_ref(buffers)) {
          if (count == parts.size()) break;
          parts[count++] = iovec{const_cast<void*>(buffer.data()), buffer.size()};
        }
        msghdr header{};
        header.msg_iov = parts.data();
        header.msg_iovlen = count;
        const ssize_t n = ::sendmsg(fd, &header, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
          sent = static_cast<std::size_t>(n);
        } else if (n == 0) {
          would_block = true;  // nothing taken: the I/O thread writes it instead
        } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
          would_block = true;
        } else {
          next_ec = beast::error_code(errno, boost::system::system_category());
        }
      });
      if (ec || would_block) return;
      out.serializer.consume(sent);
    }
  }

  // On the I/O strand: writes what is left of `out` (nothing when the
  // worker sent it all), then goes on as after any write.
  void write_rest(std::shared_ptr<Outgoing> out, beast::error_code ec) {
    if (ec || out->serializer.is_done()) return on_write(ec);
    stream_.expires_after(server_.options.write_timeout);
    auto& serializer = out->serializer;
    http::async_write(stream_, serializer,
                      [self = shared_from_this(), out = std::move(out)](beast::error_code write_ec, std::size_t) {
                        self->on_write(write_ec);
                      });
  }

  // After a response: on the strand, or on the worker that sent all of it.
  void on_write(beast::error_code ec) {
    if (!method_.empty()) {
      const auto elapsed = std::chrono::duration<double, std::milli>(Clock::now() - started_).count();
      spdlog::info("{} {} {} {:.1f}ms {}", method_, path_, status_, elapsed, client_.empty() ? remote_ : client_);
    }
    method_.clear();
    ++requests_served_;
    if (ec) {
      spdlog::debug("write to {} failed: {}", remote_, ec.message());
      return do_close();
    }
    if (!keep_alive_) return do_close();
    do_read_header();
  }

  void do_close() {
    busy_ = false;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<ArrivingBody>> parser_;
  std::string remote_;
  std::string client_;  // the last request's client (remote_, or behind a trusted proxy who it forwarded for)
  std::string method_;
  std::string path_;
  int status_ = 0;
  bool keep_alive_ = true;
  bool busy_ = false;  // between a request's first byte and its response's last
  // Held by a worker while it starts the next read (answer_from_worker) and
  // by close_if_idle: the one place the strand and a worker could meet.
  std::mutex between_requests_;
  std::size_t requests_served_ = 0;
  std::size_t body_limit_ = 0;  // for this request: max_body_bytes, or max_upload_bytes on upload paths
  Clock::time_point started_ = Clock::now();
};

}  // namespace

void HttpServer::Impl::do_accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec != asio::error::operation_aborted && !stopping) {
        spdlog::warn("accept failed: {}", ec.message());
        do_accept();
      }
      return;
    }
    const bool over_cap = connections.fetch_add(1) >= options.max_connections;
    auto session = std::make_shared<Session>(std::move(socket), *this);
    bool client_over_cap = false;
    {
      std::lock_guard lock(sessions_mutex);
      sessions.emplace(session.get(), session);
      client_over_cap = ++per_client[session->remote()] > options.max_connections_per_client;
    }
    if (over_cap) {
      spdlog::warn("connection limit {} reached: refusing a connection", options.max_connections);
      session->reject_busy();
    } else if (client_over_cap) {
      spdlog::warn("connection limit {} per client reached by {}: refusing a connection",
                   options.max_connections_per_client, session->remote());
      session->reject_busy();
    } else {
      session->start();
    }
    if (!stopping) do_accept();
  });
}

void HttpServer::Impl::session_ended(Session* session) {
  {
    std::lock_guard lock(sessions_mutex);
    sessions.erase(session);
    if (const auto client = per_client.find(session->remote()); client != per_client.end() && --client->second == 0) {
      per_client.erase(client);
    }
  }
  if (connections.fetch_sub(1) == 1 && stopping) {
    asio::post(ioc, [this] { grace_timer.cancel(); });
  }
}

void HttpServer::Impl::begin_shutdown() {
  if (stopping.exchange(true)) return;
  spdlog::info("shutting down: finishing in-flight requests (up to {} ms)", options.shutdown_grace.count());
  asio::post(acceptor.get_executor(), [this] {
    beast::error_code ec;
    acceptor.close(ec);
  });
  beast::error_code ec;
  signals.cancel(ec);
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(sessions_mutex);
    for (auto& [raw, weak] : sessions) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) s->close_if_idle();
  if (connections == 0) return;
  grace_timer.expires_after(options.shutdown_grace);
  grace_timer.async_wait([this](beast::error_code wait_ec) {
    if (wait_ec) return;  // cancelled: every connection finished in time
    spdlog::warn("shutdown grace period over: closing {} connection(s)", connections.load());
    ioc.stop();
  });
}

HttpServer::HttpServer(ServerOptions options, HttpHandler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {
  const auto& opts = impl_->options;
  beast::error_code ec;
  const auto address = asio::ip::make_address(opts.host, ec);
  if (ec) throw workflow::ConfigError("cannot listen on " + opts.host + ": not an IP address");
  const tcp::endpoint endpoint(address, opts.port);
  const std::string where = opts.host + ":" + std::to_string(opts.port);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw workflow::IoError("cannot listen on " + where + ": " + ec.message());
}

HttpServer::~HttpServer() { impl_->workers.join(); }

std::uint16_t HttpServer::port() const noexcept {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void HttpServer::run(bool handle_signals) {
  Impl& impl = *impl_;
  if (handle_signals) {
    impl.signals.async_wait([&impl](beast::error_code ec, int signal) {
      if (ec) return;
      spdlog::info("received signal {}", signal);
      impl.begin_shutdown();
    });
  } else {
    beast::error_code ec;
    impl.signals.clear(ec);
  }
  impl.do_accept();
  std::vector<std::thread> threads;
  // A failure inside one connection's handler (an allocation refused under
  // memory pressure) ends that connection, never the server: the thread
  // logs it and goes on serving the others.
  const auto serve = [&impl] {
    for (;;) {
      try {
        impl.ioc.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("a connection failed: {}; serving on", e.what());
      }
    }
  };
  for (std::size_t i = 1; i < impl.options.io_threads; ++i) threads.emplace_back(serve);
  serve();
  for (auto& t : threads) t.join();
  impl.workers.join();
}

void HttpServer::stop() {
  asio::post(impl_->ioc, [impl = impl_.get()] { impl->begin_shutdown(); });
}

}  // namespace s2s::api
