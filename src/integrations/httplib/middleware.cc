#include <algorithm>
#include <charconv>
#include <cstring>
#include <exception>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "integrations/http/support.h"
#include "mmf/httplib_middleware.h"
#include "mmf/unified.h"

namespace mmf {
namespace {

// The request in flight on this thread. httplib runs the pre-routing handler, the route's
// handler, the post-routing handler and the logger of one request on one thread, in that
// order, so the call started in the first is current through the handler and ended in the last.
struct ThreadCall {
  const CorrelationMiddleware* owner = nullptr;
  std::optional<HttpServerCall> call;
  const std::vector<std::string>* parameter_names = nullptr;  // of the matched route
};
thread_local ThreadCall tls_call;

void end_thread_call(int status, std::uint64_t request_bytes, std::uint64_t response_bytes) {
  if (tls_call.call) tls_call.call->end(status, request_bytes, response_bytes);
  tls_call.call.reset();
  tls_call.owner = nullptr;
  tls_call.parameter_names = nullptr;
}

// cpp-httplib before 0.44 percent-decodes every request header value while parsing, so a
// baggage value the sender encoded ("Zo%C3%AB%202") arrives decoded ("Zoë 2"), and a second
// decode would corrupt "%2541" into "A". This puts the encoding back: in each value, every
// byte that W3C Baggage does not allow literally (space, '"', '\\', controls, non-ASCII) and
// every '%' (after httplib's decoding, a literal '%' came from "%25") is percent-encoded. What
// cannot be recovered: an encoded ',' or ';' inside a value, which now splits it.
// A byte that reencode_baggage() writes as it is, wherever it stands.
constexpr bool stays_as_received(char ch) noexcept {
  const auto c = static_cast<unsigned char>(ch);
  return c > 0x20 && c < 0x7F && c != '"' && c != '\\' && c != '%';
}

// Whether reencode_baggage(decoded) differs from decoded. Nearly every baggage header holds
// only bytes that stay: then the propagator reads the header's own text, with no copy.
bool needs_reencoding(std::string_view decoded) noexcept {
  return !std::all_of(decoded.begin(), decoded.end(), stays_as_received);
}

std::string reencode_baggage(std::string_view decoded) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(decoded.size() + 16);
  // A piece is a member ("key=value") or a property ("key" or "key=value"), between ',' and ';'.
  while (true) {
    const std::size_t end = std::min(decoded.find_first_of(",;"), decoded.size());
    const std::string_view piece = decoded.substr(0, end);
    const std::size_t equals = piece.find('=');
    if (equals == std::string_view::npos) {
      out.append(piece);
    } else {
      out.append(piece.substr(0, equals + 1));
      std::string_view value = piece.substr(equals + 1);
      // Optional whitespace around the value stays as it is; inside it, it is data.
      const std::size_t first = std::min(value.find_first_not_of(" \t"), value.size());
      const std::size_t last = value.find_last_not_of(" \t");
      const std::size_t length = last == std::string_view::npos ? 0 : last + 1 - first;
      out.append(value.substr(0, first));
      for (const char ch : value.substr(first, length)) {
        const auto c = static_cast<unsigned char>(ch);
        if (stays_as_received(ch)) {
          out += ch;
        } else {
          out += '%';
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        }
      }
      out.append(value.substr(first + length));
    }
    if (end == decoded.size()) break;
    out += decoded[end];
    decoded.remove_prefix(end + 1);
  }
  return out;
}

// Two memchr passes (vectorised by the C library) instead of one loop testing each character
// twice: this runs on every response header the middleware adds, about 120 characters a request.
bool has_line_break(std::string_view text) noexcept {
  if (text.empty()) return false;  // memchr must not be given a null pointer, even for 0 bytes
  return std::memchr(text.data(), '\n', text.size()) != nullptr ||
         std::memchr(text.data(), '\r', text.size()) != nullptr;
}

std::uint64_t response_body_bytes(const httplib::Response& response) {
  if (!response.body.empty()) return response.body.size();
  // A streamed response: what it announced, when it did.
  const std::string length = response.get_header_value("Content-Length");
  std::uint64_t bytes = 0;
  std::from_chars(length.data(), length.data() + length.size(), bytes);
  return bytes;
}

// The answer to a handler that threw: 500 with the correlation ID, as JSON.
void answer_exception(httplib::Response& response) {
  std::string id;
  if (tls_call.call) id = tls_call.call->context().correlation_id();  // a safe character set
  response.status = 500;
  response.set_content("{\"error\":\"internal server error\",\"correlation_id\":\"" + id + "\"}",
                       "application/json");
}

void record_current_exception(std::exception_ptr exception) {
  if (!tls_call.call) return;
  try {
    std::rethrow_exception(std::move(exception));
  } catch (const std::exception& e) {
    tls_call.call->record_exception(e);
  } catch (...) {
    tls_call.call->record_exception("unknown", "a handler threw something not a std::exception");
  }
}

}  // namespace

CorrelationMiddleware::CorrelationMiddleware(httplib::Server& server,
                                             UnifiedObservability& observability,
                                             HttpServerOptions options)
    : server_(server),
      owned_(std::make_unique<HttpServerInstrumentation>(observability, std::move(options))),
      instrumentation_(*owned_) {
  install();
}

CorrelationMiddleware::CorrelationMiddleware(httplib::Server& server,
                                             HttpServerInstrumentation& instrumentation)
    : server_(server), instrumentation_(instrumentation) {
  install();
}

CorrelationMiddleware::~CorrelationMiddleware() = default;

void CorrelationMiddleware::install() {
  server_.set_pre_routing_handler([this](const httplib::Request& request, httplib::Response&) {
    // A call left over on this thread (its logger never ran): it ends without a response.
    if (tls_call.call) end_thread_call(0, 0, 0);
    // One walk over the headers: Host, User-Agent, and the baggage values that need
    // re-encoding, whose copies live here while the propagator reads them (it keeps views
    // until it has read them all).
    std::string_view host_header;
    std::string_view user_agent;
    std::vector<std::string> reencoded;
    for (const auto& [name, value] : request.headers) {
      if (iequals(name, mmf::headers::kBaggage)) {
        if (needs_reencoding(value)) reencoded.push_back(reencode_baggage(value));
      } else if (host_header.empty() && iequals(name, "Host")) {
        host_header = value;
      } else if (user_agent.empty() && iequals(name, "User-Agent")) {
        user_agent = value;
      }
    }
    auto [host, port] = detail::split_host_port(host_header);
    if (host.empty()) {
      host = request.local_addr;
      port = request.local_port;
    }
    const auto headers = [&request, &reencoded](Propagator::HeaderVisitor visit) {
      std::size_t next_reencoded = 0;
      for (const auto& [name, value] : request.headers) {
        if (iequals(name, mmf::headers::kBaggage) && needs_reencoding(value)) {
          visit(name, reencoded[next_reencoded++]);
        } else {
          visit(name, value);
        }
      }
    };
    tls_call.owner = this;
    tls_call.call.emplace(
        instrumentation_,
        HttpServerRequest{.method = request.method,
                          .path = request.path,
                          .server_address = host,
                          .server_port = port,
                          .client_address = request.remote_addr,
                          .client_port = request.remote_port > 0 ? request.remote_port : 0,
                          .user_agent = user_agent,
                          .headers = headers});
    if (!tls_call.call->instrumented()) end_thread_call(0, 0, 0);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server_.set_post_routing_handler([this](const httplib::Request&, httplib::Response& response) {
    if (tls_call.owner != this || !tls_call.call) return;
    tls_call.call->add_response_headers([&response](std::string_view name, std::string_view value) {
      // Built in place in the header map from the views: Response::set_header takes
      // std::strings, which would be made here only to be copied again (four allocations a
      // request). Its one check stays: a name or value with CR or LF is never set.
      if (has_line_break(name) || has_line_break(value)) return;
      response.headers.emplace(std::piecewise_construct, std::forward_as_tuple(name),
                               std::forward_as_tuple(value));
    });
  });
  server_.set_exception_handler(
      [this](const httplib::Request&, httplib::Response& response, std::exception_ptr exception) {
        if (tls_call.owner == this) record_current_exception(std::move(exception));
        answer_exception(response);
      });
  server_.set_logger([this](const httplib::Request& request, const httplib::Response& response) {
    if (tls_call.owner != this || !tls_call.call) return;
    tls_call.call->capture_response_headers([&response](Propagator::HeaderVisitor visit) {
      for (const auto& [name, value] : response.headers) visit(name, value);
    });
    end_thread_call(response.status, request.body.size(), response_body_bytes(response));
  });
}

httplib::Server::Handler CorrelationMiddleware::wrap(const std::string& route_template,
                                                     httplib::Server::Handler handler) {
  auto route = std::make_shared<const RouteTemplate>(route_template);
  return [this, route, handler = std::move(handler)](const httplib::Request& request,
                                                     httplib::Response& response) {
    const bool ours = tls_call.owner == this && tls_call.call;
    if (ours) {
      tls_call.call->set_route(route->text());
      tls_call.parameter_names = &route->parameter_names();
    }
    try {
      handler(request, response);
    } catch (...) {
      if (ours) record_current_exception(std::current_exception());
      answer_exception(response);
    }
  };
}

#define MMF_MIDDLEWARE_VERB(Verb)                                                                  \
  CorrelationMiddleware& CorrelationMiddleware::Verb(const std::string& route_template,            \
                                                     httplib::Server::Handler handler) {           \
    server_.Verb(RouteTemplate(route_template).regex(), wrap(route_template, std::move(handler))); \
    return *this;                                                                                  \
  }
MMF_MIDDLEWARE_VERB(Get)
MMF_MIDDLEWARE_VERB(Post)
MMF_MIDDLEWARE_VERB(Put)
MMF_MIDDLEWARE_VERB(Patch)
MMF_MIDDLEWARE_VERB(Delete)
MMF_MIDDLEWARE_VERB(Options)
#undef MMF_MIDDLEWARE_VERB

std::string route_parameter(const httplib::Request& request, std::string_view name) {
  if (tls_call.parameter_names == nullptr) return {};
  const std::vector<std::string>& names = *tls_call.parameter_names;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name && i + 1 < request.matches.size()) return request.matches[i + 1].str();
  }
  return {};
}

HttpServerCall* current_http_call() noexcept { return tls_call.call ? &*tls_call.call : nullptr; }

}  // namespace mmf
