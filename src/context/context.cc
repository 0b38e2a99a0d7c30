#include "mmf/context.h"

#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "context/access.h"
#include "context/business.h"
#include "context/counters.h"
#include "mmf/ids.h"
#include "propagation/text.h"

namespace mmf {
namespace detail {

constinit thread_local const ContextData* tls_current = nullptr;

void destroy(const ContextData* data) noexcept { delete data; }

Counters& counters() noexcept {
  static Counters instance;
  return instance;
}

}  // namespace detail

namespace {

using detail::ContextData;

const SpanContext& empty_span_context() noexcept {
  static const SpanContext empty;
  return empty;
}

const Baggage& empty_baggage() noexcept {
  static const Baggage empty;
  return empty;
}

// Sets field to id when id is a valid ID; counts and ignores it otherwise. Empty clears.
bool assign_id(std::string& field, std::string_view id) {
  if (id.empty()) {
    field.clear();
    return true;
  }
  if (!is_valid_id(id)) {
    detail::count(detail::counters().ids_rejected);
    return false;
  }
  field.assign(id);
  return true;
}

// Releases the thread's current Context when the thread ends. Only needed when a set_* call
// changes the Context outside every scope; scopes always restore what they replaced.
struct ReleaseAtThreadExit {
  ~ReleaseAtThreadExit() { detail::release(std::exchange(detail::tls_current, nullptr)); }
};

void replace_current(const ContextData* data) noexcept {
  thread_local ReleaseAtThreadExit guard;
  static_cast<void>(&guard);
  detail::release(std::exchange(detail::tls_current, data));
}

// The bytes of an ID. The rule is the reference; the table checks IDs under sixteen bytes.
constexpr bool id_char_rule(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == ':' || c == '@' || c == '/' || c == '+' || c == '=';
}
constexpr detail::ByteSet kIdChars = detail::make_byte_set(id_char_rule);

#if defined(__SSE2__)
// Whether all sixteen bytes at p are ID characters: '-' to ':' (punctuation and digits), '@'
// to 'Z', 'a' to 'z', '_', '+' and '='. Bytes from 0x80 are negative here, so out of range.
bool all_id_chars(const char* p) noexcept {
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const auto in_range = [x](char low, char high) noexcept {
    return _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(static_cast<char>(low - 1))),
                         _mm_cmplt_epi8(x, _mm_set1_epi8(static_cast<char>(high + 1))));
  };
  const __m128i ranges =
      _mm_or_si128(_mm_or_si128(in_range('-', ':'), in_range('@', 'Z')), in_range('a', 'z'));
  const __m128i singles = _mm_or_si128(
      _mm_cmpeq_epi8(x, _mm_set1_epi8('_')),
      _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('+')), _mm_cmpeq_epi8(x, _mm_set1_epi8('='))));
  return _mm_movemask_epi8(_mm_or_si128(ranges, singles)) == 0xffff;
}
#endif

}  // namespace

// Every request validates its incoming IDs (a correlation ID is 36 bytes or more): sixteen
// bytes at a time with SSE2, the last block overlapping the one before; shorter IDs byte by
// byte.
bool is_valid_id(std::string_view text) noexcept {
  if (text.empty() || text.size() > kMaxIdLength) return false;
#if defined(__SSE2__)
  if (text.size() >= 16) {
    for (std::size_t i = 0; i + 16 < text.size(); i += 16) {
      if (!all_id_chars(text.data() + i)) return false;
    }
    return all_id_chars(text.data() + text.size() - 16);
  }
#endif
  for (char c : text) {
    if (!kIdChars(c)) return false;
  }
  return true;
}

const SpanContext& Context::span_context() const noexcept {
  return data_ ? data_->span_context : empty_span_context();
}

const Baggage& Context::baggage() const noexcept {
  return data_ ? data_->baggage : empty_baggage();
}

Context::Data* Context::clone() const {
  Data* copy = new Data;  // not "()": that would zero the whole object before constructing it
  if (data_ != nullptr) {
    copy->span_context = data_->span_context;
    copy->correlation_id = data_->correlation_id;
    copy->request_id = data_->request_id;
    copy->parent_request_id = data_->parent_request_id;
    copy->user_id = data_->user_id;
    copy->session_id = data_->session_id;
    copy->operation_name = data_->operation_name;
    copy->operation_id = data_->operation_id;
    copy->plugin = data_->plugin;
    copy->business_context = data_->business_context;
    copy->baggage = data_->baggage;
    copy->correlation_origin = data_->correlation_origin;
  }
  return copy;
}

Context Context::child(const CorrelationFields& fields) const {
  Data* data = clone();
  Context result(data);  // owns data from here on, also if something below throws

  data->parent_request_id = data->request_id;
  data->request_id.clear();
  if (!fields.request_id.empty()) assign_id(data->request_id, fields.request_id);
  if (data->request_id.empty()) data->request_id = new_uuid_v7();

  if (!fields.correlation_id.empty() && assign_id(data->correlation_id, fields.correlation_id)) {
    data->correlation_origin = CorrelationOrigin::kLocal;
  }
  if (data->correlation_id.empty()) {
    data->correlation_id = new_uuid_v7();
    data->correlation_origin = CorrelationOrigin::kLocal;
  }
  if (!fields.user_id.empty()) assign_id(data->user_id, fields.user_id);
  if (!fields.session_id.empty()) assign_id(data->session_id, fields.session_id);
  if (!fields.plugin.empty()) assign_id(data->plugin, fields.plugin);
  if (!fields.operation_id.empty()) assign_id(data->operation_id, fields.operation_id);
  if (!fields.operation_name.empty()) {
    data->operation_name.assign(fields.operation_name, 0,
                                std::min(fields.operation_name.size(), kMaxIdLength));
  }
  for (const auto& [key, value] : fields.business_context) {
    detail::add_business_field(data->business_context, key, value);
  }
  return result;
}

Context Context::with_span_context(SpanContext span_context) const& {
  Data* data = clone();
  data->span_context = std::move(span_context);
  return Context(data);
}

Context Context::with_span_context(SpanContext span_context) && {
  // A single reference (acquire: after the last release by another owner) means no other
  // Context or thread can see the block, so changing it in place is not observable.
  if (data_ == nullptr || data_->refs.load(std::memory_order_acquire) != 1) {
    return std::as_const(*this).with_span_context(std::move(span_context));
  }
  auto* data = const_cast<Data*>(std::exchange(data_, nullptr));
  data->span_context = std::move(span_context);
  return Context(data);
}

Context Context::with_correlation_id(std::string_view id) const {
  Data* data = clone();
  Context result(data);
  if (assign_id(data->correlation_id, id)) {
    data->correlation_origin = id.empty() ? CorrelationOrigin::kNone : CorrelationOrigin::kLocal;
  }
  return result;
}

Context Context::with_user_id(std::string_view id) const {
  Data* data = clone();
  Context result(data);
  assign_id(data->user_id, id);
  return result;
}

Context Context::with_session_id(std::string_view id) const {
  Data* data = clone();
  Context result(data);
  assign_id(data->session_id, id);
  return result;
}

Context Context::with_plugin(std::string_view plugin) const {
  Data* data = clone();
  Context result(data);
  assign_id(data->plugin, plugin);
  return result;
}

Context Context::with_business_field(std::string_view key, std::string_view value) const {
  Data* data = clone();
  Context result(data);
  detail::add_business_field(data->business_context, key, value);
  return result;
}

Context Context::with_baggage(Baggage baggage) const {
  Data* data = clone();
  data->baggage = std::move(baggage);
  return Context(data);
}

CorrelationScope::CorrelationScope(const CorrelationFields& fields)
    : scope_(Context::current().child(fields)) {}

bool set_user_id(std::string_view id) {
  if (!id.empty() && !is_valid_id(id)) {
    detail::count(detail::counters().ids_rejected);
    return false;
  }
  Context changed = Context::current().with_user_id(id);
  replace_current(ContextAccess::take(changed));
  return true;
}

bool set_session_id(std::string_view id) {
  if (!id.empty() && !is_valid_id(id)) {
    detail::count(detail::counters().ids_rejected);
    return false;
  }
  Context changed = Context::current().with_session_id(id);
  replace_current(ContextAccess::take(changed));
  return true;
}

bool set_correlation_id(std::string_view id) {
  if (!id.empty() && !is_valid_id(id)) {
    detail::count(detail::counters().ids_rejected);
    return false;
  }
  Context changed = Context::current().with_correlation_id(id);
  replace_current(ContextAccess::take(changed));
  return true;
}

bool set_business_field(std::string_view key, std::string_view value) {
  BusinessContext fields = get_business_context();
  if (!detail::add_business_field(fields, key, value)) return false;
  Context changed = Context::current().with_business_field(key, value);
  replace_current(ContextAccess::take(changed));
  return true;
}

PropagationCounters propagation_counters() noexcept {
  const detail::Counters& c = detail::counters();
  auto load = [](const std::atomic<std::uint64_t>& v) { return v.load(std::memory_order_relaxed); };
  PropagationCounters out;
  out.ids_rejected = load(c.ids_rejected);
  out.traceparent_invalid = load(c.traceparent_invalid);
  out.tracestate_invalid = load(c.tracestate_invalid);
  out.tracestate_truncated = load(c.tracestate_truncated);
  out.baggage_members_invalid = load(c.baggage_members_invalid);
  out.baggage_members_dropped = load(c.baggage_members_dropped);
  out.business_fields_dropped = load(c.business_fields_dropped);
  out.b3_invalid = load(c.b3_invalid);
  out.headers_oversized = load(c.headers_oversized);
  return out;
}

}  // namespace mmf
