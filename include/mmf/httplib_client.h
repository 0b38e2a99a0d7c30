// CorrelationHttpClient: a cpp-httplib client whose requests carry the caller's Context
// (component mmf::observability_httplib).
//
//   mmf::CorrelationHttpClient payments("http://payments:8080", observability,
//                                       {.peer_service = "payments"});
//   httplib::Result result = payments.Post("/charge", body, "application/json");
//
// Each request gets a client span (a child of the current Context), the propagation headers
// (traceparent, tracestate, baggage, X-Correlation-ID...) with that span as the parent, and is
// timed in http_client_request_duration_seconds; mmf/http_client.h says what is recorded.
// Headers the caller passes are sent too (a propagation header of the caller's is replaced).
//
// Thread-safety: like httplib::Client, one request at a time per client; make one per thread,
// or guard it.
#pragma once

#include <httplib.h>

#include <memory>
#include <string>

#include "mmf/http_client.h"

namespace mmf {

class CorrelationHttpClient {
 public:
  // scheme_host_port as httplib::Client takes it: "http://payments:8080". observability (or
  // instrumentation) must outlive the client.
  CorrelationHttpClient(const std::string& scheme_host_port, UnifiedObservability& observability,
                        HttpClientOptions options = {});
  CorrelationHttpClient(const std::string& scheme_host_port,
                        HttpClientInstrumentation& instrumentation);
  ~CorrelationHttpClient();
  CorrelationHttpClient(const CorrelationHttpClient&) = delete;
  CorrelationHttpClient& operator=(const CorrelationHttpClient&) = delete;

  httplib::Result Get(const std::string& path, const httplib::Headers& headers = {});
  httplib::Result Head(const std::string& path, const httplib::Headers& headers = {});
  httplib::Result Post(const std::string& path, const std::string& body,
                       const std::string& content_type, const httplib::Headers& headers = {});
  httplib::Result Put(const std::string& path, const std::string& body,
                      const std::string& content_type, const httplib::Headers& headers = {});
  httplib::Result Patch(const std::string& path, const std::string& body,
                        const std::string& content_type, const httplib::Headers& headers = {});
  httplib::Result Delete(const std::string& path, const httplib::Headers& headers = {});
  httplib::Result Options(const std::string& path, const httplib::Headers& headers = {});
  // Any method, with a body when it is not empty.
  httplib::Result send(const std::string& method, const std::string& path,
                       const httplib::Headers& headers = {}, const std::string& body = {},
                       const std::string& content_type = {});

  // For the settings httplib offers (timeouts, keep-alive, TLS).
  httplib::Client& client() noexcept { return client_; }

 private:
  std::string base_url_;
  httplib::Client client_;
  std::unique_ptr<HttpClientInstrumentation> owned_;
  HttpClientInstrumentation& instrumentation_;
};

}  // namespace mmf
