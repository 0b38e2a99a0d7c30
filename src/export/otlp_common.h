// The parts of OTLP that traces, metrics and logs share (common.proto and resource.proto):
// attribute values (AnyValue, ArrayValue), KeyValue, Resource and InstrumentationScope, in both
// of OTLP's encodings.
//
// Protobuf: each write_* function writes one field (field is its number in the enclosing
// message) with ProtoWriter. JSON: each writes one JSON value with JsonWriter, after the caller
// has written the member's key; the OTLP/JSON rules apply (lowerCamelCase names, int64 values
// as decimal strings, default values and empty lists omitted).
//
// Text is repaired to well-formed UTF-8 on the way out (export/utf8.h), so a bad byte in one
// attribute costs one U+FFFD, never the batch.
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <cstdint>
#include <string_view>

#include "export/json_writer.h"
#include "export/proto_writer.h"
#include "mmf/attributes.h"
#include "mmf/resource.h"
#include "mmf/span_exporter.h"

namespace mmf::detail {

// InstrumentationScope below is mmf::InstrumentationScope (mmf/span_exporter.h), the library
// that produced the telemetry.

// Field numbers of the shared messages.
namespace otlp_field {
inline constexpr std::uint32_t kAnyValueString = 1;
inline constexpr std::uint32_t kAnyValueBool = 2;
inline constexpr std::uint32_t kAnyValueInt = 3;
inline constexpr std::uint32_t kAnyValueDouble = 4;
inline constexpr std::uint32_t kAnyValueArray = 5;
inline constexpr std::uint32_t kArrayValueValues = 1;
inline constexpr std::uint32_t kKeyValueKey = 1;
inline constexpr std::uint32_t kKeyValueValue = 2;
inline constexpr std::uint32_t kScopeName = 1;
inline constexpr std::uint32_t kScopeVersion = 2;
inline constexpr std::uint32_t kResourceAttributes = 1;
}  // namespace otlp_field

// Protobuf.
void write_any_value(ProtoWriter& w, std::uint32_t field, const AttributeValue& value);
void write_any_value(ProtoWriter& w, std::uint32_t field, const OwnedAttributeValue& value);
void write_key_value(ProtoWriter& w, std::uint32_t field, std::string_view key,
                     const AttributeValue& value);
void write_key_value(ProtoWriter& w, std::uint32_t field, const KeyValue& attribute);
void write_resource(ProtoWriter& w, std::uint32_t field, const Resource& resource);
void write_scope(ProtoWriter& w, std::uint32_t field, const InstrumentationScope& scope);

// JSON.
void write_any_value(JsonWriter& w, const AttributeValue& value);
void write_any_value(JsonWriter& w, const OwnedAttributeValue& value);
// {"key":...,"value":{...}}
void write_key_value(JsonWriter& w, std::string_view key, const AttributeValue& value);
void write_key_value(JsonWriter& w, const KeyValue& attribute);
void write_resource(JsonWriter& w, const Resource& resource);
void write_scope(JsonWriter& w, const InstrumentationScope& scope);

// A JSON list member written only when it has elements, since OTLP/JSON (like proto3 JSON)
// omits empty lists; for lists known only while they are visited (a span's attributes):
//   JsonList attributes(w, "attributes");
//   view.for_each_attribute([&](auto key, auto& value) {
//     attributes.next();
//     write_key_value(w, key, value);
//   });
//   attributes.close();
class JsonList {
 public:
  JsonList(JsonWriter& w, std::string_view name) noexcept : w_(w), name_(name) {}
  // Call before writing each element.
  void next() {
    if (open_) return;
    w_.key(name_);
    w_.begin_array();
    open_ = true;
  }
  void close() {
    if (open_) w_.end_array();
    open_ = false;
  }

 private:
  JsonWriter& w_;
  std::string_view name_;
  bool open_ = false;
};

}  // namespace mmf::detail
