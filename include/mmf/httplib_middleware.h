// CorrelationMiddleware: one call instruments a cpp-httplib server (component
// mmf::observability_httplib; Debian libcpp-httplib-dev 0.11).
//
//   httplib::Server server;
//   mmf::CorrelationMiddleware middleware(server, observability);   // after initialize()
//   middleware.Get("/users/{id}", [](const httplib::Request& request, httplib::Response& response)
//   {
//     response.set_content("user " + mmf::route_parameter(request, "id"), "text/plain");
//   });
//   server.listen("0.0.0.0", 8080);
//
// Every request then runs its handler with the request's Context current (the caller's trace,
// its correlation ID or a fresh one), inside a server span "{method} {route}", and is counted
// in the HTTP server metrics; the response carries X-Correlation-ID and X-Request-ID (and
// traceresponse when asked). mmf/http_server.h says what is recorded.
//
// Routes: register handlers through the middleware (Get, Post, Put, Patch, Delete, Options)
// with route templates ("/users/{id}"): the template becomes the span name, http.route and the
// metrics' route label. Handlers registered on the server directly are instrumented too, but
// their route is unknown to the middleware and labelled "unmatched", as are requests that
// match no route (404): a flood of distinct paths never adds a series.
//
// A handler that throws: the span records the exception, an error line is logged with the
// request's context, and the client gets a 500 whose JSON body quotes the correlation ID; the
// server keeps serving.
//
// cpp-httplib before 0.44 (Debian 12 has 0.11) percent-decodes every request header value
// before any handler sees it. The middleware encodes baggage values again, so that what the
// sender encoded arrives as sent, except an encoded ',' or ';' inside a value, which httplib has
// already turned into a separator (the member is then malformed and dropped, and counted). A
// tracestate value holding "%XX" reaches the Context decoded.
//
// What it takes from the server: the pre-routing handler, the post-routing handler, the
// exception handler and the logger (httplib has one of each). Use the options' hooks
// (on_request, on_response in HttpServerOptions) instead of setting them afterwards.
//
// Lifetime: the middleware must outlive the server's serving (it is called from its threads).
#pragma once

#include <httplib.h>

#include <memory>
#include <string>
#include <string_view>

#include "mmf/http_server.h"

namespace mmf {

class CorrelationMiddleware {
 public:
  // With the instrumentation of observability (which must outlive the middleware).
  CorrelationMiddleware(httplib::Server& server, UnifiedObservability& observability,
                        HttpServerOptions options = {});
  // With an instrumentation of the caller's, which must outlive the middleware.
  CorrelationMiddleware(httplib::Server& server, HttpServerInstrumentation& instrumentation);
  ~CorrelationMiddleware();
  CorrelationMiddleware(const CorrelationMiddleware&) = delete;
  CorrelationMiddleware& operator=(const CorrelationMiddleware&) = delete;

  // Registers handler for requests whose path matches route_template (see RouteTemplate; throws
  // std::invalid_argument for a bad one).
  CorrelationMiddleware& Get(const std::string& route_template, httplib::Server::Handler handler);
  CorrelationMiddleware& Post(const std::string& route_template, httplib::Server::Handler handler);
  CorrelationMiddleware& Put(const std::string& route_template, httplib::Server::Handler handler);
  CorrelationMiddleware& Patch(const std::string& route_template, httplib::Server::Handler handler);
  CorrelationMiddleware& Delete(const std::string& route_template,
                                httplib::Server::Handler handler);
  CorrelationMiddleware& Options(const std::string& route_template,
                                 httplib::Server::Handler handler);

  HttpServerInstrumentation& instrumentation() noexcept { return instrumentation_; }

 private:
  void install();
  httplib::Server::Handler wrap(const std::string& route_template,
                                httplib::Server::Handler handler);

  httplib::Server& server_;
  std::unique_ptr<HttpServerInstrumentation> owned_;
  HttpServerInstrumentation& instrumentation_;
};

// The value of the {name} parameter of the route the request matched, from a handler
// registered through a CorrelationMiddleware; "" when there is no such parameter.
std::string route_parameter(const httplib::Request& request, std::string_view name);

// The request's call, while its handler runs on this thread (null outside, or for excluded
// paths): to set a route by hand, or to record an exception that was handled.
HttpServerCall* current_http_call() noexcept;

}  // namespace mmf
