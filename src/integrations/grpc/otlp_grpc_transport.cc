#include "mmf/otlp_grpc_transport.h"

#include <grpc/support/time.h>
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/channel_arguments.h>
#include <grpcpp/support/status.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "export/retry_loop.h"
#include "integrations/grpc/grpc_support.h"
#include "mmf/otlp_exporter.h"
#include "mmf/version.h"
#include "propagation/text.h"

// Referenced by the component's link option (-Wl,--undefined=mmf_otlp_grpc_transport_anchor in
// src/CMakeLists.txt). Nothing else in a program refers to this file, so without that reference
// a static link would drop it, and with it the registration below: OTEL_EXPORTER_OTLP_PROTOCOL=grpc
// would then fail although the component was linked.
extern "C" {
int mmf_otlp_grpc_transport_anchor = 0;
}

namespace mmf {
namespace {

using Clock = std::chrono::steady_clock;
using Status = TransportResult::Status;

constexpr std::size_t kMaxKeptBody = 4096;  // as the HTTP transport keeps
constexpr std::size_t kMaxShownMessage = 256;
constexpr std::string_view kDefaultPort = "4317";
// An attempt normally ends by gRPC's own deadline; past this grace it is cancelled from here.
constexpr std::chrono::seconds kCompletionGrace{2};
// gRPC keeps deadlines as its own millisecond timestamps and can end a call a little before
// attempt_end as steady_clock sees it (seen under AddressSanitizer): a DEADLINE_EXCEEDED that
// close to the attempt's end is the attempt's own, not the collector's.
constexpr std::chrono::milliseconds kOwnDeadlineSlack{5};

// The Export method of each signal's collector service, by the path the exporters send to.
std::optional<std::string_view> method_for(std::string_view path) {
  if (path == "/v1/traces") return "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
  if (path == "/v1/metrics") {
    return "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
  }
  if (path == "/v1/logs") return "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
  return std::nullopt;
}

// What gRPC accepts, checked here because gRPC aborts the process on invalid metadata.
bool is_metadata_key(std::string_view key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

bool is_metadata_text(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// Metadata that gRPC or HTTP/2 own; the transport sets these itself, as the HTTP transport owns
// Content-Type.
bool is_reserved_key(std::string_view key) {
  return key.starts_with("grpc-") || key == "content-type" || key == "content-encoding" ||
         key == "te" || key == "user-agent" || key == "host";
}

struct Target {
  bool tls = false;
  std::string address;  // host:port, as gRPC dials it
};

// The endpoint's scheme and authority; validate() has already checked it is an http(s) URL.
Target target_of(std::string_view url) {
  Target target;
  const std::size_t scheme_end = url.find("://");
  target.tls = detail::ascii_lower(url.substr(0, scheme_end)) == "https";
  std::string_view authority = url.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);  // user:password has no meaning to gRPC
  }
  const std::size_t bracket = authority.rfind(']');  // an IPv6 literal holds ':' of its own
  const std::size_t colon = authority.rfind(':');
  const bool has_port =
      colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
  target.address = std::string(authority);
  if (!has_port) target.address.append(":").append(kDefaultPort);
  return target;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The collector's status message, printable and bounded, for a TransportResult message.
std::string shown(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxShownMessage)) out.push_back(c >= 0x20 && c < 0x7f ? c : ' ');
  if (text.size() > kMaxShownMessage) out.append("...");
  return out;
}

// --- google.rpc.Status details, read by hand: the library has no protobuf dependency, and the
// bytes come from the network, so every read is bounded and garbage only means "no RetryInfo".

class WireReader {
 public:
  explicit WireReader(std::string_view bytes) : rest_(bytes) {}
  bool done() const { return rest_.empty(); }

  std::optional<std::uint64_t> varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64 && !rest_.empty(); shift += 7) {
      const auto byte = static_cast<unsigned char>(rest_.front());
      rest_.remove_prefix(1);
      value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    return std::nullopt;
  }

  // The next field's number and wire type.
  std::optional<std::pair<std::uint64_t, int>> tag() {
    const std::optional<std::uint64_t> key = varint();
    if (!key) return std::nullopt;
    return std::pair{*key >> 3, static_cast<int>(*key & 7)};
  }

  std::optional<std::string_view> length_delimited() {
    const std::optional<std::uint64_t> size = varint();
    if (!size || *size > rest_.size()) return std::nullopt;
    const std::string_view bytes = rest_.substr(0, *size);
    rest_.remove_prefix(*size);
    return bytes;
  }

  // Skips a field of a wire type this reader does not need; false on anything malformed.
  bool skip(int wire_type) {
    switch (wire_type) {
      case 0:
        return varint().has_value();
      case 1:
        return take(8);
      case 2:
        return length_delimited().has_value();
      case 5:
        return take(4);
      default:
        return false;  // groups are not used by these messages
    }
  }

 private:
  bool take(std::size_t n) {
    if (rest_.size() < n) return false;
    rest_.remove_prefix(n);
    return true;
  }
  std::string_view rest_;
};

// google.protobuf.Duration {int64 seconds = 1; int32 nanos = 2;}, negative read as zero.
std::optional<std::chrono::milliseconds> read_duration(std::string_view bytes) {
  WireReader reader(bytes);
  std::int64_t seconds = 0;
  std::int64_t nanos = 0;
  while (!reader.done()) {
    const auto tag = reader.tag();
    if (!tag) return std::nullopt;
    if ((tag->first == 1 || tag->first == 2) && tag->second == 0) {
      const std::optional<std::uint64_t> value = reader.varint();
      if (!value) return std::nullopt;
      (tag->first == 1 ? seconds : nanos) = static_cast<std::int64_t>(*value);
    } else if (!reader.skip(tag->second)) {
      return std::nullopt;
    }
  }
  // Far past any deadline, and small enough that no clock arithmetic overflows.
  constexpr std::int64_t kMaxSeconds = std::int64_t{1} << 31;
  seconds = std::clamp<std::int64_t>(seconds, 0, kMaxSeconds);
  nanos = std::clamp<std::int64_t>(nanos, 0, 999'999'999);
  return std::chrono::milliseconds(seconds * 1000 + (nanos + 999'999) / 1'000'000);
}

// The retry_delay of a google.rpc.RetryInfo {Duration retry_delay = 1;}.
std::optional<std::chrono::milliseconds> read_retry_info(std::string_view bytes) {
  WireReader reader(bytes);
  std::optional<std::chrono::milliseconds> delay;
  while (!reader.done()) {
    const auto tag = reader.tag();
    if (!tag) return std::nullopt;
    if (tag->first == 1 && tag->second == 2) {
      const auto duration = reader.length_delimited();
      if (!duration || !(delay = read_duration(*duration))) return std::nullopt;
    } else if (!reader.skip(tag->second)) {
      return std::nullopt;
    }
  }
  return delay ? delay : std::chrono::milliseconds(0);  // an absent delay is a zero one
}

// The delay of the first RetryInfo in a serialized google.rpc.Status {int32 code = 1;
// string message = 2; repeated google.protobuf.Any details = 3;}, Any being {string type_url = 1;
// bytes value = 2;}; nullopt when there is none or the bytes are malformed.
std::optional<std::chrono::milliseconds> retry_info_delay(std::string_view status_details) {
  constexpr std::string_view kRetryInfo = "google.rpc.RetryInfo";
  WireReader status(status_details);
  while (!status.done()) {
    const auto tag = status.tag();
    if (!tag) return std::nullopt;
    if (tag->first != 3 || tag->second != 2) {
      if (!status.skip(tag->second)) return std::nullopt;
      continue;
    }
    const auto any = status.length_delimited();
    if (!any) return std::nullopt;
    WireReader fields(*any);
    std::string_view type_url;
    std::string_view value;
    while (!fields.done()) {
      const auto field = fields.tag();
      if (!field) return std::nullopt;
      if ((field->first == 1 || field->first == 2) && field->second == 2) {
        const auto bytes = fields.length_delimited();
        if (!bytes) return std::nullopt;
        (field->first == 1 ? type_url : value) = *bytes;
      } else if (!fields.skip(field->second)) {
        return std::nullopt;
      }
    }
    if (type_url.ends_with(kRetryInfo)) return read_retry_info(value);
  }
  return std::nullopt;
}

// The OTLP/gRPC specification's retryable codes. DEADLINE_EXCEEDED and CANCELLED also need the
// caller's context, and RESOURCE_EXHAUSTED its details, so send() decides those first.
bool is_retryable(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DATA_LOSS:
      return true;
    default:
      return false;
  }
}

std::string problems_text(const ConfigErrors& errors) {
  std::string text = "invalid OTLP/gRPC options:";
  for (const ConfigError& error : errors) text.append(" ").append(error.to_string()).append(";");
  text.pop_back();
  return text;
}

}  // namespace

// Everything one transport owns. The channel is made once and kept, so its connection to the
// collector is reused by every send().
struct OtlpGrpcTransport::State {
  OtlpHttpOptions options;
  Target target;
  std::vector<std::pair<std::string, std::string>> metadata;  // keys lower-cased
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::GenericStub> stub;

  detail::CancellableWait cancellation;  // cancel() sets it; cuts the wait between attempts short
  std::mutex send_mutex;                 // one send() at a time; guards random
  std::minstd_rand random{std::random_device{}()};
  std::mutex call_mutex;                // guards call, for cancel()
  grpc::ClientContext* call = nullptr;  // the attempt in flight

  struct Attempt {
    grpc::Status status;
    std::string response;  // its first kMaxKeptBody bytes
  };

  TransportResult send(std::string_view path, std::string_view body, std::string_view content_type,
                       Clock::time_point deadline);
  Attempt perform(const std::string& method, const grpc::ByteBuffer& request,
                  Clock::time_point attempt_end);
};

OtlpGrpcTransport::OtlpGrpcTransport(OtlpHttpOptions options) : state_(std::make_unique<State>()) {
  ConfigErrors errors;
  validate(options, "OtlpHttpOptions", errors);
  State& s = *state_;
  for (const auto& [name, value] : options.headers) {
    const std::string key = detail::ascii_lower(name);
    if (is_reserved_key(key)) continue;
    if (!is_metadata_key(key)) {
      errors.push_back({"OtlpHttpOptions.headers",
                        "'" + shown(name) + "' is not a gRPC metadata key (a-z 0-9 - _ .)"});
    } else if (!key.ends_with("-bin") && !is_metadata_text(value)) {
      // The value may be a secret: name the header only.
      errors.push_back({"OtlpHttpOptions.headers",
                        "the value of " + key + " is not printable ASCII, as gRPC requires"});
    } else {
      s.metadata.emplace_back(key, value);
    }
  }
  if (options.insecure_skip_verify) {
    errors.push_back({"OtlpHttpOptions.insecure_skip_verify", "is not supported over gRPC"});
  }
  grpc::SslCredentialsOptions tls;
  // gRPC takes PEM contents, not paths: read now, so that a missing file fails construction.
  const std::tuple<const char*, const std::string*, std::string*> files[] = {
      {"certificate_file", &options.certificate_file, &tls.pem_root_certs},
      {"client_certificate_file", &options.client_certificate_file, &tls.pem_cert_chain},
      {"client_key_file", &options.client_key_file, &tls.pem_private_key}};
  for (const auto& [setting, path, contents] : files) {
    if (path->empty()) continue;
    if (std::optional<std::string> read = read_file(*path)) {
      *contents = std::move(*read);
    } else {
      errors.push_back({std::string("OtlpHttpOptions.") + setting, "cannot read '" + *path + "'"});
    }
  }
  if (!errors.empty()) throw std::invalid_argument(problems_text(errors));

  s.options = std::move(options);
  s.target = target_of(s.options.endpoint);
  grpc::ChannelArguments arguments;
  arguments.SetUserAgentPrefix(s.options.user_agent.empty()
                                   ? std::string(kLibraryName) + "/" + std::string(kVersion)
                                   : s.options.user_agent);
  // The channel's own reconnect backoff (1 s to 120 s by default) would refuse the retries of a
  // send() after a collector restart; the options' backoff governs both instead.
  const auto clamp_ms = [](std::chrono::milliseconds value) {
    return static_cast<int>(std::clamp<std::int64_t>(value.count(), 10, 120'000));
  };
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, clamp_ms(s.options.initial_backoff));
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, clamp_ms(s.options.max_backoff));
  // The retry rules are OTLP's, applied in send(); gRPC's own would retry behind its back.
  arguments.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  const std::shared_ptr<grpc::ChannelCredentials> credentials =
      s.target.tls ? grpc::SslCredentials(tls) : grpc::InsecureChannelCredentials();
  s.channel = grpc::CreateCustomChannel(s.target.address, credentials, arguments);
  s.stub = std::make_unique<grpc::GenericStub>(s.channel);
}

OtlpGrpcTransport::~OtlpGrpcTransport() = default;

void OtlpGrpcTransport::cancel() noexcept {
  State& s = *state_;
  s.cancellation.cancel();
  std::lock_guard<std::mutex> lock(s.call_mutex);
  if (s.call != nullptr) s.call->TryCancel();
}

TransportResult OtlpGrpcTransport::send(std::string_view path, std::string_view body,
                                        std::string_view content_type,
                                        Clock::time_point deadline) noexcept {
  try {
    std::lock_guard<std::mutex> lock(state_->send_mutex);
    return state_->send(path, body, content_type, deadline);
  } catch (...) {  // only allocation can throw here
    return detail::out_of_memory_result();
  }
}

TransportResult OtlpGrpcTransport::State::send(std::string_view path, std::string_view body,
                                               std::string_view content_type,
                                               Clock::time_point deadline) {
  TransportResult result;
  if (cancellation.cancelled()) {
    result.status = Status::kCancelled;
    result.message = "the transport was cancelled";
    return result;
  }
  const std::optional<std::string_view> method = method_for(path);
  if (!method) {
    result.message = "'" + shown(path) +
                     "' is not an OTLP signal path (/v1/traces, /v1/metrics "
                     "or /v1/logs), so it has no gRPC method";
    return result;
  }
  if (content_type != "application/x-protobuf") {
    result.message = "OTLP/gRPC carries protobuf only, not " + shown(content_type);
    return result;
  }
  const std::string method_name(*method);
  grpc::Slice slice(body.data(), body.size());
  const grpc::ByteBuffer request(&slice, 1);

  return detail::run_attempts(
      options, target.address, cancellation, random, deadline,
      [&](TransportResult& attempt, Clock::time_point attempt_end, bool deadline_bounds) {
        Attempt outcome = perform(method_name, request, attempt_end);
        const grpc::StatusCode code = outcome.status.error_code();
        if (code == grpc::StatusCode::OK) {
          attempt.response_body = std::move(outcome.response);  // may hold a partial success
          return detail::AttemptEnd{detail::AttemptEnd::kSuccess};
        }
        if (cancellation.cancelled()) return detail::AttemptEnd{detail::AttemptEnd::kCancelled};
        // A DEADLINE_EXCEEDED that comes before the attempt's end is the collector's own (from a
        // backend it waited for): retryable, as the specification says.
        const bool attempt_expired = code == grpc::StatusCode::DEADLINE_EXCEEDED &&
                                     Clock::now() + kOwnDeadlineSlack >= attempt_end;
        if (attempt_expired && deadline_bounds) {
          return detail::AttemptEnd{detail::AttemptEnd::kTimedOut};
        }
        attempt.message = "gRPC status " +
                          std::string(detail::grpc_code_name(static_cast<int>(code))) + " (" +
                          std::to_string(static_cast<int>(code)) + ") from " + target.address;
        if (!outcome.status.error_message().empty()) {
          attempt.message += ": " + shown(outcome.status.error_message());
        }
        if (code == grpc::StatusCode::RESOURCE_EXHAUSTED) {
          // Without RetryInfo the collector gives no sign that the pressure will pass.
          const std::optional<std::chrono::milliseconds> delay =
              retry_info_delay(outcome.status.error_details());
          return delay ? detail::AttemptEnd{detail::AttemptEnd::kRetryable, delay}
                       : detail::AttemptEnd{detail::AttemptEnd::kPermanent};
        }
        return detail::AttemptEnd{is_retryable(code) ? detail::AttemptEnd::kRetryable
                                                     : detail::AttemptEnd::kPermanent};
      });
}

OtlpGrpcTransport::State::Attempt OtlpGrpcTransport::State::perform(const std::string& method,
                                                                    const grpc::ByteBuffer& request,
                                                                    Clock::time_point attempt_end) {
  grpc::ClientContext context;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(attempt_end - Clock::now());
  context.set_deadline(
      gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                   gpr_time_from_millis(std::max<std::int64_t>(left.count(), 0), GPR_TIMESPAN)));
  for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
  if (options.gzip) context.set_compression_algorithm(GRPC_COMPRESS_GZIP);

  // Registered before the flag is read: a cancel() either sees this call or is seen here.
  {
    std::lock_guard<std::mutex> lock(call_mutex);
    call = &context;
  }
  struct Completion {
    std::mutex mutex;
    std::condition_variable done_changed;
    bool done = false;
    grpc::Status status;
  } completion;
  grpc::ByteBuffer response;
  if (cancellation.cancelled()) context.TryCancel();  // the call then ends at once, as CANCELLED
  stub->UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                  [&completion](grpc::Status status) {
                    std::lock_guard<std::mutex> lock(completion.mutex);
                    completion.status = std::move(status);
                    completion.done = true;
                    completion.done_changed.notify_all();  // under the lock: completion may die
                  });
  {
    std::unique_lock<std::mutex> lock(completion.mutex);
    // gRPC's deadline ends the call; the grace only guards against a call that never completes.
    if (!completion.done_changed.wait_until(lock, attempt_end + kCompletionGrace,
                                            [&] { return completion.done; })) {
      lock.unlock();
      context.TryCancel();
      lock.lock();
      completion.done_changed.wait(lock, [&] { return completion.done; });
    }
  }
  {
    std::lock_guard<std::mutex> lock(call_mutex);
    call = nullptr;
  }
  Attempt outcome;
  outcome.status = std::move(completion.status);
  if (outcome.status.ok()) {
    std::vector<grpc::Slice> slices;
    if (response.Valid() && response.Dump(&slices).ok()) {
      for (const grpc::Slice& part : slices) {
        const std::size_t room = kMaxKeptBody - outcome.response.size();
        outcome.response.append(reinterpret_cast<const char*>(part.begin()),
                                std::min(part.size(), room));
      }
    }
  }
  return outcome;
}

namespace {

std::shared_ptr<OtlpTransport> make_grpc_transport(const OtlpHttpOptions& options) {
  return std::make_shared<OtlpGrpcTransport>(options);
}

// Registers the transport with make_otlp_transport() while the program starts.
[[maybe_unused]] const bool kRegistered = [] {
  detail::set_otlp_grpc_transport_factory(&make_grpc_transport);
  return true;
}();

}  // namespace
}  // namespace mmf
