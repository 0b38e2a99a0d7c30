#include <algorithm>
#include <array>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "integrations/grpc/grpc_support.h"
#include "metrics/access.h"
#include "metrics/series_cache.h"
#include "mmf/grpc_interceptor.h"

namespace mmf::detail {
namespace {

constexpr std::array<std::string_view, 17> kCodeNames = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};
constexpr std::array<std::string_view, 17> kCodeLabels = {
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16"};

// Messages per call: powers of two up to 65536.
std::vector<double> message_count_buckets() {
  std::vector<double> bounds;
  for (double bound = 1; bound <= 65536; bound *= 2) bounds.push_back(bound);
  return bounds;
}

// Sharded so that calls starting on several threads rarely wait for each other.
struct CallContexts {
  static constexpr std::size_t kShards = 16;
  // A call's entry is a node of the map; the nodes of ended calls are kept (up to kSpareNodes
  // a shard) for the next calls instead of being freed and allocated again.
  static constexpr std::size_t kSpareNodes = 8;
  using Map = std::unordered_map<const void*, Context>;
  struct Shard {
    Shard() { spare.reserve(kSpareNodes); }
    std::mutex mutex;
    Map contexts;
    std::vector<Map::node_type> spare;
  };
  std::array<Shard, kShards> shards;

  Shard& shard(const void* key) noexcept {
    return shards[(std::hash<const void*>{}(key) >> 4) % kShards];
  }
};

CallContexts& call_contexts() {
  static CallContexts* table = new CallContexts();  // never destroyed: calls may outlive exit
  return *table;
}

}  // namespace

MethodName::MethodName(const char* name) {
  const std::string_view text = name != nullptr ? std::string_view(name) : std::string_view();
  if (text.size() <= kInlineSize) {
    std::copy(text.begin(), text.end(), inline_);
    view_ = std::string_view(inline_, text.size());
  } else {
    long_.assign(text);
    view_ = long_;
  }
}

RpcName split_rpc_name(std::string_view full) noexcept {
  if (full.size() < 4 || full.front() != '/') return {};
  const std::size_t slash = full.find('/', 1);
  if (slash == std::string_view::npos || slash == 1 || slash + 1 == full.size()) return {};
  if (full.find('/', slash + 1) != std::string_view::npos) return {};
  return {.service = full.substr(1, slash - 1), .method = full.substr(slash + 1), .valid = true};
}

std::string_view grpc_code_name(int code) noexcept {
  return code >= 0 && code < static_cast<int>(kCodeNames.size()) ? kCodeNames[code] : "UNKNOWN";
}

std::string_view grpc_code_label(int code) noexcept {
  return code >= 0 && code < static_cast<int>(kCodeLabels.size()) ? kCodeLabels[code] : "2";
}

bool is_server_error(int code) noexcept {
  switch (static_cast<grpc::StatusCode>(code)) {
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::UNIMPLEMENTED:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DATA_LOSS:
      return true;
    default:
      return code < 0 || code > 16;
  }
}

GrpcCallMetrics::GrpcCallMetrics(MetricRegistry& registry, std::string_view side)
    : cache_owner_(new_series_cache_owner()) {
  const std::string prefix = "rpc_" + std::string(side) + "_";
  const std::vector<std::string> labels = {"rpc_service", "rpc_method", "rpc_grpc_status_code"};
  duration_ = registry.create_histogram(prefix + "call_duration_seconds",
                                        "Duration of gRPC " + std::string(side) + " calls.", labels,
                                        default_seconds_buckets(), "seconds");
  requests_ = registry.create_histogram(
      prefix + "requests_per_rpc",
      "Messages received per gRPC " + std::string(side) + " streaming call.", labels,
      message_count_buckets());
  responses_ =
      registry.create_histogram(prefix + "responses_per_rpc",
                                "Messages sent per gRPC " + std::string(side) + " streaming call.",
                                labels, message_count_buckets());
}

void GrpcCallMetrics::record(const RpcName& name, int code, double seconds, bool streaming,
                             std::uint64_t requests, std::uint64_t responses) const noexcept {
  // The series of a (method, code) are usually in this thread's cache, keyed by the service and
  // method as one text ("package.Service/Method", both views into the call's full name). Unary
  // calls have no message-count series: none is made for them.
  const std::string_view method =
      name.valid
          ? std::string_view(name.service.data(),
                             static_cast<std::size_t>(name.method.data() + name.method.size() -
                                                      name.service.data()))
          : std::string_view();
  const auto tag = static_cast<std::uint8_t>((streaming ? 1 : 0) | (name.valid ? 0 : 2));
  CachedSeries series{};
  if (const CachedSeries* cached = find_cached_series(cache_owner_, tag, method, code)) {
    series = *cached;
  } else {
    const LabelValues labels = {{"rpc_service", name.service},
                                {"rpc_method", name.method},
                                {"rpc_grpc_status_code", grpc_code_label(code)}};
    bool lasting[3] = {false, !streaming, !streaming};
    series[0] = MetricsAccess::find(duration_, labels, lasting[0]);
    if (streaming) {
      series[1] = MetricsAccess::find(requests_, labels, lasting[1]);
      series[2] = MetricsAccess::find(responses_, labels, lasting[2]);
    }
    if (lasting[0] && lasting[1] && lasting[2]) {
      store_cached_series(cache_owner_, tag, method, code, series);
    }
  }
  if (series[0] != nullptr) series[0]->observe(seconds);
  if (series[1] != nullptr) series[1]->observe(static_cast<double>(requests));
  if (series[2] != nullptr) series[2]->observe(static_cast<double>(responses));
}

void add_message_event(Span& span, bool sent, std::uint64_t id) noexcept {
  span.add_event("message", {{"rpc.message.type", sent ? "SENT" : "RECEIVED"},
                             {"rpc.message.id", static_cast<std::int64_t>(id)}});
}

void set_rpc_attributes(Span& span, const RpcName& name) noexcept {
  span.set_attribute("rpc.system", "grpc")
      .set_attribute("rpc.service", name.service)
      .set_attribute("rpc.method", name.method);
}

void set_rpc_outcome(Span& span, const RpcOutcome& outcome) noexcept {
  if (!span.is_recording()) return;
  span.set_attribute("rpc.grpc.status_code", std::int64_t{outcome.code});
  if (outcome.streaming) {
    span.set_attribute("rpc.messages_received", static_cast<std::int64_t>(outcome.received))
        .set_attribute("rpc.messages_sent", static_cast<std::int64_t>(outcome.sent));
  }
  if (!outcome.error) return;
  const std::string_view name = grpc_code_name(outcome.code);
  span.set_status(StatusCode::kError, outcome.message.empty() ? name : outcome.message)
      .set_attribute("error.type", name);
}

void register_call_context(const void* server_context, const Context& context) {
  CallContexts::Shard& shard = call_contexts().shard(server_context);
  const std::lock_guard<std::mutex> lock(shard.mutex);
  if (shard.spare.empty()) {
    shard.contexts.insert_or_assign(server_context, context);
    return;
  }
  CallContexts::Map::node_type& node = shard.spare.back();
  node.key() = server_context;
  node.mapped() = context;
  const auto inserted = shard.contexts.insert(std::move(node));
  // A context registered twice: the new one wins; the node comes back in inserted.node.
  if (!inserted.inserted) inserted.position->second = context;
  shard.spare.pop_back();
}

void unregister_call_context(const void* server_context) noexcept {
  CallContexts::Shard& shard = call_contexts().shard(server_context);
  Context released;  // destroyed after the lock is let go
  const std::lock_guard<std::mutex> lock(shard.mutex);
  const auto found = shard.contexts.find(server_context);
  if (found == shard.contexts.end()) return;
  CallContexts::Map::node_type node = shard.contexts.extract(found);
  released = std::move(node.mapped());
  // Within the reserved capacity: never allocates.
  if (shard.spare.size() < CallContexts::kSpareNodes) shard.spare.push_back(std::move(node));
}

Context find_call_context(const void* server_context) {
  CallContexts::Shard& shard = call_contexts().shard(server_context);
  const std::lock_guard<std::mutex> lock(shard.mutex);
  const auto found = shard.contexts.find(server_context);
  return found == shard.contexts.end() ? Context() : found->second;
}

}  // namespace mmf::detail

namespace mmf {

Context grpc_call_context(const grpc::ServerContextBase& server_context) {
  return detail::find_call_context(&server_context);
}

}  // namespace mmf
