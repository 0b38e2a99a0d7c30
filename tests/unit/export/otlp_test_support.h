// Shared by the OTLP encoder tests and bench/otlp_encode_bench.cc:
//   - CallbackExporter, which runs a function on each batch inside export_spans(), where the
//     span views are alive (encoders can only read them there);
//   - build_trace_request(): the OTLP trace request built with libprotobuf's generated classes
//     (tests/proto) from the same views the hand-written encoder reads. It is the reference the
//     encoder must match byte for byte, and the peer the benchmark measures it against, so it
//     follows the same rules: proto3 defaults left unset, Status only when set, flags with the
//     is-remote bits. Text is copied as it is: use it with well-formed UTF-8 only (libprotobuf
//     does not repair text).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>

#include "export/otlp_common.h"
#include "mmf/resource.h"
#include "mmf/span_exporter.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace mmf::reference {

namespace otlp_common = opentelemetry::proto::common::v1;
namespace otlp_trace = opentelemetry::proto::trace::v1;
using ExportTraceServiceRequest =
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

class CallbackExporter final : public SpanExporter {
 public:
  using Callback =
      std::function<void(std::span<const SpanView>, const Resource&, const InstrumentationScope&)>;
  explicit CallbackExporter(Callback callback) : callback_(std::move(callback)) {}

  ExportResult export_spans(std::span<const SpanView> spans, const Resource& resource,
                            const InstrumentationScope& scope,
                            std::chrono::steady_clock::time_point /*deadline*/) noexcept override {
    callback_(spans, resource, scope);
    return ExportResult::kSuccess;
  }

 private:
  Callback callback_;
};

inline void set_any_value(const AttributeValue& value, otlp_common::AnyValue& out) {
  switch (value.type()) {
    case AttributeType::kString:
      out.set_string_value(std::string(value.as_string()));
      return;
    case AttributeType::kBool:
      out.set_bool_value(value.as_bool());
      return;
    case AttributeType::kInt:
      out.set_int_value(value.as_int());
      return;
    case AttributeType::kDouble:
      out.set_double_value(value.as_double());
      return;
    case AttributeType::kStringArray: {
      otlp_common::ArrayValue* array = out.mutable_array_value();
      for (std::string_view text : value.as_strings()) {
        array->add_values()->set_string_value(std::string(text));
      }
      return;
    }
    case AttributeType::kBoolArray: {
      otlp_common::ArrayValue* array = out.mutable_array_value();
      for (bool b : value.as_bools()) array->add_values()->set_bool_value(b);
      return;
    }
    case AttributeType::kIntArray: {
      otlp_common::ArrayValue* array = out.mutable_array_value();
      for (std::int64_t i : value.as_ints()) array->add_values()->set_int_value(i);
      return;
    }
    case AttributeType::kDoubleArray: {
      otlp_common::ArrayValue* array = out.mutable_array_value();
      for (double d : value.as_doubles()) array->add_values()->set_double_value(d);
      return;
    }
  }
}

inline void add_key_value(std::string_view key, const AttributeValue& value,
                          otlp_common::KeyValue& out) {
  out.set_key(std::string(key));
  set_any_value(value, *out.mutable_value());
}

inline std::uint32_t context_flags(TraceFlags flags, bool is_remote) {
  return flags.bits() | otlp_trace::SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK |
         (is_remote ? otlp_trace::SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK : 0);
}

template <std::size_t N>
std::string id_bytes(const std::array<std::uint8_t, N>& bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), N);
}

inline void build_span(const SpanView& view, otlp_trace::Span& span) {
  span.set_trace_id(id_bytes(view.trace_id().bytes()));
  span.set_span_id(id_bytes(view.span_id().bytes()));
  span.set_trace_state(std::string(view.trace_state()));
  if (view.parent_span_id().is_valid()) {
    span.set_parent_span_id(id_bytes(view.parent_span_id().bytes()));
  }
  span.set_flags(context_flags(view.flags(), view.parent_is_remote()));
  span.set_name(std::string(view.name()));
  span.set_kind(static_cast<otlp_trace::Span::SpanKind>(view.kind()));
  span.set_start_time_unix_nano(static_cast<std::uint64_t>(view.start_unix_nano()));
  span.set_end_time_unix_nano(static_cast<std::uint64_t>(view.end_unix_nano()));
  view.for_each_attribute([&](std::string_view key, const AttributeValue& value) {
    add_key_value(key, value, *span.add_attributes());
  });
  span.set_dropped_attributes_count(view.dropped_attributes_count());
  otlp_trace::Span::Event* event = nullptr;
  view.for_each_event(
      [&](const SpanEventView& e) {
        event = span.add_events();
        event->set_time_unix_nano(static_cast<std::uint64_t>(e.time_unix_nano));
        event->set_name(std::string(e.name));
        event->set_dropped_attributes_count(e.dropped_attributes_count);
      },
      [&](std::string_view key, const AttributeValue& value) {
        add_key_value(key, value, *event->add_attributes());
      });
  span.set_dropped_events_count(view.dropped_events_count());
  otlp_trace::Span::Link* link = nullptr;
  view.for_each_link(
      [&](const SpanLinkView& l) {
        link = span.add_links();
        link->set_trace_id(id_bytes(l.trace_id.bytes()));
        link->set_span_id(id_bytes(l.span_id.bytes()));
        link->set_trace_state(std::string(l.trace_state));
        link->set_dropped_attributes_count(l.dropped_attributes_count);
        link->set_flags(context_flags(l.flags, l.is_remote));
      },
      [&](std::string_view key, const AttributeValue& value) {
        add_key_value(key, value, *link->add_attributes());
      });
  span.set_dropped_links_count(view.dropped_links_count());
  const std::string_view message = view.status_message();
  if (view.status_code() != StatusCode::kUnset || !message.empty()) {
    span.mutable_status()->set_message(std::string(message));
    span.mutable_status()->set_code(
        static_cast<otlp_trace::Status::StatusCode>(view.status_code()));
  }
}

// Fills request (which should be empty) with spans.
inline void build_trace_request(std::span<const SpanView> spans, const Resource& resource,
                                const InstrumentationScope& scope,
                                ExportTraceServiceRequest& request) {
  if (spans.empty()) return;
  otlp_trace::ResourceSpans* resource_spans = request.add_resource_spans();
  auto* attributes = resource_spans->mutable_resource()->mutable_attributes();
  for (const KeyValue& attribute : resource.attributes()) {
    AttributeScratch scratch;
    add_key_value(attribute.key, to_view(attribute.value, scratch), *attributes->Add());
  }
  otlp_trace::ScopeSpans* scope_spans = resource_spans->add_scope_spans();
  scope_spans->mutable_scope()->set_name(std::string(scope.name));
  scope_spans->mutable_scope()->set_version(std::string(scope.version));
  scope_spans->mutable_spans()->Reserve(static_cast<int>(spans.size()));
  for (const SpanView& view : spans) build_span(view, *scope_spans->add_spans());
}

}  // namespace mmf::reference
