// MetricsServer: a pre-threaded HTTP/1.1 server for one path. Each worker thread waits on the
// listening socket and on a stop event, accepts one connection, reads one request, answers it
// with "Connection: close" and goes back to waiting. There is no connection queue and no
// keep-alive: a scraper connects once a scrape interval, and closing after each answer means an
// idle client can never hold a worker.
#include "mmf/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "mmf/carrier.h"
#include "mmf/metrics_scrape.h"
#include "propagation/text.h"

namespace mmf {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxRequestHead = 16 * 1024;  // request line and headers together
// A parsed request head. Views point into the connection's buffer.
struct Request {
  std::string_view method;
  std::string_view path;  // without the query
  std::string_view query;
  std::string_view accept;
  std::string_view accept_encoding;
  std::string_view authorization;
};

// Parses "METHOD SP target SP HTTP/1.x" and the header lines of head (which ends before the
// empty line). False when it is not an HTTP/1.x request.
bool parse_request(std::string_view head, Request& request) {
  std::size_t line_end = head.find("\r\n");
  const std::string_view line = head.substr(0, line_end);
  const std::size_t first_space = line.find(' ');
  const std::size_t second_space = line.rfind(' ');
  if (first_space == std::string_view::npos || second_space == first_space) return false;
  request.method = line.substr(0, first_space);
  const std::string_view target = line.substr(first_space + 1, second_space - first_space - 1);
  const std::string_view version = line.substr(second_space + 1);
  if (request.method.empty() || target.empty() || target.front() != '/' ||
      target.find(' ') != std::string_view::npos || version.size() != 8 ||
      version.substr(0, 7) != "HTTP/1.") {
    return false;
  }
  const std::size_t question = target.find('?');
  request.path = target.substr(0, question);
  request.query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);

  while (line_end != std::string_view::npos) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string_view header = head.substr(start, line_end - start);
    if (header.empty()) continue;
    const std::size_t colon = header.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    const std::string_view name = header.substr(0, colon);
    const std::string_view value = detail::trim_ows(header.substr(colon + 1));
    if (iequals(name, "Accept")) {
      request.accept = value;
    } else if (iequals(name, "Accept-Encoding")) {
      request.accept_encoding = value;
    } else if (iequals(name, "Authorization")) {
      request.authorization = value;
    }
  }
  return true;
}

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return "Internal Server Error";
  }
}

}  // namespace

std::optional<std::string> query_parameter(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const std::size_t equals = pair.find('=');
    if (pair.substr(0, equals) != name) continue;
    std::string raw(equals == std::string_view::npos ? std::string_view()
                                                     : pair.substr(equals + 1));
    // '+' is a space in a query (HTML forms); an encoded plus is %2B, decoded after.
    std::replace(raw.begin(), raw.end(), '+', ' ');
    return detail::percent_decode(raw);
  }
  return std::nullopt;
}

struct MetricsServer::State {
  const MetricRegistry& registry;
  MetricsServerOptions options;
  int listen_fd = -1;
  int stop_fd = -1;  // eventfd, readable once stop() is called
  int port = 0;
  std::vector<std::thread> workers;
  std::atomic<bool> stopped{false};
  std::atomic<std::uint64_t> scrapes{0};
  std::atomic<std::uint64_t> rejected{0};

  State(const MetricRegistry& r, MetricsServerOptions o) : registry(r), options(std::move(o)) {}

  void run() noexcept;
  void serve(int fd) noexcept;
  void serve_route(int fd, const Request& request, bool head_only, Clock::time_point deadline);
  // Waits until fd is ready for events, the deadline passes, or stop() is called; true when ready.
  bool wait(int fd, short events, Clock::time_point deadline) const noexcept;
  bool send_all(int fd, std::string_view data, Clock::time_point deadline) const noexcept;
  void answer(int fd, int status, std::string_view content_type, std::string_view extra_headers,
              std::string_view body, bool head_only, Clock::time_point deadline) noexcept;
};

bool MetricsServer::State::wait(int fd, short events, Clock::time_point deadline) const noexcept {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd fds[2] = {{fd, events, 0}, {stop_fd, POLLIN, 0}};
    const int ready = ::poll(fds, 2, static_cast<int>(std::min<long long>(left.count(), 1000000)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || (fds[1].revents & POLLIN) != 0) return false;
    if (fds[0].revents != 0) return true;
  }
}

bool MetricsServer::State::send_all(int fd, std::string_view data,
                                    Clock::time_point deadline) const noexcept {
  while (!data.empty()) {
    const ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      data.remove_prefix(static_cast<std::size_t>(sent));
    } else if (sent < 0 && errno == EINTR) {
      continue;
    } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait(fd, POLLOUT, deadline)) return false;
    } else {
      return false;
    }
  }
  return true;
}

void MetricsServer::State::answer(int fd, int status, std::string_view content_type,
                                  std::string_view extra_headers, std::string_view body,
                                  bool head_only, Clock::time_point deadline) noexcept {
  (status == 200 ? scrapes : rejected).fetch_add(1, std::memory_order_relaxed);
  try {
    std::string head = "HTTP/1.1 " + std::to_string(status) + " ";
    head.append(reason_phrase(status));
    head.append("\r\nContent-Type: ").append(content_type);
    head.append("\r\nContent-Length: ").append(std::to_string(body.size()));
    head.append("\r\nConnection: close\r\n").append(extra_headers).append("\r\n");
    if (!send_all(fd, head, deadline)) return;
    if (!head_only) send_all(fd, body, deadline);
  } catch (...) {
    // Out of memory for the head: the client sees the connection close.
  }
}

void MetricsServer::State::serve(int fd) noexcept {
  const Clock::time_point deadline = Clock::now() + options.io_timeout;
  std::string buffer;
  std::size_t head_end = std::string::npos;
  try {
    buffer.reserve(1024);
    char chunk[4096];
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (buffer.size() > kMaxRequestHead) {
        answer(fd, 431, "text/plain", "", "request head too large\n", false, deadline);
        return;
      }
      const ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
      if (got > 0) {
        buffer.append(chunk, static_cast<std::size_t>(got));
      } else if (got < 0 && errno == EINTR) {
        continue;
      } else if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!wait(fd, POLLIN, deadline)) return;  // silent client, or stop()
      } else {
        return;  // closed before a whole request arrived
      }
    }
    if (head_end > kMaxRequestHead) {
      answer(fd, 431, "text/plain", "", "request head too large\n", false, deadline);
      return;
    }

    Request request;
    if (!parse_request(std::string_view(buffer).substr(0, head_end), request)) {
      answer(fd, 400, "text/plain", "", "bad request\n", false, deadline);
      return;
    }
    const bool head_only = request.method == "HEAD";
    if (request.path != options.path) {
      serve_route(fd, request, head_only, deadline);
      return;
    }
    if (request.method != "GET" && !head_only) {
      answer(fd, 405, "text/plain", "Allow: GET, HEAD\r\n", "method not allowed\n", false,
             deadline);
      return;
    }
    if (!bearer_token_matches(request.authorization, options.bearer_token)) {
      answer(fd, 401, "text/plain", "WWW-Authenticate: Bearer realm=\"metrics\"\r\n",
             "unauthorized\n", head_only, deadline);
      return;
    }
    const MetricsScrape scrape =
        scrape_metrics(registry, request.accept, request.accept_encoding, options.scrape);
    answer(fd, 200, scrape.content_type,
           scrape.gzip ? "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n"
                       : "Vary: Accept-Encoding\r\n",
           scrape.body, head_only, deadline);
  } catch (...) {
    // Collection or writing ran out of memory: the scraper gets a 500, the service goes on.
    answer(fd, 500, "text/plain", "", "metrics collection failed\n", false, deadline);
  }
}

void MetricsServer::State::serve_route(int fd, const Request& request, bool head_only,
                                       Clock::time_point deadline) {
  std::string allowed;
  for (const HttpRoute& route : options.routes) {
    if (route.path != request.path) continue;
    const bool same_method = route.method == request.method || (head_only && route.method == "GET");
    if (!same_method) {
      allowed += (allowed.empty() ? "" : ", ") + route.method;
      continue;
    }
    if (!bearer_token_matches(request.authorization, route.bearer_token)) {
      answer(fd, 401, "text/plain", "WWW-Authenticate: Bearer realm=\"admin\"\r\n",
             "unauthorized\n", head_only, deadline);
      return;
    }
    HttpAnswer result;
    try {
      result =
          route.handler({.method = request.method, .path = request.path, .query = request.query});
    } catch (...) {
      result = {.status = 500, .body = "internal error\n"};
    }
    answer(fd, result.status, result.content_type, "", result.body, head_only, deadline);
    return;
  }
  if (!allowed.empty()) {
    answer(fd, 405, "text/plain", "Allow: " + allowed + "\r\n", "method not allowed\n", false,
           deadline);
    return;
  }
  answer(fd, 404, "text/plain", "", "not found; metrics are at " + options.path + "\n", head_only,
         deadline);
}

void MetricsServer::State::run() noexcept {
  while (!stopped.load(std::memory_order_acquire)) {
    pollfd fds[2] = {{listen_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    const int ready = ::poll(fds, 2, -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if ((fds[1].revents & POLLIN) != 0) return;
    // Non-blocking accept: another worker may have taken the connection first.
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      // EAGAIN (taken by another worker), a connection reset before accept, or EMFILE: in the
      // last case wait a little rather than spin on a listening socket that stays readable.
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        pollfd stop_only{stop_fd, POLLIN, 0};
        ::poll(&stop_only, 1, 100);
      }
      continue;
    }
    serve(fd);
    ::shutdown(fd, SHUT_WR);
    ::close(fd);
  }
}

MetricsServer::MetricsServer(const MetricRegistry& registry, MetricsServerOptions options)
    : state_(std::make_unique<State>(registry, std::move(options))) {
  State& state = *state_;
  const MetricsServerOptions& o = state.options;
  if (o.port < 0 || o.port > 65535) {
    throw std::invalid_argument("metrics server port " + std::to_string(o.port) +
                                " is not in 0..65535");
  }
  if (o.path.empty() || o.path.front() != '/') {
    throw std::invalid_argument("metrics server path \"" + o.path + "\" must start with '/'");
  }
  if (o.max_connections < 1) {
    throw std::invalid_argument("metrics server max_connections must be at least 1");
  }
  for (const HttpRoute& route : o.routes) {
    if (route.path.empty() || route.path.front() != '/' || route.path == o.path || !route.handler ||
        route.method.empty()) {
      throw std::invalid_argument("metrics server route \"" + route.method + " " + route.path +
                                  "\" needs a method, a path starting with '/' other than " +
                                  o.path + ", and a handler");
    }
  }

  std::string_view address = o.bind_address;
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  sockaddr_storage storage{};
  socklen_t length = 0;
  const std::string literal(address);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (::inet_pton(AF_INET, literal.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(o.port));
    length = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, literal.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(o.port));
    length = sizeof(sockaddr_in6);
  } else {
    throw std::invalid_argument("metrics server bind address \"" + o.bind_address +
                                "\" is not an IPv4 or IPv6 address");
  }

  const std::string where = o.bind_address + ":" + std::to_string(o.port);
  const auto fail = [&](const char* what) {
    const int error = errno;
    if (state.listen_fd >= 0) ::close(state.listen_fd);
    if (state.stop_fd >= 0) ::close(state.stop_fd);
    state.listen_fd = state.stop_fd = -1;
    throw std::system_error(error, std::generic_category(),
                            std::string("cannot serve metrics on ") + where + ": " + what);
  };
  state.listen_fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (state.listen_fd < 0) fail("socket");
  const int on = 1;
  ::setsockopt(state.listen_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (::bind(state.listen_fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) fail("bind");
  if (::listen(state.listen_fd, 64) != 0) fail("listen");
  if (::getsockname(state.listen_fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    fail("getsockname");
  }
  state.port = ntohs(storage.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
  state.stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (state.stop_fd < 0) fail("eventfd");

  try {
    for (int i = 0; i < o.max_connections; ++i) {
      state.workers.emplace_back([&state] { state.run(); });
    }
  } catch (...) {
    stop();
    throw;
  }
}

MetricsServer::~MetricsServer() { stop(); }

int MetricsServer::port() const noexcept { return state_->port; }

std::uint64_t MetricsServer::scrapes() const noexcept {
  return state_->scrapes.load(std::memory_order_relaxed);
}

std::uint64_t MetricsServer::rejected() const noexcept {
  return state_->rejected.load(std::memory_order_relaxed);
}

void MetricsServer::stop() noexcept {
  State& state = *state_;
  if (state.stopped.exchange(true, std::memory_order_acq_rel)) return;
  if (state.stop_fd >= 0) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = ::write(state.stop_fd, &one, sizeof one);
  }
  for (std::thread& worker : state.workers) {
    if (worker.joinable()) worker.join();
  }
  if (state.listen_fd >= 0) ::close(state.listen_fd);
  if (state.stop_fd >= 0) ::close(state.stop_fd);
  state.listen_fd = state.stop_fd = -1;
}

}  // namespace mmf
