// Fuzzes the whole propagator. The first byte chooses the options; the rest is a list of
// headers, one per line: a line that starts with a byte below 0x20 names one of the headers
// the propagator knows (the byte picks which, the rest of the line is the value), any other
// line is "name:value". The extracted Context must hold only valid, bounded values; injecting
// it must write each header once with nothing that could split a header line; and extracting
// the injected headers must give back what travels.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_support.h"
#include "mmf/carrier.h"
#include "mmf/context.h"
#include "mmf/ids.h"
#include "mmf/propagation.h"

namespace {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kKnownNames[] = {
    mmf::headers::kTraceparent,
    mmf::headers::kTracestate,
    mmf::headers::kBaggage,
    mmf::headers::kCorrelationId,
    mmf::headers::kRequestId,
    mmf::headers::kUserId,
    mmf::headers::kSessionId,
    mmf::headers::kMmfCorrelationId,
    mmf::headers::kMmfRequestId,
    mmf::headers::kMmfUserId,
    mmf::headers::kMmfSessionId,
    mmf::headers::kMmfPluginId,
    mmf::headers::kMmfOperationId,
    mmf::headers::kB3,
    mmf::headers::kB3TraceId,
    mmf::headers::kB3SpanId,
    mmf::headers::kB3Sampled,
    mmf::headers::kB3Flags,
    "TRACEPARENT",
    "Baggage",
    "x-correlation-id",
};
constexpr std::size_t kKnownCount = sizeof(kKnownNames) / sizeof(kKnownNames[0]);

const std::vector<std::string> kAllowedBusinessFields = {"tenant", "cart_id"};

mmf::PropagationOptions options_from(std::uint8_t bits) {
  mmf::PropagationOptions options;
  options.trace_context = (bits & 0x01) == 0;
  options.baggage = (bits & 0x02) == 0;
  options.b3 = (bits & 0x04) == 0;
  options.correlation = (bits & 0x08) == 0;
  options.output_headers =
      (bits & 0x10) ? mmf::CorrelationHeaders::kMmf : mmf::CorrelationHeaders::kStandard;
  options.generate_correlation_id = (bits & 0x20) == 0;
  if ((bits & 0x40) == 0) options.allowed_business_fields = kAllowedBusinessFields;
  return options;
}

HeaderList headers_from(std::string_view text) {
  HeaderList headers;
  for (std::string_view line : mmf_fuzz::split(text, '\n')) {
    if (line.empty()) continue;
    const auto selector = static_cast<unsigned char>(line[0]);
    if (selector < 0x20) {
      headers.emplace_back(std::string(kKnownNames[selector % kKnownCount]),
                           std::string(line.substr(1)));
    } else {
      const std::size_t colon = line.find(':');
      headers.emplace_back(
          std::string(line.substr(0, colon)),
          colon == line.npos ? std::string() : std::string(line.substr(colon + 1)));
    }
  }
  return headers;
}

bool is_allowed(const mmf::PropagationOptions& options, std::string_view key) {
  for (const std::string& allowed : options.allowed_business_fields) {
    if (allowed == key) return true;
  }
  return false;
}

bool is_uuid_v7(const std::string& id) { return mmf::is_uuid(id) && id[14] == '7'; }

void check_id(const std::string& id) { MMF_FUZZ_CHECK(id.empty() || mmf::is_valid_id(id)); }

void check_context(const mmf::Context& context, const mmf::PropagationOptions& options) {
  check_id(context.correlation_id());
  check_id(context.request_id());
  check_id(context.user_id());
  check_id(context.session_id());
  check_id(context.plugin());
  check_id(context.operation_id());
  switch (context.correlation_origin()) {
    case mmf::CorrelationOrigin::kGenerated:
    case mmf::CorrelationOrigin::kRejected:
      MMF_FUZZ_CHECK(is_uuid_v7(context.correlation_id()));
      break;
    case mmf::CorrelationOrigin::kIncoming:
      MMF_FUZZ_CHECK(!context.correlation_id().empty());
      break;
    case mmf::CorrelationOrigin::kNone:
      MMF_FUZZ_CHECK(context.correlation_id().empty());
      break;
    case mmf::CorrelationOrigin::kLocal:
      MMF_FUZZ_CHECK(false);  // nothing local happened
  }
  if (options.generate_correlation_id) {
    MMF_FUZZ_CHECK(!context.correlation_id().empty());
    MMF_FUZZ_CHECK(!context.request_id().empty());
  }
  if (!options.correlation) {
    MMF_FUZZ_CHECK(context.user_id().empty() && context.session_id().empty());
  }

  const mmf::SpanContext& span = context.span_context();
  if (span.is_valid()) {
    MMF_FUZZ_CHECK(span.is_remote);
    MMF_FUZZ_CHECK((span.flags.bits() & ~mmf::TraceFlags::kKnown) == 0);
    MMF_FUZZ_CHECK(options.trace_context || options.b3);
  } else {
    MMF_FUZZ_CHECK(span.trace_state.empty());
  }
  MMF_FUZZ_CHECK(span.trace_state.size() <= mmf::TraceState::kMaxMembers);
  MMF_FUZZ_CHECK(span.trace_state.header().size() <= mmf::TraceState::kMaxHeaderSize);
  MMF_FUZZ_CHECK(mmf::TraceState::parse(span.trace_state.header()) == span.trace_state);

  const mmf::Baggage& baggage = context.baggage();
  if (!options.baggage) MMF_FUZZ_CHECK(baggage.empty());
  MMF_FUZZ_CHECK(baggage.size() <= mmf::Baggage::kMaxEntries);
  MMF_FUZZ_CHECK(baggage.to_header().size() <= mmf::Baggage::kMaxHeaderSize);
  MMF_FUZZ_CHECK(mmf::Baggage::parse(baggage.to_header()) == baggage);
  MMF_FUZZ_CHECK(!baggage.get(mmf::headers::kBaggageCorrelationId).has_value());

  std::size_t business_bytes = 0;
  MMF_FUZZ_CHECK(context.business_context().size() <= mmf::BusinessContextLimits::kMaxFields);
  for (const auto& [key, value] : context.business_context()) {
    MMF_FUZZ_CHECK(is_allowed(options, key));
    MMF_FUZZ_CHECK(!baggage.get(key).has_value());
    MMF_FUZZ_CHECK(value.size() <= mmf::BusinessContextLimits::kMaxValueLength);
    business_bytes += key.size() + value.size();
  }
  MMF_FUZZ_CHECK(business_bytes <= mmf::BusinessContextLimits::kMaxTotalBytes);
  for (const mmf::Baggage::Entry& entry : baggage.entries()) {
    MMF_FUZZ_CHECK(!is_allowed(options, entry.key));
  }
}

void check_injected(const HeaderList& headers, const mmf::Context& context,
                    const mmf::PropagationOptions& options) {
  for (std::size_t i = 0; i < headers.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j)
      MMF_FUZZ_CHECK(!mmf::iequals(headers[i].first, headers[j].first));
    for (char c : headers[i].second) MMF_FUZZ_CHECK(c != '\r' && c != '\n' && c != '\0');
    MMF_FUZZ_CHECK(!headers[i].second.empty());
  }
  bool wrote_traceparent = false;
  for (const auto& [name, value] : headers) {
    if (name == mmf::headers::kTraceparent) {
      wrote_traceparent = true;
      const std::optional<mmf::SpanContext> parsed = mmf::parse_traceparent(value);
      MMF_FUZZ_CHECK(parsed.has_value());
      MMF_FUZZ_CHECK(parsed->trace_id == context.span_context().trace_id);
      MMF_FUZZ_CHECK(parsed->span_id == context.span_context().span_id);
      MMF_FUZZ_CHECK(parsed->flags == context.span_context().flags);
    } else if (name == mmf::headers::kBaggage) {
      mmf::Baggage::ParseStats stats;
      const mmf::Baggage sent = mmf::Baggage::parse(value, &stats);
      MMF_FUZZ_CHECK(value.size() <= mmf::Baggage::kMaxHeaderSize);
      MMF_FUZZ_CHECK(sent.size() <= mmf::Baggage::kMaxEntries);
      MMF_FUZZ_CHECK(stats.invalid_members == 0 && stats.dropped_members == 0);
    }
  }
  MMF_FUZZ_CHECK(wrote_traceparent == (options.trace_context && context.span_context().is_valid()));
}

// True when part appears in whole in the same order (entries may be missing, none added).
bool is_subsequence(const std::vector<mmf::Baggage::Entry>& part,
                    const std::vector<mmf::Baggage::Entry>& whole) {
  std::size_t next = 0;
  for (const mmf::Baggage::Entry& entry : part) {
    while (next < whole.size() && !(whole[next] == entry)) ++next;
    if (next == whole.size()) return false;
    ++next;
  }
  return true;
}

void check_round_trip(const mmf::Context& sent, const mmf::Context& received,
                      const mmf::PropagationOptions& options) {
  if (options.trace_context && sent.span_context().is_valid()) {
    const mmf::SpanContext& out = sent.span_context();
    const mmf::SpanContext& in = received.span_context();
    MMF_FUZZ_CHECK(in.trace_id == out.trace_id && in.span_id == out.span_id);
    MMF_FUZZ_CHECK(in.flags == out.flags);
    MMF_FUZZ_CHECK(in.trace_state == out.trace_state);
  }
  if ((options.correlation || options.baggage) && !sent.correlation_id().empty()) {
    MMF_FUZZ_CHECK(received.correlation_id() == sent.correlation_id());
    MMF_FUZZ_CHECK(received.correlation_origin() == mmf::CorrelationOrigin::kIncoming);
  }
  if (options.correlation) {
    if (!sent.request_id().empty()) MMF_FUZZ_CHECK(received.request_id() == sent.request_id());
    MMF_FUZZ_CHECK(received.user_id() == sent.user_id());
    MMF_FUZZ_CHECK(received.session_id() == sent.session_id());
    if (options.output_headers == mmf::CorrelationHeaders::kMmf) {
      MMF_FUZZ_CHECK(received.plugin() == sent.plugin());
      MMF_FUZZ_CHECK(received.operation_id() == sent.operation_id());
    }
  }
  if (options.baggage) {
    MMF_FUZZ_CHECK(is_subsequence(received.baggage().entries(), sent.baggage().entries()));
    for (const auto& [key, value] : received.business_context()) {
      const auto found = sent.business_context().find(key);
      MMF_FUZZ_CHECK(found != sent.business_context().end() && found->second == value);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const mmf::PropagationOptions options = options_from(data[0]);
  const mmf::Propagator propagator(options);
  const HeaderList incoming = headers_from(mmf_fuzz::as_text(data + 1, size - 1));

  const mmf::Context context = propagator.extract(incoming);
  check_context(context, propagator.options());

  HeaderList outgoing;
  propagator.inject(context, outgoing);
  check_injected(outgoing, context, propagator.options());

  const mmf::Context received = propagator.extract(outgoing);
  check_context(received, propagator.options());
  check_round_trip(context, received, propagator.options());
  return 0;
}
