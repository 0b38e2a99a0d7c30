#include <algorithm>

#include "context/access.h"
#include "context/business.h"
#include "context/counters.h"
#include "mmf/propagation.h"
#include "propagation/b3.h"
#include "propagation/text.h"
#include "propagation/trace_access.h"
#include "propagation/traceparent.h"

namespace mmf {
namespace {

// Every header the propagator understands, except traceparent and tracestate
// (detail::TraceHeaders collects those).
enum class Slot : std::uint8_t {
  kBaggage,
  kB3,
  kB3TraceId,
  kB3SpanId,
  kB3Sampled,
  kB3Flags,
  kCorrelationId,
  kRequestId,
  kUserId,
  kSessionId,
  kMmfCorrelationId,
  kMmfRequestId,
  kMmfUserId,
  kMmfSessionId,
  kMmfPluginId,
  kMmfOperationId,
  kCount,
  kNone = kCount,
};
constexpr std::size_t kSlotCount = static_cast<std::size_t>(Slot::kCount);

struct Known {
  std::string_view name;
  Slot slot;
};

// In the order a name is compared with the others of its length: the correlation headers,
// which most requests carry, before B3's.
constexpr Known kKnown[] = {
    {headers::kBaggage, Slot::kBaggage},
    {headers::kCorrelationId, Slot::kCorrelationId},
    {headers::kRequestId, Slot::kRequestId},
    {headers::kUserId, Slot::kUserId},
    {headers::kSessionId, Slot::kSessionId},
    {headers::kMmfCorrelationId, Slot::kMmfCorrelationId},
    {headers::kMmfRequestId, Slot::kMmfRequestId},
    {headers::kMmfUserId, Slot::kMmfUserId},
    {headers::kMmfSessionId, Slot::kMmfSessionId},
    {headers::kMmfPluginId, Slot::kMmfPluginId},
    {headers::kMmfOperationId, Slot::kMmfOperationId},
    {headers::kB3, Slot::kB3},
    {headers::kB3TraceId, Slot::kB3TraceId},
    {headers::kB3SpanId, Slot::kB3SpanId},
    {headers::kB3Sampled, Slot::kB3Sampled},
    {headers::kB3Flags, Slot::kB3Flags},
};

// The longest known name; a quick length test rejects most unrelated headers.
constexpr std::size_t kLongestName = 20;
constexpr std::size_t kMaxSameLength = 4;

// A character's low five bits: the same for both cases of a letter, so a cheap filter that
// lets through every spelling of a known name (and a few others, which the compare refuses).
constexpr unsigned low_bits(char c) noexcept { return static_cast<unsigned char>(c) & 0x1fU; }

// Candidates grouped by name length, so a header is compared with at most four names; and for
// each length, which first and last characters (by low_bits) those names have. Most headers
// of a request (Host, Accept, Content-Type, ...) share a length with a known name but neither
// end: they are refused by two bit tests instead of a case-folding compare with each candidate
// (about half of the instructions of extracting a 17-header request went to those compares).
struct ByLength {
  Known entries[kLongestName + 1][kMaxSameLength] = {};
  std::uint8_t count[kLongestName + 1] = {};
  std::uint32_t first[kLongestName + 1] = {};
  std::uint32_t last[kLongestName + 1] = {};
};

constexpr ByLength kByLength = [] {
  ByLength table;
  for (const Known& known : kKnown) {
    const std::size_t length = known.name.size();
    table.entries[length][table.count[length]++] = known;
    table.first[length] |= 1U << low_bits(known.name.front());
    table.last[length] |= 1U << low_bits(known.name.back());
  }
  return table;
}();

Slot classify(std::string_view name) noexcept {
  if (name.size() > kLongestName) return Slot::kNone;
  const std::size_t length = name.size();
  if (length == 0 || !((kByLength.first[length] >> low_bits(name.front())) & 1U) ||
      !((kByLength.last[length] >> low_bits(name.back())) & 1U)) {
    return Slot::kNone;
  }
  for (std::size_t i = 0; i < kByLength.count[length]; ++i) {
    if (iequals(name, kByLength.entries[length][i].name)) return kByLength.entries[length][i].slot;
  }
  return Slot::kNone;
}

// What one pass over a carrier found. Views point into the carrier.
struct Collected {
  detail::TraceHeaders trace;
  detail::Segment single[kSlotCount];  // first value of each single-valued header
  std::uint8_t seen[kSlotCount] = {};  // how many fields of each (saturating)
  detail::ListFields baggage;

  void add(std::string_view name, std::string_view value) noexcept {
    if (trace.add(name, value)) return;
    const Slot slot = classify(name);
    if (slot == Slot::kNone) return;
    const auto index = static_cast<std::size_t>(slot);
    if (seen[index] < 255) ++seen[index];
    if (slot == Slot::kBaggage) {
      baggage.add(value);
    } else if (seen[index] == 1) {
      single[index] = detail::Segment{value.data(), value.size()};
    }
  }

  std::size_t count(Slot slot) const noexcept { return seen[static_cast<std::size_t>(slot)]; }
  // The first value of a header; empty when it did not come.
  std::string_view get(Slot slot) const noexcept {
    const detail::Segment& segment = single[static_cast<std::size_t>(slot)];
    return count(slot) ? std::string_view(segment.data, segment.size) : std::string_view();
  }
};

SpanContext b3_context_of(const Collected& found) {
  std::optional<SpanContext> parsed;
  if (found.count(Slot::kB3) > 0) {
    parsed = parse_b3(found.get(Slot::kB3));
  } else if (found.count(Slot::kB3TraceId) > 0 || found.count(Slot::kB3SpanId) > 0) {
    parsed = detail::parse_b3_multi(found.get(Slot::kB3TraceId), found.get(Slot::kB3SpanId),
                                    found.get(Slot::kB3Sampled), found.get(Slot::kB3Flags));
  } else {
    return {};
  }
  if (!parsed) {
    detail::count(detail::counters().b3_invalid);
    return {};
  }
  return *parsed;
}

// Reads an ID from the first present header among slots. Sets rejected when one was present
// but invalid. Returns empty when none usable.
std::string_view read_id(const Collected& found, std::initializer_list<Slot> slots,
                         bool& rejected) noexcept {
  for (Slot slot : slots) {
    if (found.count(slot) == 0) continue;
    const std::string_view value = detail::trim_ows(found.get(slot));
    if (is_valid_id(value)) return value;
    rejected = true;
    detail::count(detail::counters().ids_rejected);
  }
  return {};
}

struct OutputNames {
  std::string_view correlation_id;
  std::string_view request_id;
  std::string_view user_id;
  std::string_view session_id;
};

constexpr OutputNames kStandardNames{headers::kCorrelationId, headers::kRequestId, headers::kUserId,
                                     headers::kSessionId};
constexpr OutputNames kMmfNames{headers::kMmfCorrelationId, headers::kMmfRequestId,
                                headers::kMmfUserId, headers::kMmfSessionId};

}  // namespace

Propagator::Propagator(PropagationOptions options) : options_(std::move(options)) {
  auto& allowed = options_.allowed_business_fields;
  std::erase_if(allowed, [](const std::string& key) { return !is_valid_business_key(key); });
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
}

bool Propagator::is_allowed_business_field(std::string_view key) const noexcept {
  return std::binary_search(options_.allowed_business_fields.begin(),
                            options_.allowed_business_fields.end(), key, std::less<>());
}

Context Propagator::extract_from(detail::FunctionRef<void(HeaderVisitor)> for_each_header) const {
  Collected found;
  for_each_header(
      [&found](std::string_view name, std::string_view value) { found.add(name, value); });

  // Default-initialised: every member has its initialiser, and "()" would first zero all of
  // its ~450 bytes.
  auto* data = new detail::ContextData;
  Context result = ContextAccess::adopt(data);

  if (options_.trace_context) data->span_context = detail::trace_context_of(found.trace);
  if (options_.b3 && !data->span_context.is_valid()) data->span_context = b3_context_of(found);

  std::string mirrored_correlation_id;  // the baggage copy of the correlation ID
  if (found.baggage.oversized) detail::count(detail::counters().headers_oversized);
  if (options_.baggage && found.baggage.count > 0) {
    Baggage::ParseStats stats;
    std::string_view views[detail::kMaxListFields];
    const std::size_t fields = found.baggage.views(views);
    Baggage baggage = Baggage::parse(std::span<const std::string_view>(views, fields), &stats);
    detail::count(detail::counters().baggage_members_invalid, stats.invalid_members);
    detail::count(detail::counters().baggage_members_dropped, stats.dropped_members);
    // The correlation ID and allowed business fields have their own fields in the Context;
    // the rest of the baggage is carried whole. The baggage is this function's own: the
    // entries are taken out in place.
    std::erase_if(detail::BaggageAccess::entries(baggage), [&](Baggage::Entry& entry) {
      if (entry.key == headers::kBaggageCorrelationId) {
        mirrored_correlation_id = std::move(entry.value);  // validated below, with the headers
        return true;
      }
      if (is_allowed_business_field(entry.key)) {
        detail::add_business_field(data->business_context, entry.key, entry.value);
        return true;
      }
      return false;
    });
    data->baggage = std::move(baggage);
  }

  bool rejected = false;
  IdGenerator& ids = options_.id_generator ? *options_.id_generator : default_id_generator();
  if (options_.correlation) {
    std::string_view id = read_id(found, {Slot::kCorrelationId, Slot::kMmfCorrelationId}, rejected);
    if (id.empty() && !mirrored_correlation_id.empty()) {
      if (is_valid_id(mirrored_correlation_id)) {
        id = mirrored_correlation_id;
      } else {
        rejected = true;
        detail::count(detail::counters().ids_rejected);
      }
    }
    if (!id.empty()) {
      data->correlation_id.assign(id);
      data->correlation_origin = CorrelationOrigin::kIncoming;
    }
    bool ignored = false;
    data->request_id.assign(read_id(found, {Slot::kRequestId, Slot::kMmfRequestId}, ignored));
    data->user_id.assign(read_id(found, {Slot::kUserId, Slot::kMmfUserId}, ignored));
    data->session_id.assign(read_id(found, {Slot::kSessionId, Slot::kMmfSessionId}, ignored));
    data->plugin.assign(read_id(found, {Slot::kMmfPluginId}, ignored));
    data->operation_id.assign(read_id(found, {Slot::kMmfOperationId}, ignored));
  } else if (is_valid_id(mirrored_correlation_id)) {
    data->correlation_id.assign(mirrored_correlation_id);
    data->correlation_origin = CorrelationOrigin::kIncoming;
  }

  if (data->correlation_id.empty() && options_.generate_correlation_id) {
    data->correlation_id = ids.new_correlation_id();
    data->correlation_origin =
        rejected ? CorrelationOrigin::kRejected : CorrelationOrigin::kGenerated;
  }
  if (data->request_id.empty() && options_.generate_correlation_id) {
    data->request_id = ids.new_correlation_id();
  }
  return result;
}

void Propagator::inject_to(const Context& context, HeaderSetter set) const {
  inject_to(context, context.span_context(), set);
}

void Propagator::inject_to(const Context& context, const SpanContext& span_context,
                           HeaderSetter set) const {
  if (options_.trace_context) inject_trace_context_to(span_context, set);

  if (options_.correlation) {
    const bool mmf_family = options_.output_headers == CorrelationHeaders::kMmf;
    const OutputNames& names = mmf_family ? kMmfNames : kStandardNames;
    auto put = [&set](std::string_view name, const std::string& value) {
      if (!value.empty()) set(name, value);
    };
    put(names.correlation_id, context.correlation_id());
    put(names.request_id, context.request_id());
    put(names.user_id, context.user_id());
    put(names.session_id, context.session_id());
    if (mmf_family) {
      put(headers::kMmfPluginId, context.plugin());
      put(headers::kMmfOperationId, context.operation_id());
    }
  }

  if (options_.baggage) {
    // Assembled in a per-thread buffer that keeps its capacity: no allocation once warm.
    thread_local std::string header;
    header.clear();
    std::size_t members = 0;
    auto append = [&](std::string_view key, std::string_view value, std::string_view metadata) {
      if (members >= Baggage::kMaxEntries) return;
      const std::size_t mark = header.size();
      if (members > 0) header.push_back(',');
      Baggage::append_encoded(header, key, value, metadata);
      if (header.size() > Baggage::kMaxHeaderSize) {
        header.resize(mark);  // whole members only
        return;
      }
      ++members;
    };
    if (!context.correlation_id().empty()) {
      append(headers::kBaggageCorrelationId, context.correlation_id(), {});
    }
    for (const auto& [key, value] : context.business_context()) {
      if (is_allowed_business_field(key)) append(key, value, {});
    }
    for (const Baggage::Entry& entry : context.baggage().entries()) {
      if (entry.key == headers::kBaggageCorrelationId || is_allowed_business_field(entry.key)) {
        continue;  // the fields above already say it
      }
      append(entry.key, entry.value, entry.metadata);
    }
    if (!header.empty()) set(headers::kBaggage, header);
  }
}

namespace detail {

SpanContext trace_context_of(const TraceHeaders& found) noexcept {
  SpanContext result;  // the one object returned (NRVO): the parsers write straight into it
  if (found.tracestate.oversized) count(counters().headers_oversized);
  if (found.traceparent_fields == 0) return result;
  bool parsed = false;
  // A repeated traceparent is ambiguous: the W3C test suite expects the trace to restart.
  if (found.traceparent_fields == 1) {
    if (found.traceparent.size() > kMaxTraceparentSize) {
      count(counters().headers_oversized);
    } else {
      parsed = parse_traceparent_into(found.traceparent, result);
    }
  }
  if (!parsed) {
    count(counters().traceparent_invalid);
    return result;
  }
  if (found.tracestate.oversized) {
    count(counters().tracestate_invalid);
  } else if (found.tracestate.count == 1) {  // the usual case: no array of views to set up
    const Segment& field = found.tracestate.fields[0];
    TraceStateAccess::parse_into(result.trace_state, std::string_view(field.data, field.size));
  } else if (found.tracestate.count > 1) {
    std::string_view views[kMaxListFields];
    const std::size_t fields = found.tracestate.views(views);
    result.trace_state = TraceState::parse(std::span<const std::string_view>(views, fields));
  }
  return result;
}

}  // namespace detail

SpanContext extract_trace_context_from(
    detail::FunctionRef<void(Propagator::HeaderVisitor)> for_each_header) {
  detail::TraceHeaders found;
  for_each_header(
      [&found](std::string_view name, std::string_view value) { found.add(name, value); });
  return detail::trace_context_of(found);
}

void inject_trace_context_to(const SpanContext& span_context, Propagator::HeaderSetter set) {
  if (!span_context.is_valid()) return;
  char traceparent[kTraceparentSize];
  format_traceparent(span_context,
                     std::span<char, kTraceparentSize>(traceparent, kTraceparentSize));
  set(headers::kTraceparent, std::string_view(traceparent, kTraceparentSize));
  if (!span_context.trace_state.empty())
    set(headers::kTracestate, span_context.trace_state.header());
}

}  // namespace mmf
