// Shared by the gRPC server and client interceptors: method names, status codes, the call
// metrics, and the table that lets a handler reach its call's Context from its ServerContext.
#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "mmf/context.h"
#include "mmf/metrics.h"
#include "mmf/span.h"

namespace mmf::detail {

// "/package.Service/Method" -> {"package.Service", "Method"}. Anything else (no leading '/',
// an empty part, more parts) is not a gRPC method name: valid is false and both are "_OTHER".
struct RpcName {
  std::string_view service = "_OTHER";
  std::string_view method = "_OTHER";
  bool valid = false;
};
RpcName split_rpc_name(std::string_view full) noexcept;

// A call's full method name, copied into its interceptor (gRPC's own copy may go before the
// interceptor does): a name of up to kInlineSize characters, nearly every one, needs no
// allocation. nullptr is the empty name.
class MethodName {
 public:
  explicit MethodName(const char* name);
  MethodName(const MethodName&) = delete;
  MethodName& operator=(const MethodName&) = delete;
  std::string_view view() const noexcept { return view_; }

 private:
  static constexpr std::size_t kInlineSize = 96;
  char inline_[kInlineSize];
  std::string long_;
  std::string_view view_;
};

// "OK", "CANCELLED", ... "UNAUTHENTICATED"; "UNKNOWN" for a number outside [0, 16].
std::string_view grpc_code_name(int code) noexcept;

// The code as a label value ("0" .. "16"; a code out of range is "2", UNKNOWN).
std::string_view grpc_code_label(int code) noexcept;

// The server-side error codes of the semantic conventions: UNKNOWN, DEADLINE_EXCEEDED,
// UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS. (On the client side every non-OK code is.)
bool is_server_error(int code) noexcept;

// rpc_<side>_call_duration_seconds, and rpc_<side>_requests_per_rpc /
// rpc_<side>_responses_per_rpc for streams. A default-made one records nothing.
class GrpcCallMetrics {
 public:
  GrpcCallMetrics() = default;
  GrpcCallMetrics(MetricRegistry& registry, std::string_view side);
  void record(const RpcName& name, int code, double seconds, bool streaming, std::uint64_t requests,
              std::uint64_t responses) const noexcept;

 private:
  // Keys this object's series in the per-thread cache (metrics/series_cache.h); a copy shares
  // the instruments, so it shares the id.
  std::uint64_t cache_owner_ = 0;
  Histogram duration_;
  Histogram requests_;
  Histogram responses_;
};

// Adds the span event of one message of a stream (rpc.message.type, rpc.message.id).
void add_message_event(Span& span, bool sent, std::uint64_t id) noexcept;

// rpc.system, rpc.service and rpc.method, on both sides.
void set_rpc_attributes(Span& span, const RpcName& name) noexcept;

// How a call ended, on its span: rpc.grpc.status_code, the message totals of a stream, and for
// an error (the side decides which codes are) the error status and error.type.
struct RpcOutcome {
  int code = 0;
  bool error = false;
  std::string_view message{};  // the status message
  bool streaming = false;
  std::uint64_t received = 0;
  std::uint64_t sent = 0;
};
void set_rpc_outcome(Span& span, const RpcOutcome& outcome) noexcept;

// The Contexts of the server calls in flight, by their ServerContextBase's address: registered
// when a call starts, removed when its interceptor goes (before the ServerContext does).
void register_call_context(const void* server_context, const Context& context);
void unregister_call_context(const void* server_context) noexcept;
Context find_call_context(const void* server_context);

// Copies a metadata value, which gRPC hands out as string_ref (not NUL-terminated).
template <class Ref>
std::string_view view_of(const Ref& ref) noexcept {
  return std::string_view(ref.data(), ref.length());
}

}  // namespace mmf::detail
