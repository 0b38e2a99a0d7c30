// A small HTTP/1.1 server for tests that must talk to a real socket (OTLP push of traces,
// metrics and logs), so that no test mocks libcurl.
//
// What it promises: it listens on 127.0.0.1 on a port the kernel picks, from construction until
// stop() or destruction. It records every request it reads in full (method, target, headers with
// lower-cased names, body as sent, so still compressed if it was) and answers each with the next
// scripted response, or with the default response (200, empty body) when the script is empty.
// A response can be delayed, can hang until the server stops, or can be replaced by closing the
// connection. Connections are kept alive between requests, as libcurl expects, and each request
// records which connection carried it, so tests can see connection reuse. Request bodies may be
// sent with Content-Length or chunked; "Expect: 100-continue" is honoured.
//
// Usage:
//   mmf::testing_support::TestHttpServer server;
//   server.respond({.status = 503, .headers = {{"Retry-After", "1"}}});
//   ... send to server.url() + "/v1/traces" ...
//   ASSERT_TRUE(server.wait_for_requests(2, std::chrono::seconds(5)));
//   EXPECT_EQ(server.requests()[1].header("content-type"), "application/x-protobuf");
//
// Thread-safety: every member may be called from any thread. One thread accepts connections and
// one thread serves each connection. stop() wakes every delayed or hanging answer, closes every
// connection and joins every thread; the destructor calls it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace mmf::testing_support {

struct RecordedRequest {
  std::string method;                          // "POST"
  std::string target;                          // path and query, as sent: "/v1/traces"
  std::map<std::string, std::string> headers;  // lower-cased names; repeats joined with ", "
  std::string body;                            // chunked framing removed, otherwise as sent
  int connection = 0;                          // the connection that carried it, from 1

  // The header's value, or "" when it was not sent; name in any case.
  std::string header(std::string_view name) const;
};

struct ScriptedResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers{};  // Content-Length is added
  std::string body{};
  std::chrono::milliseconds delay{0};  // waited before answering; stop() cuts it short
  bool hang = false;                   // never answer; hold the connection until stop()
  bool close_without_answer = false;   // close the connection instead of answering
  bool close_after = false;            // answer with "Connection: close", then close
  bool close_mid_body = false;         // send the headers and half the body, then close
};

class TestHttpServer {
 public:
  // Throws std::runtime_error when no socket can be bound.
  TestHttpServer();
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:<port>", without a trailing '/'.
  std::string url() const;

  // Queues the answer to one future request; answers are used in the order queued.
  void respond(ScriptedResponse response);
  // The answer used while the queue is empty.
  void set_default_response(ScriptedResponse response);

  // Every request read in full so far, in arrival order.
  std::vector<RecordedRequest> requests() const;
  // Waits until at least count requests were read; false on timeout.
  bool wait_for_requests(std::size_t count, std::chrono::milliseconds timeout) const;
  // Connections accepted so far.
  int connections() const;

  // Idempotent. After it returns no thread of the server runs and its sockets are closed.
  void stop();

 private:
  void accept_loop();
  void serve(int fd, int connection);
  bool read_request(int fd, std::string& buffer, RecordedRequest& request);
  ScriptedResponse next_response();
  // False when the connection must close after this answer (or instead of it).
  bool answer(int fd, const ScriptedResponse& response, bool client_wants_close);
  void close_connection(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;  // a request arrived, or the server is stopping
  bool stopping_ = false;
  std::deque<ScriptedResponse> script_;
  ScriptedResponse default_response_;
  std::vector<RecordedRequest> requests_;
  std::vector<int> open_fds_;  // shut down by stop() to wake blocked reads
  std::vector<std::thread> workers_;
  int connections_ = 0;
};

// A port on 127.0.0.1 where nothing listens: bound, then closed. Connecting to it is refused.
int closed_port();

}  // namespace mmf::testing_support
