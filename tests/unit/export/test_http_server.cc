#include "test_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>

namespace mmf::testing_support {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(sent));
  }
  return true;
}

// Appends what the socket has to buffer; false at end of stream or on error.
bool fill(int fd, std::string& buffer) {
  char chunk[4096];
  while (true) {
    const ssize_t got = ::recv(fd, chunk, sizeof(chunk), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(got));
    return true;
  }
}

// Removes and returns one CRLF-terminated line from buffer, reading more as needed.
bool take_line(int fd, std::string& buffer, std::string& line) {
  std::size_t end;
  while ((end = buffer.find("\r\n")) == std::string::npos) {
    if (!fill(fd, buffer)) return false;
  }
  line = buffer.substr(0, end);
  buffer.erase(0, end + 2);
  return true;
}

bool take_bytes(int fd, std::string& buffer, std::size_t count, std::string& out) {
  while (buffer.size() < count) {
    if (!fill(fd, buffer)) return false;
  }
  out.append(buffer, 0, count);
  buffer.erase(0, count);
  return true;
}

bool read_chunked_body(int fd, std::string& buffer, std::string& body) {
  std::string line;
  while (true) {
    if (!take_line(fd, buffer, line)) return false;
    const std::size_t size = std::strtoul(line.c_str(), nullptr, 16);  // ignores extensions
    if (size == 0) break;
    if (!take_bytes(fd, buffer, size, body) || !take_line(fd, buffer, line)) return false;
  }
  do {  // optional trailer fields, then the empty line
    if (!take_line(fd, buffer, line)) return false;
  } while (!line.empty());
  return true;
}

}  // namespace

std::string RecordedRequest::header(std::string_view name) const {
  const auto found = headers.find(lower(name));
  return found == headers.end() ? std::string() : found->second;
}

TestHttpServer::TestHttpServer() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;  // the kernel picks a free port, so parallel tests never collide
  socklen_t length = sizeof(address);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("cannot listen on 127.0.0.1");
  }
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

TestHttpServer::~TestHttpServer() { stop(); }

std::string TestHttpServer::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void TestHttpServer::respond(ScriptedResponse response) {
  std::lock_guard<std::mutex> lock(mutex_);
  script_.push_back(std::move(response));
}

void TestHttpServer::set_default_response(ScriptedResponse response) {
  std::lock_guard<std::mutex> lock(mutex_);
  default_response_ = std::move(response);
}

std::vector<RecordedRequest> TestHttpServer::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

bool TestHttpServer::wait_for_requests(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
}

int TestHttpServer::connections() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return connections_;
}

void TestHttpServer::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    // Wakes each worker blocked in recv(); the worker closes the descriptor itself.
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  changed_.notify_all();
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    workers.swap(workers_);  // the acceptor has stopped, so no worker is added any more
  }
  for (std::thread& worker : workers) worker.join();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
}

void TestHttpServer::accept_loop() {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
    }
    // A short poll instead of a blocking accept(), so that stop() needs no trick to wake it.
    pollfd waiting{listen_fd_, POLLIN, 0};
    if (::poll(&waiting, 1, 20) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    open_fds_.push_back(fd);
    const int connection = ++connections_;
    workers_.emplace_back([this, fd, connection] { serve(fd, connection); });
  }
}

void TestHttpServer::serve(int fd, int connection) {
  std::string buffer;  // bytes read past the current request (pipelining)
  while (true) {
    RecordedRequest request;
    request.connection = connection;
    if (!read_request(fd, buffer, request)) break;
    const bool client_wants_close = lower(request.header("connection")) == "close";
    const ScriptedResponse response = next_response();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back(std::move(request));
    }
    changed_.notify_all();
    if (!answer(fd, response, client_wants_close)) break;
  }
  close_connection(fd);
}

bool TestHttpServer::read_request(int fd, std::string& buffer, RecordedRequest& request) {
  std::string line;
  do {  // tolerate empty lines before a request, as RFC 9112 asks
    if (!take_line(fd, buffer, line)) return false;
  } while (line.empty());
  const std::size_t first_space = line.find(' ');
  const std::size_t second_space = line.find(' ', first_space + 1);
  if (first_space == std::string::npos || second_space == std::string::npos) return false;
  request.method = line.substr(0, first_space);
  request.target = line.substr(first_space + 1, second_space - first_space - 1);
  while (true) {
    if (!take_line(fd, buffer, line)) return false;
    if (line.empty()) break;
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) return false;
    std::string& value = request.headers[lower(trim(std::string_view(line).substr(0, colon)))];
    if (!value.empty()) value.append(", ");
    value.append(trim(std::string_view(line).substr(colon + 1)));
  }
  if (lower(request.header("expect")) == "100-continue" &&
      !send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n")) {
    return false;
  }
  if (lower(request.header("transfer-encoding")).find("chunked") != std::string::npos) {
    return read_chunked_body(fd, buffer, request.body);
  }
  const std::string length = request.header("content-length");
  const std::size_t size = length.empty() ? 0 : std::strtoull(length.c_str(), nullptr, 10);
  return take_bytes(fd, buffer, size, request.body);
}

ScriptedResponse TestHttpServer::next_response() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (script_.empty()) return default_response_;
  ScriptedResponse response = std::move(script_.front());
  script_.pop_front();
  return response;
}

bool TestHttpServer::answer(int fd, const ScriptedResponse& response, bool client_wants_close) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (response.hang) {
      changed_.wait(lock, [&] { return stopping_; });
      return false;
    }
    if (changed_.wait_for(lock, response.delay, [&] { return stopping_; })) return false;
  }
  if (response.close_without_answer) return false;
  const bool close = response.close_after || client_wants_close;
  std::string text =
      "HTTP/1.1 " + std::to_string(response.status) + " " + reason_phrase(response.status) + "\r\n";
  text += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  for (const auto& [name, value] : response.headers) text += name + ": " + value + "\r\n";
  if (close) text += "Connection: close\r\n";
  text += "\r\n";
  if (response.close_mid_body) {  // half the promised body, then the connection goes
    text += response.body.substr(0, response.body.size() / 2);
    send_all(fd, text);
    return false;
  }
  text += response.body;
  return send_all(fd, text) && !close;
}

void TestHttpServer::close_connection(int fd) {
  std::lock_guard<std::mutex> lock(mutex_);
  open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
  ::close(fd);
}

int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind on 127.0.0.1");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace mmf::testing_support
