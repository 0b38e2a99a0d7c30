#include <utility>

#include "mmf/httplib_client.h"
#include "mmf/unified.h"

namespace mmf {
namespace {

// The scheme://host:port part, without a trailing '/', to which request paths are appended.
std::string base_url(const std::string& scheme_host_port) {
  std::string base = scheme_host_port.find("://") == std::string::npos
                         ? "http://" + scheme_host_port
                         : scheme_host_port;
  while (base.ends_with('/')) base.pop_back();
  return base;
}

// error.type for a request that got no response: httplib's name of the error, in snake case.
std::string error_type(httplib::Error error) {
  std::string name = httplib::to_string(error);
  std::string out;
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') {
      if (!out.empty()) out += '_';
      out += static_cast<char>(c - 'A' + 'a');
    } else if (c == ' ') {
      out += '_';
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

CorrelationHttpClient::CorrelationHttpClient(const std::string& scheme_host_port,
                                             UnifiedObservability& observability,
                                             HttpClientOptions options)
    : base_url_(base_url(scheme_host_port)),
      client_(scheme_host_port),
      owned_(std::make_unique<HttpClientInstrumentation>(observability, std::move(options))),
      instrumentation_(*owned_) {}

CorrelationHttpClient::CorrelationHttpClient(const std::string& scheme_host_port,
                                             HttpClientInstrumentation& instrumentation)
    : base_url_(base_url(scheme_host_port)),
      client_(scheme_host_port),
      instrumentation_(instrumentation) {}

CorrelationHttpClient::~CorrelationHttpClient() = default;

httplib::Result CorrelationHttpClient::send(const std::string& method, const std::string& path,
                                            const httplib::Headers& headers,
                                            const std::string& body,
                                            const std::string& content_type) {
  HttpClientCall call(instrumentation_, {.method = method, .url = base_url_ + path});
  httplib::Request request;
  request.method = method;
  request.path = path;
  request.headers = headers;
  call.inject(request.headers);
  if (!body.empty() || !content_type.empty()) {
    request.body = body;
    if (!content_type.empty()) request.set_header("Content-Type", content_type);
  }
  httplib::Result result = client_.send(request);
  if (result) {
    call.end(result->status);
  } else {
    call.fail(error_type(result.error()));
  }
  return result;
}

httplib::Result CorrelationHttpClient::Get(const std::string& path,
                                           const httplib::Headers& headers) {
  return send("GET", path, headers);
}
httplib::Result CorrelationHttpClient::Head(const std::string& path,
                                            const httplib::Headers& headers) {
  return send("HEAD", path, headers);
}
httplib::Result CorrelationHttpClient::Post(const std::string& path, const std::string& body,
                                            const std::string& content_type,
                                            const httplib::Headers& headers) {
  return send("POST", path, headers, body, content_type);
}
httplib::Result CorrelationHttpClient::Put(const std::string& path, const std::string& body,
                                           const std::string& content_type,
                                           const httplib::Headers& headers) {
  return send("PUT", path, headers, body, content_type);
}
httplib::Result CorrelationHttpClient::Patch(const std::string& path, const std::string& body,
                                             const std::string& content_type,
                                             const httplib::Headers& headers) {
  return send("PATCH", path, headers, body, content_type);
}
httplib::Result CorrelationHttpClient::Delete(const std::string& path,
                                              const httplib::Headers& headers) {
  return send("DELETE", path, headers);
}
httplib::Result CorrelationHttpClient::Options(const std::string& path,
                                               const httplib::Headers& headers) {
  return send("OPTIONS", path, headers);
}

}  // namespace mmf
